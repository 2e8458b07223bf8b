"""Pool capacity: `zpool list` (zfs.zpool_list) and `zpool get` (the same properties, one a line).

    NAME    SIZE  ALLOC   FREE  CKPOINT  EXPANDSZ   FRAG    CAP  DEDUP    HEALTH  ALTROOT
    rpool   7.50G  7.49G  14.5M        -         -    52%    99%  1.00x    ONLINE  -

The columns are found by their header (older releases have no CKPOINT, `-o` picks others);
indented lines of `zpool list -v` are vdevs and are skipped. `zpool get all <pool>` prints
`NAME PROPERTY VALUE SOURCE` rows; capacity, size, free, allocated, fragmentation and health are
taken from it. `-p` prints exact numbers (`99` instead of `99%`): both are read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from forewarn.model.keys import Key
from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser

# header word (zpool list) or property (zpool get) -> field
_COLUMNS = {"NAME": "name", "SIZE": "size", "ALLOC": "allocated", "FREE": "free", "FRAG": "fragmentation",
            "CAP": "capacity", "HEALTH": "health"}
_PROPS = {"size": "size", "allocated": "allocated", "free": "free", "fragmentation": "fragmentation",
          "capacity": "capacity", "health": "health"}


@dataclass(slots=True)
class PoolUsage:
    name: str
    line: int
    size: str | None = None  # as printed: `7.50G`, or bytes with -p
    allocated: str | None = None
    free: str | None = None
    fragmentation: int | None = None  # percent; None for `-` (no spacemap_histogram feature)
    capacity: int | None = None  # percent used
    health: str | None = None
    lines: dict[str, int] = field(default_factory=dict)  # property -> line (zpool get)


@dataclass(slots=True)
class ZpoolList:
    pools: list[PoolUsage] = field(default_factory=list)
    no_pools: bool = False

    def get(self, name: str) -> PoolUsage | None:
        return next((p for p in self.pools if p.name == name), None)


ZPOOL_LIST = Key("zfs.zpool_list", ZpoolList)


def _pct(v: str | None) -> int | None:
    m = re.fullmatch(r"(\d+)(?:\.\d+)?%?", (v or "").strip())
    return int(m.group(1)) if m else None


def _set(p: PoolUsage, key: str, value: str) -> None:
    if key in ("capacity", "fragmentation"):
        setattr(p, key, _pct(value))
    else:
        setattr(p, key, None if value == "-" else value)


@parser("zfs.zpool_list")
def parse_zpool_list(text: str) -> Parsed[ZpoolList]:
    """Parse `zpool list [-p] [-v] [-o ...]` or `zpool get all [pool]`.

    >>> r = parse_zpool_list('''NAME    SIZE  ALLOC   FREE  CKPOINT  EXPANDSZ   FRAG    CAP  DEDUP    HEALTH  ALTROOT
    ... rpool  7.50G  7.49G  14.5M        -         -    52%    99%  1.00x    ONLINE  -''')
    >>> p = r.value.pools[0]
    >>> (p.name, p.capacity, p.fragmentation, p.free, p.health, r.problems)
    ('rpool', 99, 52, '14.5M', 'ONLINE', [])
    """
    out = ZpoolList()
    problems: list[ParseProblem] = []
    cols: list[str] | None = None
    get_mode = False
    for no, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        if line == "no pools available":
            out.no_pools = True
            continue
        words = line.split()
        if words[:4] == ["NAME", "PROPERTY", "VALUE", "SOURCE"] or words[:3] == ["NAME", "PROPERTY", "VALUE"]:
            get_mode, cols = True, None
            continue
        if words[0] == "NAME" and len(words) >= 3 and all(w.isupper() for w in words):
            cols, get_mode = [_COLUMNS.get(w, w.lower()) for w in words], False
            continue
        if get_mode and len(words) >= 3 and not raw[:1].isspace():
            name, prop, value = words[0], words[1], words[2]
            if prop in _PROPS:
                p = out.get(name)
                if p is None:
                    p = PoolUsage(name, no)
                    out.pools.append(p)
                _set(p, _PROPS[prop], value)
                p.lines[_PROPS[prop]] = no
            continue
        if cols is not None:
            if raw[:1].isspace():
                continue  # `zpool list -v`: a vdev or device line
            if len(words) != len(cols):
                problems.append(ParseProblem("row does not match the header's columns", no, raw[:200]))
                continue
            row = dict(zip(cols, words))
            p = PoolUsage(row["name"], no)
            for key in ("size", "allocated", "free", "fragmentation", "capacity", "health"):
                if key in row:
                    _set(p, key, row[key])
            out.pools.append(p)
            continue
        problems.append(ParseProblem("not a `zpool list` or `zpool get` line", no, raw[:200]))
    if not out.pools and not out.no_pools:
        return Parsed(None, [ParseProblem("no pool in it")] + problems[:5])
    return Parsed(out, problems[:20])
