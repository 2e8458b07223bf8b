"""`pvecm status` and `corosync-quorumtool -s`: quorum of a corosync cluster.

Both print the same blocks (pvecm adds "Cluster information"). When corosync is down they
print only an error such as `Cannot initialize CMAP service`; that is a state, not junk.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from forewarn.model.keys import Key
from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser
from forewarn.parse._text import lazy_compile, to_int


@dataclass(frozen=True, slots=True)
class Member:
    nodeid: int
    votes: int | None
    name: str  # as printed: a node name, an address (`-i`), or "Qdevice" for the QDevice's row
    local: bool = False
    qdevice: str | None = None  # the Qdevice column: "A,V,NMW", "NA,NV,NMW", "NR", ...

    @property
    def is_qdevice(self) -> bool:
        """The QDevice's own row (`0  1  Qdevice`, or `Qdevice (votes 1)` when it gives none)."""
        return self.nodeid == 0 and self.name.split(" ", 1)[0] == "Qdevice"


@dataclass(frozen=True, slots=True)
class QuorumStatus:
    quorate: bool | None  # None: the output does not say (which is not False)
    expected_votes: int | None = None
    highest_expected: int | None = None
    total_votes: int | None = None
    quorum: int | None = None
    activity_blocked: bool = False
    flags: tuple[str, ...] = ()
    node_id: int | None = None
    ring_id: str | None = None
    nodes: int | None = None
    cluster_name: str | None = None
    config_version: int | None = None
    transport: str | None = None
    members: tuple[Member, ...] = ()
    service_error: str | None = None  # "Cannot initialize CMAP service", ...
    # `Corosync config '/etc/pve/corosync.conf' does not exist - is this node part of a cluster?`:
    # a stand-alone node, where corosync not answering is normal
    standalone: bool = False
    lines: dict[str, int] = field(default_factory=dict)  # field -> line number, for evidence

    @property
    def local_member(self) -> Member | None:
        return next((m for m in self.members if m.local), None)


_SERVICE_ERROR = lazy_compile(r"^(Cannot initialize (CMAP|QUORUM|CFG|CPG|VOTEQUORUM) service|"
                              r"(?:Error: )?Corosync config '.*' does not exist.*|"
                              r"Could not connect to .*corosync.*)", re.I)
_MEMBER = lazy_compile(r"^\s*(0x[0-9a-fA-F]+|\d+)\s+(\d+)\s+(.*?)\s*$")
# corosync-quorumtool's Qdevice column (with a QDevice configured): Alive/Not-Alive, Vote/No-Vote,
# Master-Wait/No-Master-Wait, or NR (not registered); nothing on the QDevice's own row
_QDEVICE_FLAGS = lazy_compile(r"^(?:NR|N?A,N?V,N?MW)$")
_KEYS = {
    "Expected votes": "expected_votes",
    "Highest expected": "highest_expected",
    "Total votes": "total_votes",
    "Nodes": "nodes",
    "Config Version": "config_version",
}


def _nodeid(text: str) -> int | None:
    text = text.strip()
    try:
        return int(text, 16) if text.lower().startswith("0x") else int(text)
    except ValueError:
        return None


def parse_member(raw: str) -> Member | None:
    """One row of the membership table: `Nodeid Votes [Qdevice] Name`.

    The Qdevice column is there only when a QDevice is configured; it is recognised by its flag
    words, never by position, so a node name is never taken for flags.

    >>> parse_member("         2          1         NR node2")
    Member(nodeid=2, votes=1, name='node2', local=False, qdevice='NR')
    >>> parse_member("0x00000001          1 10.77.0.11 (local)")
    Member(nodeid=1, votes=1, name='10.77.0.11', local=True, qdevice=None)
    >>> parse_member("         0          0            Qdevice (votes 1)").is_qdevice
    True
    """
    mm = _MEMBER.match(raw)
    if not mm or _nodeid(mm.group(1)) is None:
        return None
    rest = mm.group(3)
    flags: str | None = None
    first, _, after = rest.partition(" ")
    if after.strip() and _QDEVICE_FLAGS.match(first):
        flags, rest = first, after.strip()
    local = rest.endswith("(local)")
    name = rest[: -len("(local)")].strip() if local else rest
    if not name:
        return None
    return Member(_nodeid(mm.group(1)) or 0, to_int(mm.group(2)), name, local, flags)


