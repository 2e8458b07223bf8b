"""Command-line flags in any text: `--name=value`, `--name value` is not taken (ambiguous)."""

from __future__ import annotations


from forewarn.parse._text import lazy_compile

FLAG = lazy_compile(r"(?<![\w-])--(?P<name>[a-z][a-z0-9-]*)(?:=(?P<value>\"[^\"]*\"|'[^']*'|[^\s\"'\\]+))?")


def flags_in(line: str) -> list[tuple[str, str | None]]:
    """(name, value) for every `--flag[=value]` in `line`; quotes around a value are dropped.

    >>> flags_in('ExecStart=/usr/bin/kubelet --cluster-dns=10.96.0.10 --v=2 --allow-privileged')
    [('cluster-dns', '10.96.0.10'), ('v', '2'), ('allow-privileged', None)]
    """
    out: list[tuple[str, str | None]] = []
    for m in FLAG.finditer(line):
        v = m.group("value")
        if v is not None and len(v) >= 2 and v[0] == v[-1] and v[0] in "\"'":
            v = v[1:-1]
        out.append((m.group("name"), v))
    return out
