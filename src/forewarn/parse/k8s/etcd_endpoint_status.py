"""`etcdctl endpoint status` (table or the default simple format): each member's database size,
version, leadership and alarms.

    +------------------+------------------+---------+---------+-----------+...+--------+
    |     ENDPOINT     |        ID        | VERSION | DB SIZE | IS LEADER |...| ERRORS |
    | 10.244.0.70:2379 | 7bff01e54b7e3ab3 |   3.5.9 |   20 kB |     false |...|        |

    127.0.0.1:2379, 8e9e05c52164694d, 3.4.15, 33 kB, true, false, 3, 144, 144,

Sizes are printed by go-humanize (`humanize.Bytes`): SI units, one decimal below 10.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from forewarn.model.keys import Key
from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser
from forewarn.parse._text import lazy_compile

_UNITS = {"B": 1, "kB": 10**3, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12, "PB": 10**15,
          "KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "TiB": 2**40}
_SIZE = lazy_compile(r"^(?P<n>\d+(?:\.\d+)?)\s*(?P<unit>[kKMGTP]i?B|B)$")
_SIMPLE = lazy_compile(r"^(?P<ep>\S+), (?P<id>[0-9a-f]+), (?P<version>\d+\.\d+\.\d+\S*), (?P<size>\d+(?:\.\d+)? \w+), "
                       r"(?P<leader>true|false), (?P<rest>.*)$")


def size_bytes(text: str) -> int | None:
    """`2.1 GB` -> 2100000000 (None if not a size).

    >>> size_bytes("2.1 GB"), size_bytes("45 kB"), size_bytes("n/a")
    (2100000000, 45000, None)
    """
    m = _SIZE.match(text.strip())
    return int(float(m.group("n")) * _UNITS[m.group("unit")]) if m else None


@dataclass(frozen=True, slots=True)
class EtcdMember:
    endpoint: str
    id: str
    version: str
    db_size: str  # as printed
    db_bytes: int | None
    leader: bool | None
    errors: str  # the ERRORS column (alarms such as `alarm:NOSPACE`), "" when empty or not shown
    line: int


@dataclass(slots=True)
class EtcdStatus:
    members: list[EtcdMember] = field(default_factory=list)


ETCD_STATUS = Key("k8s.etcd_endpoint_status", EtcdStatus)


def _bool(v: str) -> bool | None:
    return {"true": True, "false": False}.get(v.strip().lower())


@parser("k8s.etcd_endpoint_status")
def parse_etcd_endpoint_status(text: str) -> Parsed[EtcdStatus]:
    """Parse `etcdctl endpoint status [-w table]`.

    >>> t = ("| ENDPOINT | ID | VERSION | DB SIZE | IS LEADER | RAFT TERM | RAFT INDEX |\\n"
    ...      "| https://localhost:2379 | 404484f5ef90cf4c |  3.3.13 |  2.1 GB |     false |      2975 |   53109325 |")
    >>> m = parse_etcd_endpoint_status(t).value.members[0]
    >>> (m.endpoint, m.version, m.db_bytes, m.leader, m.line)
    ('https://localhost:2379', '3.3.13', 2100000000, False, 2)
    """
    out = EtcdStatus()
    problems: list[ParseProblem] = []
    header: list[str] | None = None
    for no, raw in enumerate(text.splitlines(), 1):
        s = raw.strip()
        if not s or s.startswith("+-"):
            continue
        if s.startswith("|"):
            cells = [c.strip() for c in s.strip("|").split("|")]
            if "ENDPOINT" in cells and "DB SIZE" in cells:
                header = [c.upper() for c in cells]
                continue
            if header is None:
                problems.append(ParseProblem("table row before the header", no, raw))
                continue
            if len(cells) != len(header):
                problems.append(ParseProblem(f"{len(cells)} cells, the header has {len(header)}", no, raw))
                continue
            row = dict(zip(header, cells))
            size = row.get("DB SIZE", "")
            out.members.append(EtcdMember(row.get("ENDPOINT", ""), row.get("ID", ""), row.get("VERSION", ""),
                                          size, size_bytes(size), _bool(row.get("IS LEADER", "")),
                                          row.get("ERRORS", ""), no))
            continue
        m = _SIMPLE.match(s)
        if m:
            # etcdctl 3.4+ adds IS LEARNER, RAFT TERM/INDEX/APPLIED INDEX and ERRORS after IS LEADER
            rest = [c.strip(" ,") for c in m.group("rest").split(", ")]
            errors = ", ".join(c for c in rest if c and not re.fullmatch(r"\d+|true|false", c))
            out.members.append(EtcdMember(m.group("ep"), m.group("id"), m.group("version"), m.group("size"),
                                          size_bytes(m.group("size")), _bool(m.group("leader")), errors, no))
            continue
        problems.append(ParseProblem("not an `etcdctl endpoint status` row", no, raw))
    if not out.members:
        return Parsed(None, [ParseProblem("no etcd member status found"), *problems[:10]])
    return Parsed(out, problems[:20])
