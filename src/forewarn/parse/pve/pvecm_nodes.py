"""`pvecm nodes`: the cluster members this node sees.

`pvecm nodes` runs `corosync-quorumtool -l` (PVE/CLI/pvecm.pm), which prints a blank line and
one table; with a QDevice configured the table has a Qdevice column and a row for the QDevice:

    Membership information
    ----------------------
        Nodeid      Votes Name
             1          1 pve1 (local)
             2          1 pve2

When corosync is not running it prints only `Cannot initialize CMAP service`: a state, not junk.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from forewarn.model.keys import Key
from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser
from forewarn.parse.pve.quorum_status import _SERVICE_ERROR, Member, parse_member
from forewarn.parse._text import lazy_compile


@dataclass(frozen=True, slots=True)
class PvecmNodes:
    members: tuple[Member, ...]  # as listed, the QDevice's row included
    service_error: str | None = None  # "Cannot initialize CMAP service", ...
    lines: dict[int, int] = field(default_factory=dict)  # nodeid -> line number

    @property
    def nodes(self) -> tuple[Member, ...]:
        """The members that are cluster nodes (without the QDevice's row)."""
        return tuple(m for m in self.members if not m.is_qdevice)

    @property
    def local(self) -> Member | None:
        return next((m for m in self.members if m.local), None)


_HEADER = lazy_compile(r"^Nodeid\s+Votes\s+(?:Qdevice\s+)?Name$")


PVECM_NODES = Key("pve.pvecm_nodes", PvecmNodes)


@parser("pve.pvecm_nodes")
def parse_pvecm_nodes(text: str) -> Parsed[PvecmNodes]:
    """Parse `pvecm nodes` (= `corosync-quorumtool -l`).

    >>> r = parse_pvecm_nodes("Membership information\\n----------------------\\n"
    ...                       "    Nodeid      Votes Name\\n         1          1 pve1 (local)\\n"
    ...                       "         2          1 pve2\\n")
    >>> [(m.nodeid, m.name, m.local) for m in r.value.members], r.problems
    ([(1, 'pve1', True), (2, 'pve2', False)], [])
    """
    problems: list[ParseProblem] = []
    members: list[Member] = []
    lines: dict[int, int] = {}
    service_error: str | None = None
    seen_header = False
    for no, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or set(line) <= {"-", "~"}:
            continue
        m = _SERVICE_ERROR.match(line)
        if m:
            service_error = service_error or m.group(1)
            continue
        if line == "Membership information":
            seen_header = True
            continue
        if _HEADER.match(line):
            seen_header = True
            continue
        member = parse_member(raw)
        if member is not None:
            members.append(member)
            lines.setdefault(member.nodeid, no)
        else:
            problems.append(ParseProblem("not a membership row", no, raw))
    if not members and not service_error:
        if not seen_header:
            problems.insert(0, ParseProblem("no membership table found"))
            return Parsed(None, problems)
    return Parsed(PvecmNodes(tuple(members), service_error, lines), problems)
