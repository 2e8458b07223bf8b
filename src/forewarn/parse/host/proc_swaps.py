"""`/proc/swaps`: the swap areas in use (mm/swapfile.c swap_show).

    Filename				Type		Size		Used		Priority
    /dev/dm-2                               partition	16777212	123176		-1

Sizes in KiB. A file with the header alone means no swap is on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from forewarn.model.keys import Key
from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser

_HEADER = re.compile(r"^Filename\s+Type\s+Size\s+Used\s+Priority\s*$")
_ROW = re.compile(r"^(?P<name>\S+(?: \S+)*?)\s+(?P<type>partition|file|\w+)\s+(?P<size>\d+)\s+(?P<used>\d+)\s+"
                  r"(?P<prio>-?\d+)\s*$")


@dataclass(frozen=True, slots=True)
class SwapArea:
    name: str
    type: str
    size_kib: int
    used_kib: int
    priority: int
    line: int


@dataclass(slots=True)
class ProcSwaps:
    areas: list[SwapArea] = field(default_factory=list)
    header_line: int = 0


PROC_SWAPS = Key("host.proc_swaps", ProcSwaps)


@parser("host.proc_swaps")
def parse_proc_swaps(text: str) -> Parsed[ProcSwaps]:
    """Parse `/proc/swaps`.

    >>> r = parse_proc_swaps("Filename\\t\\t\\t\\tType\\t\\tSize\\tUsed\\tPriority\\n"
    ...                      "/dev/dm-2                               partition\\t16777212\\t123176\\t-1\\n")
    >>> [(a.name, a.type, a.size_kib, a.used_kib, a.line) for a in r.value.areas]
    [('/dev/dm-2', 'partition', 16777212, 123176, 2)]
    """
    out = ProcSwaps()
    problems: list[ParseProblem] = []
    for no, raw in enumerate(text.splitlines(), 1):
        s = raw.strip()
        if not s:
            continue
        if _HEADER.match(s):
            out.header_line = no
            continue
        m = _ROW.match(s)
        if m and out.header_line:
            out.areas.append(SwapArea(m.group("name"), m.group("type"), int(m.group("size")), int(m.group("used")),
                                      int(m.group("prio")), no))
        else:
            problems.append(ParseProblem("not a /proc/swaps row", no, raw))
    if not out.header_line:
        return Parsed(None, [ParseProblem("no `Filename Type Size Used Priority` header"), *problems[:5]])
    return Parsed(out, problems[:10])
