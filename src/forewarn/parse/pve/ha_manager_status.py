"""`ha-manager status`: the HA stack's view of quorum, the CRM master, each node's LRM and every
HA service.

    quorum OK
    master pve0 (active, Wed Dec 18 19:56:46 2024)
    lrm pve0 (active, Wed Dec 18 19:56:46 2024)
    lrm pve1 (idle, Wed Dec 18 19:56:48 2024)
    service ct:100 (pve0, started)
    service vm:147 (pve1, error)

Each line is `<type> <status>` (pve-ha-manager, PVE/CLI/ha_manager.pm). The status of `master`
and `lrm` is `node (state[, more...], <localtime>)`; the state is `active`, `idle`,
`wait_for_agent_lock`, `lost_agent_lock`, `maintenance mode`, `old timestamp - dead?` or
`detected time drift!`; newer releases add fields such as `watchdog standby`, and an unreadable
LRM reads `node (unable to read lrm status)`. A service is `sid (node, state)`, the state one of
started, stopped, request_stop, starting, stopping, fence, recovery, freeze, ignored, migrate,
relocate, error, queued, disabled... `--verbose` appends `full cluster state:` and JSON, which is
not read here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from forewarn.model.keys import Key
from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser
from forewarn.parse._text import lazy_compile, to_int

_LINE = lazy_compile(r"^(?P<type>quorum|master|lrm|service)\s+(?P<rest>.*?)\s*$")
_NODE_PAREN = lazy_compile(r"^(?P<name>\S+)\s*\((?P<inner>.*)\)\s*$")
# `localtime()` in Perl: "Wed Dec 18 19:56:46 2024" (day padded with a space: "Sat Oct  3 ...")
_TIME = lazy_compile(r"^[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]?\d \d\d:\d\d:\d\d \d{4}$")
_SID = lazy_compile(r"^(?P<kind>vm|ct|[a-z]+):(?P<name>\S+)$")
_PROMPT = lazy_compile(r"^(\S+@\S+[:~#$\s].*?)?[#$]\s*ha-manager\b|^#\s")


@dataclass(frozen=True, slots=True)
class HaDaemon:
    """A CRM master or an LRM: its node, its state and the time it last wrote its status."""

    role: str  # "master" | "lrm"
    node: str
    state: str  # "active", "idle", "old timestamp - dead?", "maintenance mode", ...
    details: tuple[str, ...]  # further fields newer releases print ("watchdog standby")
    timestamp: str | None
    line: int

    @property
    def dead(self) -> bool:
        return self.state.startswith("old timestamp") or "unable to read" in self.state


@dataclass(frozen=True, slots=True)
class HaService:
    sid: str  # "vm:100", "ct:101"
    kind: str  # "vm" | "ct" | other resource types
    vmid: int | None
    node: str | None
    state: str  # "started", "error", "fence", ...
    line: int


@dataclass(slots=True)
class HaManagerStatus:
    quorate: bool | None  # None: no `quorum` line
    quorum_text: str | None
    quorum_line: int | None
    master: HaDaemon | None
    lrms: list[HaDaemon] = field(default_factory=list)
    services: list[HaService] = field(default_factory=list)

    def service(self, sid: str) -> HaService | None:
        return next((s for s in self.services if s.sid == sid), None)

    def in_state(self, *states: str) -> list[HaService]:
        return [s for s in self.services if s.state in states]

    def lrm(self, node: str) -> HaDaemon | None:
        return next((d for d in self.lrms if d.node == node), None)


def _daemon(role: str, rest: str, no: int) -> HaDaemon | None:
    m = _NODE_PAREN.match(rest)
    if not m:
        return None
    parts = [p.strip() for p in m.group("inner").split(",")]
    ts = parts.pop() if parts and _TIME.match(parts[-1]) else None
    state = parts[0] if parts else ""
    return HaDaemon(role, m.group("name"), state, tuple(p for p in parts[1:] if p), ts, no)


def _service(rest: str, no: int) -> HaService | None:
    m = _NODE_PAREN.match(rest)
    if not m:
        return None
    sid = m.group("name")
    sm = _SID.match(sid)
    if not sm:
        return None
    parts = [p.strip() for p in m.group("inner").split(",")]
    if len(parts) < 2:
        return None
    node = parts[0] or None
    vmid = to_int(sm.group("name"), signed=False)
    return HaService(sid, sm.group("kind"), vmid, node, parts[1], no)


# the API's /cluster/ha/status/current (parse/pve/api_ha_status.py) gives the same HaManagerStatus
HA_MANAGER_STATUS = Key("pve.ha_manager_status", HaManagerStatus, alternatives=("pve.api_ha_status",))


@parser("pve.ha_manager_status")
def parse_ha_manager_status(text: str) -> Parsed[HaManagerStatus]:
    """Parse `ha-manager status`.

    >>> r = parse_ha_manager_status("quorum OK\\nmaster pve1 (active, Wed Nov 23 11:07:23 2016)\\n"
    ...     "lrm pve2 (old timestamp - dead?, watchdog standby, Fri Aug 22 23:47:05 2025)\\n"
    ...     "service ct:100 (pve2, error)\\n")
    >>> s = r.value
    >>> (s.quorate, s.master.node, s.lrms[0].state, s.lrms[0].details, s.lrms[0].dead)
    (True, 'pve1', 'old timestamp - dead?', ('watchdog standby',), True)
    >>> [(x.sid, x.vmid, x.node, x.state) for x in s.in_state("error")], r.problems
    ([('ct:100', 100, 'pve2', 'error')], [])
    """
    problems: list[ParseProblem] = []
    st = HaManagerStatus(None, None, None, None)
    understood = 0
    for no, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or _PROMPT.match(line):
            continue
        if line.startswith("full cluster state:"):
            break  # --verbose: JSON follows
        m = _LINE.match(line)
        if not m:
            problems.append(ParseProblem("not an `ha-manager status` line", no, raw))
            continue
        kind, rest = m.group("type"), m.group("rest")
        if kind == "quorum":
            st.quorate = rest == "OK"
            st.quorum_text, st.quorum_line = rest, no
            understood += 1
        elif kind in ("master", "lrm"):
            d = _daemon(kind, rest, no)
            if d is None:
                problems.append(ParseProblem(f"`{kind}` line without `node (state, time)`", no, raw))
                continue
            understood += 1
            if kind == "master":
                st.master = d
            else:
                st.lrms.append(d)
        else:
            s = _service(rest, no)
            if s is None:
                problems.append(ParseProblem("`service` line without `sid (node, state)`", no, raw))
                continue
            understood += 1
            st.services.append(s)
    if not understood:
        problems.insert(0, ParseProblem("no quorum, master, lrm or service line"))
        return Parsed(None, problems)
    return Parsed(st, problems)
