"""`sysctl -a` (the running kernel parameters) and sysctl.d files (what is set at boot).

    net.ipv4.conf.all.arp_announce = 0
    net.ipv4.conf.all.arp_ignore = 0
    net.ipv4.conf.ens1f0.arp_ignore = 0

A sysctl.d file (`/etc/sysctl.conf`, `/etc/sysctl.d/*.conf`, see sysctl.d(5)) has the same
`key = value` lines, with or without spaces, `#` and `;` comments, and an optional leading `-`
(ignore a failure to set the key). Keys may be written with `/` instead of `.`
(`net/ipv4/conf/all/arp_ignore`); they are stored as `sysctl -a` prints them, with dots (and a dot
inside an interface name as `/`). A key given twice keeps the last
value, as `sysctl -p` and `sysctl --system` do. Values keep their inner whitespace
(`fs.inode-state = 62903	0	0`), only the ends are trimmed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from forewarn.model.keys import Key
from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser
from forewarn.parse._text import lazy_compile

_LINE = lazy_compile(r"^\s*(?P<ignore>-)?\s*(?P<key>[A-Za-z0-9_][\w.\-/*:@]*?)\s*=\s*(?P<value>.*?)\s*$")
_SYSCTL_ERROR = lazy_compile(r"^sysctl: ")
_SWAP = str.maketrans("./", "/.")


@dataclass(slots=True)
class Sysctl:
    values: dict[str, str] = field(default_factory=dict)  # key (dotted) -> value as printed
    lines: dict[str, int] = field(default_factory=dict)  # key -> line number (of the last setting)

    def get(self, key: str) -> str | None:
        return self.values.get(key)

    def int(self, key: str) -> int | None:
        """The value as an integer, None when absent or not a single integer."""
        v = self.values.get(key)
        try:
            return int(v) if v is not None else None
        except ValueError:
            return None


SYSCTL = Key("host.sysctl", Sysctl)
SYSCTL_CONF = Key("host.sysctl_conf", Sysctl)


@parser("host.sysctl", "host.sysctl_conf")
def parse_sysctl(text: str) -> Parsed[Sysctl]:
    """Parse `sysctl -a` output or a sysctl.d configuration file.

    >>> r = parse_sysctl("net.ipv4.conf.all.arp_ignore = 0\\n# comment\\n"
    ...                  "-net/ipv4/conf/all/arp_announce=2\\nkernel.ostype = Linux\\n")
    >>> (r.value.int("net.ipv4.conf.all.arp_ignore"), r.value.get("net.ipv4.conf.all.arp_announce"),
    ...  r.value.lines["kernel.ostype"], r.problems)
    (0, '2', 4, [])
    """
    problems: list[ParseProblem] = []
    out = Sysctl()
    for no, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if _SYSCTL_ERROR.match(line):  # `sysctl: permission denied on key ...` mixed in from stderr
            continue
        m = _LINE.match(line)
        if not m:
            problems.append(ParseProblem("not a `key = value` line", no, raw))
            continue
        key = m.group("key")
        first_sep = re.search(r"[./]", key)
        if first_sep and first_sep.group(0) == "/":
            # sysctl.d(5): when the first separator is `/`, dots and slashes swap (`enp3s0.200`)
            key = key.translate(_SWAP)
        out.values[key] = m.group("value")
        out.lines[key] = no
    if not out.values:
        if not problems:
            # only comments and blank lines: Debian's stock /etc/sysctl.conf sets nothing, which is
            # a state (nothing persisted here), not a file we failed to read
            return Parsed(out, [])
        problems.insert(0, ParseProblem("no `key = value` lines found"))
        return Parsed(None, problems)
    return Parsed(out, problems)
