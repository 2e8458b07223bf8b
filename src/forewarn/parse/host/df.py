"""`df`: filesystem usage, as `df -P -k -l` (host.df) prints it, or pasted `df -h` / `df -a`.

    Filesystem     1024-blocks    Used Available Capacity Mounted on
    /dev/mapper/pve-root 3.4G 3.1G 114M  97% /

Columns are found by position (filesystem, size, used, available, use%, mount point); the mount
point is the rest of the line (it may hold spaces). Without `-P` df puts a long filesystem name
on a line of its own and the numbers on the next: both lines make one entry. Human sizes (`3.4G`,
`3,8G` in a comma locale) and 1K blocks (`-k`, `-P`) become bytes; `-` (pseudo filesystems of
`df -a`) stays None.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from forewarn.model.keys import Key
from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser
from forewarn.parse._text import lazy_compile

_HEADER = lazy_compile(r"^Filesystem\s+(?:Type\s+)?(?P<unit>Size|1K-blocks|1024-blocks|512-blocks|\d+[KMG]?-blocks)\s+"
                       r"Used\s+Avail(?:able)?\s+(?:Use%|Capacity)\s+Mounted on\s*$")
_NUM = r"(?:\d+(?:[.,]\d+)?[KMGTPE]?|-)"
_ROW = lazy_compile(rf"^(?P<fs>\S+)?\s+(?:(?P<type>[a-z][\w.]*)\s+)?(?P<size>{_NUM})\s+(?P<used>{_NUM})\s+"
                    rf"(?P<avail>{_NUM})\s+(?P<pct>\d+%|-)\s+(?P<mount>/.*|-)$")
_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40, "P": 1 << 50, "E": 1 << 60}


@dataclass(slots=True)
class DfEntry:
    filesystem: str
    mount: str
    size: int | None  # bytes
    used: int | None
    available: int | None
    use_percent: int | None  # as df rounds it (up)
    line: int
    fstype: str | None = None


@dataclass(slots=True)
class Df:
    entries: list[DfEntry] = field(default_factory=list)

    def at(self, mount: str) -> DfEntry | None:
        """The last entry mounted at `mount` (the one that is visible when mounts are stacked)."""
        hits = [e for e in self.entries if e.mount == mount]
        return hits[-1] if hits else None


DF = Key("host.df", Df)


def _bytes(value: str, block: int | None) -> int | None:
    if value == "-":
        return None
    m = re.fullmatch(r"(\d+(?:[.,]\d+)?)([KMGTPE]?)", value)
    if not m:
        return None
    num = float(m.group(1).replace(",", "."))
    if m.group(2) or block is None:  # human size (`-h` prints a unit, except for 0)
        return int(round(num * _UNITS[m.group(2)]))
    return int(num) * block


def _block(unit: str) -> int | None:
    """Bytes per number of the header's size column; None for `Size` (human sizes)."""
    if unit == "Size":
        return None
    m = re.match(r"(\d+)([KMG]?)-blocks", unit)
    if m:
        return int(m.group(1)) * _UNITS[m.group(2)]
    return 1024  # 1K-blocks


@parser("host.df")
def parse_df(text: str) -> Parsed[Df]:
    """Parse `df -P -k -l` (or pasted `df -h`, `df -a`, `df -T`).

    >>> r = parse_df('''Filesystem            Size  Used Avail Use% Mounted on
    ... udev                  959M     0  959M   0% /dev
    ... /dev/mapper/pve-root  3.4G  3.1G  114M  97% /''')
    >>> e = r.value.at("/")
    >>> (e.filesystem, e.use_percent, e.available, r.problems)
    ('/dev/mapper/pve-root', 97, 119537664, [])
    """
    out = Df()
    problems: list[ParseProblem] = []
    block: int | None = 1024
    header = False
    pending: tuple[str, int] | None = None  # a filesystem name alone on its line (wrapped df output)
    for no, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        h = _HEADER.match(line)
        if h:
            header, block, pending = True, _block(h.group("unit")), None
            continue
        m = _ROW.match(line if not raw[:1].isspace() or pending is None else " " + line)
        if m and (m.group("fs") or pending):
            fs = m.group("fs") or (pending[0] if pending else "")
            pct = m.group("pct")
            out.entries.append(DfEntry(fs, m.group("mount"), _bytes(m.group("size"), block),
                                       _bytes(m.group("used"), block), _bytes(m.group("avail"), block),
                                       int(pct[:-1]) if pct != "-" else None,
                                       pending[1] if pending and not m.group("fs") else no, m.group("type")))
            pending = None
            continue
        if header and len(line.split()) == 1:
            pending = (line, no)
            continue
        problems.append(ParseProblem("not a `df` line", no, raw[:200]))
    if not out.entries:
        return Parsed(None if not header else out, [ParseProblem("no filesystem in df output")] + problems[:5])
    return Parsed(out, problems[:20])
