"""The Ceph cluster's health checks as every node's evidence shows them, as one cluster view.

Every node of a cluster answers `ceph -s` / `ceph health detail` for the same cluster, so a check
seen on three nodes is one problem: it is reported once, with each node's evidence. `ceph health
detail` is preferred (it names codes and details), `ceph -s` fills in. Without either, log or
pasted lines that the knowledge base recognises (`ceph_osd_full`, ...) stand in for the check.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from forewarn.facts import logs
from forewarn.model.findings import EvidenceRef
from forewarn.model.keys import Key
from forewarn.model.outcomes import CouldNotCheck
from forewarn.parse.ceph.health import HEALTH_DETAIL, STATUS, CephHealth, HealthCheck

if TYPE_CHECKING:
    from forewarn.facts.context import Context, Fact

HEALTH_KEYS = (HEALTH_DETAIL, STATUS)
# what the rules read: the two health specs and every log (signature events)
READS: tuple[Key[Any], ...] = (HEALTH_DETAIL, STATUS, *logs.LOG_SPECS)


@dataclass(slots=True)
class Seen:
    """One health check of the cluster (or the log lines that stand for it)."""

    code: str
    severity: str  # HEALTH_WARN / HEALTH_ERR, "" when no evidence says
    summary: str
    detail: tuple[str, ...] = ()
    nodes: list[str] = field(default_factory=list)
    evidence: list[EvidenceRef] = field(default_factory=list)
    muted: bool = False
    from_logs: bool = False


def health_facts(ctx: "Context") -> list["Fact[CephHealth]"]:
    return [f for key in HEALTH_KEYS for f in ctx.facts(key)]


def checks(ctx: "Context", codes: tuple[str, ...] = ()) -> list[Seen]:
    """The cluster's health checks (only `codes`, if given), one per code, in first-seen order."""
    out: dict[str, Seen] = {}
    for f in health_facts(ctx):
        for c in f.value.checks:
            if codes and c.code not in codes:
                continue
            _merge(out, f, c)
    return list(out.values())


def _merge(out: dict[str, Seen], f: "Fact[CephHealth]", c: HealthCheck) -> None:
    key = c.code or c.summary
    ref = f.ref([c.line]) if c.line else f.ref()
    s = out.get(key)
    if s is None:
        out[key] = Seen(c.code, c.severity, c.summary, c.detail, [f.node], [ref], c.muted)
        return
    if f.node not in s.nodes:
        s.nodes.append(f.node)
    if not any(r.node == ref.node and r.spec == ref.spec for r in s.evidence):
        s.evidence.append(ref)
    s.severity = s.severity or c.severity
    if len(c.detail) > len(s.detail):
        s.detail = c.detail


def statuses(ctx: "Context") -> list[tuple[str, "Fact[CephHealth]"]]:
    """(HEALTH_x, fact) of every node that reported a status."""
    return [(f.value.status, f) for f in health_facts(ctx) if f.value.status]


def log_checks(ctx: "Context", kinds: tuple[str, ...], code: str, summary: str) -> list[Seen]:
    """Log (or pasted) lines of `kinds` as one check, when no health command output is there."""
    evs = logs.events(ctx, None, kinds)
    if not evs:
        return []
    nodes = list(dict.fromkeys(e.node for e in evs))
    return [Seen(code, "", summary, tuple(dict.fromkeys(e.ev.text.strip() for e in evs))[:12], nodes,
                 logs.refs(evs), from_logs=True)]


CLUSTER_LOG = ("ceph_health_check_log",)
# the checks whose own rule reads the cluster log (found(..., cluster_log=True)); CEPH101 reports the others
CLUSTER_LOG_RULES = {
    "MON_DOWN": "CEPH102",
    "OSD_DOWN": "CEPH107", "OSD_HOST_DOWN": "CEPH107", "OSD_ROOT_DOWN": "CEPH107", "OSD_DATACENTER_DOWN": "CEPH107",
    "OSD_ROOM_DOWN": "CEPH107", "OSD_RACK_DOWN": "CEPH107", "OSD_CHASSIS_DOWN": "CEPH107",
    "SLOW_OPS": "CEPH110", "REQUEST_SLOW": "CEPH110", "REQUEST_STUCK": "CEPH110",
}


def cluster_log_checks(ctx: "Context", codes: tuple[str, ...] | None) -> list[Seen] | None:
    """The checks of `codes` (None: every code) the monitors' cluster log leaves raised: per code, its
    `Health check failed/update` lines unless the last line of that code is `Health check cleared`. None
    when the logs hold no health-check line at all (they then say nothing about the cluster's health)."""
    evs = logs.events(ctx, None, CLUSTER_LOG)
    if not evs:
        return None
    by_code: dict[str, list[logs.NodeEvent]] = {}
    for e in evs:
        if e.attrs.get("code") and (codes is None or e.attrs.get("code") in codes):
            by_code.setdefault(e.attrs["code"], []).append(e)
    out: list[Seen] = []
    for code, es in by_code.items():
        if es[-1].attrs.get("change") == "cleared":
            continue
        raised = [e for e in es if e.attrs.get("change") != "cleared"]
        last = raised[-1]
        out.append(Seen(code, "", last.attrs.get("summary", ""), (), list(dict.fromkeys(e.node for e in raised)),
                        logs.refs(raised), from_logs=True))
    return out


def have_health(ctx: "Context") -> bool:
    return bool(health_facts(ctx))


def detail_lines(s: Seen, limit: int = 5) -> str:
    """The first detail lines, for a message: `pg 3.6 is incomplete, ...; ...`."""
    if not s.detail:
        return ""
    more = f" (and {len(s.detail) - limit} more)" if len(s.detail) > limit else ""
    return ": " + "; ".join(s.detail[:limit]) + more


NO_HEALTH = "no `ceph -s` / `ceph health detail` output"


def found(ctx: "Context", codes: tuple[str, ...], kinds: tuple[str, ...] = (), log_code: str = "",
          log_summary: str = "", missing: str = NO_HEALTH, cluster_log: bool = False) -> list[Seen]:
    """The unmuted checks of `codes` the health output shows; without health output, the log
    lines of `kinds` standing for them, or (`cluster_log`, for rules that read logs) the checks the
    monitors' cluster log leaves raised; CouldNotCheck(`missing`) when none of these is there."""
    if have_health(ctx):
        return [s for s in checks(ctx, codes) if not s.muted]
    if kinds:
        evs = log_checks(ctx, kinds, log_code, log_summary)
        if evs:
            return evs
    if cluster_log:
        raised = cluster_log_checks(ctx, codes)
        if raised is not None:
            return raised
    raise CouldNotCheck(missing)


def pg_states(ctx: "Context", want: str) -> list[tuple[str, int, "Fact[CephHealth]"]]:
    """(state, count, fact) of PG states (as `ceph -s` lists them) for which `want` says yes,
    from the first node that lists PG states (every node sees the same PG map)."""
    for f in health_facts(ctx):
        if f.value.pgs_by_state:
            return [(st, n, f) for st, n in f.value.pgs_by_state.items() if _want(want, st)]
    return []


def _want(want: str, state: str) -> bool:
    parts = state.split("+")
    if want == "inactive":
        return "active" not in parts
    return want in parts
