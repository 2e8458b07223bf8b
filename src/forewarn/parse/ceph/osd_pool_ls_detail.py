"""Ceph pools and their replication: `ceph osd pool ls detail`, text or `-f json`.

    pool 4 'replicapool1' replicated size 2 min_size 2 crush_rule 1 object_hash rjenkins pg_num 32 ...
    pool 7 'ecpool' erasure profile k4m2 size 6 min_size 5 crush_rule 2 ...

`size` is the number of copies (or k+m chunks of an erasure-coded pool), `min_size` how many of
them must be up for the PG to accept I/O. In JSON, `type` is 1 for replicated and 3 for erasure
(ceph src/osd/osd_types.h pg_pool_t::TYPE_*).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from forewarn.model.keys import Key
from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser
from forewarn.parse._text import lazy_compile


@dataclass(frozen=True, slots=True)
class CephPool:
    id: int
    name: str
    type: str  # "replicated" | "erasure" | ""
    size: int | None
    min_size: int | None
    line: int = 0  # 0 in JSON


@dataclass(slots=True)
class CephPools:
    pools: list[CephPool] = field(default_factory=list)


POOLS = Key("ceph.osd_pool_ls_detail", CephPools)

_POOL = lazy_compile(r"^pool (?P<id>\d+) '(?P<name>[^']*)' (?P<type>replicated|erasure)\b(?P<rest>.*)$")
_FIELD = lazy_compile(r"\b(?P<k>size|min_size) (?P<v>\d+)\b")
_TYPES = {1: "replicated", 3: "erasure"}


@parser("ceph.osd_pool_ls_detail")
def parse_pool_ls_detail(text: str) -> Parsed[CephPools]:
    """Parse `ceph osd pool ls detail` (text or JSON).

    >>> r = parse_pool_ls_detail("pool 4 'replicapool1' replicated size 2 min_size 2 crush_rule 1 object_hash rjenkins\\n")
    >>> p = r.value.pools[0]
    >>> (p.name, p.type, p.size, p.min_size, p.line)
    ('replicapool1', 'replicated', 2, 2, 1)
    """
    if text.lstrip().startswith("["):
        return _parse_json(text)
    out = CephPools()
    problems: list[ParseProblem] = []
    for no, raw in enumerate(text.splitlines(), 1):
        s = raw.strip()
        if not s:
            continue
        m = _POOL.match(s)
        if not m:
            if s.startswith("pool "):
                problems.append(ParseProblem("a pool line without replicated/erasure", no, raw))
            continue  # the indented `removed_snaps` / `snap` lines under a pool
        fields = {f.group("k"): int(f.group("v")) for f in _FIELD.finditer(m.group("rest"))}
        out.pools.append(CephPool(int(m.group("id")), m.group("name"), m.group("type"),
                                  fields.get("size"), fields.get("min_size"), no))
    if not out.pools:
        return Parsed(None, problems or [ParseProblem("no `pool N 'name' replicated|erasure ...` line")])
    return Parsed(out, problems)


def _parse_json(text: str) -> Parsed[CephPools]:
    try:
        doc = json.loads(text)
    except ValueError as e:
        return Parsed(None, [ParseProblem(f"not JSON: {e}")])
    out = CephPools()
    for p in doc if isinstance(doc, list) else []:
        if not isinstance(p, dict) or not isinstance(p.get("pool_name"), str):
            continue
        ints = {k: p.get(k) if isinstance(p.get(k), int) and not isinstance(p.get(k), bool) else None
                for k in ("pool_id", "type", "size", "min_size")}
        out.pools.append(CephPool(ints["pool_id"] or 0, p["pool_name"], _TYPES.get(ints["type"] or 0, ""),
                                  ints["size"], ints["min_size"]))
    if not out.pools:
        return Parsed(None, [ParseProblem("JSON without pools (pool_name): not ceph osd pool ls detail")])
    return Parsed(out, [])
