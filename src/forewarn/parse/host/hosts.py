"""`/etc/hosts`: static name resolution, `ADDRESS NAME [ALIAS...]` per line.

glibc reads the file top to bottom and the first line that names a host wins, so a stale line
above Ansible's `# BEGIN ANSIBLE GENERATED HOSTS` block silently overrides the generated one
(seed 003 §5). Every entry keeps its line for evidence; `duplicates()` lists names given with
different addresses, first (winning) line first.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from forewarn.model.keys import Key
from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser
from forewarn.parse._text import ip_of


@dataclass(frozen=True, slots=True)
class HostsEntry:
    ip: str
    names: tuple[str, ...]
    line: int


@dataclass(frozen=True, slots=True)
class HostsDuplicate:
    name: str
    entries: tuple[HostsEntry, ...]  # file order: entries[0] is the one the resolver uses

    @property
    def ips(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(e.ip for e in self.entries))


@dataclass(slots=True)
class HostsFile:
    entries: list[HostsEntry] = field(default_factory=list)
    blocks: dict[str, tuple[int, int]] = field(default_factory=dict)  # marker block -> (begin, end) lines

    def lookup(self, name: str) -> HostsEntry | None:
        """The entry the resolver uses for `name` (the first one, case-insensitive)."""
        n = name.lower()
        return next((e for e in self.entries if n in (x.lower() for x in e.names)), None)

    def addresses(self, name: str) -> list[str]:
        n = name.lower()
        return list(dict.fromkeys(e.ip for e in self.entries if n in (x.lower() for x in e.names)))

    def duplicates(self, *, include_loopback: bool = False) -> list[HostsDuplicate]:
        """Names given with more than one address (loopback lines left out unless asked)."""
        by_name: dict[str, list[HostsEntry]] = {}
        for e in self.entries:
            if not include_loopback and _loopback(e.ip):
                continue
            for name in e.names:
                by_name.setdefault(name.lower(), []).append(e)
        out = []
        for name, entries in by_name.items():
            if len({e.ip for e in entries}) > 1:
                out.append(HostsDuplicate(name, tuple(entries)))
        return out

    def in_block(self, entry: HostsEntry, marker: str = "ANSIBLE GENERATED HOSTS") -> bool:
        span = self.blocks.get(marker)
        return span is not None and span[0] < entry.line < span[1]


def _loopback(ip: str) -> bool:
    addr = ip_of(ip)
    return addr is not None and addr.is_loopback


HOSTS = Key("host.hosts", HostsFile)


@parser("host.hosts")
def parse_hosts(text: str) -> Parsed[HostsFile]:
    """`/etc/hosts` (`cat /etc/hosts` or `getent hosts` output).

    >>> r = parse_hosts("127.0.0.1 localhost\\n10.0.0.5 compute3\\n# BEGIN ANSIBLE GENERATED HOSTS\\n"
    ...                 "192.168.56.113 compute3\\n# END ANSIBLE GENERATED HOSTS\\n")
    >>> d = r.value.duplicates()[0]
    >>> (d.name, d.ips, r.value.lookup("compute3").line, r.value.in_block(d.entries[1]))
    ('compute3', ('10.0.0.5', '192.168.56.113'), 2, True)
    """
    out = HostsFile()
    problems: list[ParseProblem] = []
    open_blocks: dict[str, int] = {}
    for no, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            body = line.lstrip("#").strip()
            for word in ("BEGIN ", "END "):
                if body.upper().startswith(word):
                    marker = body[len(word):].strip().upper()
                    if word == "BEGIN ":
                        open_blocks[marker] = no
                    elif marker in open_blocks:
                        out.blocks[marker] = (open_blocks.pop(marker), no)
            continue
        fields = line.split("#", 1)[0].split()
        if len(fields) < 2 or ip_of(fields[0]) is None:
            problems.append(ParseProblem("not `ADDRESS NAME...`", no, raw))
            continue
        out.entries.append(HostsEntry(fields[0], tuple(fields[1:]), no))
    if not out.entries:
        problems.insert(0, ParseProblem("no host entries found"))
        return Parsed(None, problems)
    if len(problems) > max(3, len(out.entries)):
        problems.insert(0, ParseProblem("mostly not `ADDRESS NAME` lines: not a hosts file"))
        return Parsed(None, problems)
    return Parsed(out, problems)
