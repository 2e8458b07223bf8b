"""Active swap areas: `/proc/swaps` (host.swaps), also `swapon -s` (the same table) and
`swapon --show` (NAME TYPE SIZE USED PRIO).

    Filename                                Type            Size    Used    Priority
    /dev/dm-1                               partition       892924  29004   -1

The kernel escapes spaces in a path as `\\040`; sizes are KiB in /proc/swaps and human in
`swapon --show` (kept as printed).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from forewarn.model.keys import Key
from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser
from forewarn.parse._text import lazy_compile

_HEADER = lazy_compile(r"^(?:Filename\s+Type\s+Size\s+Used\s+Priority|NAME\s+TYPE\s+SIZE\s+USED\s+PRIO)\s*$")
_ROW = lazy_compile(r"^(?P<name>/\S+)\s+(?P<type>partition|file)\s+(?P<size>\S+)\s+(?P<used>\S+)\s+(?P<prio>-?\d+)\s*$")
_ZVOL = lazy_compile(r"^/dev/(?:zd\d+|zvol/\S+)$")


@dataclass(slots=True)
class SwapArea:
    name: str  # /dev/dm-1, /swapfile, /dev/zd0
    kind: str  # partition | file
    size: str
    used: str
    priority: int
    line: int

    @property
    def on_zvol(self) -> bool:
        """A ZFS volume: /dev/zdN (what the kernel lists) or a /dev/zvol/<pool>/<name> link."""
        return bool(_ZVOL.match(self.name))


@dataclass(slots=True)
class Swaps:
    areas: list[SwapArea] = field(default_factory=list)


SWAPS = Key("host.swaps", Swaps)


@parser("host.swaps")
def parse_swaps(text: str) -> Parsed[Swaps]:
    """Parse /proc/swaps.

    >>> r = parse_swaps("Filename\\t\\t\\t\\tType\\t\\tSize\\t\\tUsed\\t\\tPriority\\n"
    ...                 "/dev/zd0                                partition\\t8388604\\t\\t0\\t\\t-2\\n")
    >>> a = r.value.areas[0]
    >>> (a.name, a.kind, a.on_zvol, a.priority, r.problems)
    ('/dev/zd0', 'partition', True, -2, [])
    """
    out = Swaps()
    problems: list[ParseProblem] = []
    header = False
    for no, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        if _HEADER.match(line):
            header = True
            continue
        m = _ROW.match(line)
        if m and header:
            out.areas.append(SwapArea(m.group("name").replace("\\040", " "), m.group("type"), m.group("size"),
                                      m.group("used"), int(m.group("prio")), no))
            continue
        problems.append(ParseProblem("not a /proc/swaps line", no, raw[:200]))
    if not header:
        return Parsed(None, [ParseProblem("no /proc/swaps header (Filename Type Size Used Priority)")] + problems[:5])
    return Parsed(out, problems[:20])