PVECM_STATUS = Key("pve.pvecm_status", QuorumStatus)
COROSYNC_QUORUMTOOL = Key("pve.corosync_quorumtool", QuorumStatus)


@parser("pve.pvecm_status", "pve.corosync_quorumtool")
def parse_quorum_status(text: str) -> Parsed[QuorumStatus]:
    """Parse `pvecm status` / `corosync-quorumtool -s`.

    >>> r = parse_quorum_status("Quorate: No\\nExpected votes: 5\\nTotal votes: 2\\n"
    ...                         "Quorum: 3 Activity blocked\\nFlags:\\n")
    >>> (r.value.quorate, r.value.total_votes, r.value.quorum, r.value.activity_blocked)
    (False, 2, 3, True)
    """
    problems: list[ParseProblem] = []
    vals: dict[str, object] = {}
    lines: dict[str, int] = {}
    members: list[Member] = []
    in_members = False
    service_error: str | None = None
    standalone = False
    for no, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or set(line) <= {"-"}:
            continue
        m = _SERVICE_ERROR.match(line)
        if m:
            service_error = service_error or m.group(1)
            lines.setdefault("service_error", no)
            standalone = standalone or "does not exist" in line
            continue
        if line in ("Membership information",):
            in_members = True
            continue
        if line.endswith("information") and ":" not in line:
            in_members = False
            continue
        if in_members:
            if line.startswith("Nodeid"):
                continue
            member = parse_member(raw)
            if member is not None:
                members.append(member)
            else:
                problems.append(ParseProblem("unrecognised membership line", no, raw))
            continue
        if ":" not in line:
            problems.append(ParseProblem("unrecognised line", no, raw))
            continue
        key, _, value = line.partition(":")
        key, value = key.strip(), value.strip()
        if key in _KEYS:
            vals[_KEYS[key]] = to_int(value)
            lines[_KEYS[key]] = no
        elif key == "Quorum":
            parts = value.split(None, 1)
            vals["quorum"] = to_int(parts[0]) if parts else None
            vals["activity_blocked"] = "Activity blocked" in value
            lines["quorum"] = no
        elif key == "Quorate":
            vals["quorate"] = {"yes": True, "no": False}.get(value.lower())
            lines["quorate"] = no
        elif key == "Flags":
            vals["flags"] = tuple(value.split())
            lines["flags"] = no
        elif key == "Node ID":
            vals["node_id"] = _nodeid(value)
        elif key == "Ring ID":
            vals["ring_id"] = value
        elif key == "Name":
            vals["cluster_name"] = value
        elif key == "Transport":
            vals["transport"] = value
        elif key in ("Date", "Quorum provider", "Secure auth", "Membership information"):
            pass
        else:
            problems.append(ParseProblem(f"unknown key {key!r}", no, raw))

    if not vals and not service_error:
        problems.append(ParseProblem("no quorum information found"))
        return Parsed(None, problems)
    quorate = vals.get("quorate")
    flags = vals.get("flags", ())
    if quorate is None and "flags" in vals:
        quorate = "Quorate" in flags  # type: ignore[operator]
    if service_error and quorate is None:
        quorate = None  # corosync is not answering: quorum is unknown, the error is the fact
    status = QuorumStatus(
        quorate=quorate,  # type: ignore[arg-type]
        expected_votes=vals.get("expected_votes"),  # type: ignore[arg-type]
        highest_expected=vals.get("highest_expected"),  # type: ignore[arg-type]
        total_votes=vals.get("total_votes"),  # type: ignore[arg-type]
        quorum=vals.get("quorum"),  # type: ignore[arg-type]
        activity_blocked=bool(vals.get("activity_blocked", False)),
        flags=flags,  # type: ignore[arg-type]
        node_id=vals.get("node_id"),  # type: ignore[arg-type]
        ring_id=vals.get("ring_id"),  # type: ignore[arg-type]
        nodes=vals.get("nodes"),  # type: ignore[arg-type]
        cluster_name=vals.get("cluster_name"),  # type: ignore[arg-type]
        config_version=vals.get("config_version"),  # type: ignore[arg-type]
        transport=vals.get("transport"),  # type: ignore[arg-type]
        members=tuple(members),
        service_error=service_error,
        standalone=standalone,
        lines=lines,
    )
    return Parsed(status, problems)
