"""Log events of every node, with years filled in and evidence references ready.

Traditional syslog has no year: it is inferred from the bundle's time (`ctx.now`): an event
that would lie in the future belongs to the year before (this also handles Dec -> Jan).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from forewarn.model.findings import EvidenceRef
from forewarn.parse.logs.syslog import LogEvent, LogEvents

if TYPE_CHECKING:
    from forewarn.facts.context import Context, Fact

# Every spec whose parser gives `LogEvents`: system logs, corosync's own log, PVE task logs,
# container logs (docker/CRI/klog) and any other text (log.text) all feed one event stream.
LOG_SPECS = ("log.syslog", "log.corosync", "pve.task_log", "k8s.container_log", "log.text")


@dataclass(frozen=True, slots=True)
class NodeEvent:
    node: str
    ts: datetime | None
    ev: LogEvent
    fact: "Fact"

    @property
    def kind(self) -> str:
        return self.ev.kind

    @property
    def attrs(self) -> dict[str, str]:
        return self.ev.attrs


def fix_year(ts: datetime | None, year_known: bool, now: datetime) -> datetime | None:
    if ts is None or year_known:
        return ts
    ref = now.replace(tzinfo=None)
    try:
        fixed = ts.replace(year=ref.year)
    except ValueError:  # Feb 29 in a non-leap year: it must be the last leap year
        fixed = ts.replace(year=ref.year - ref.year % 4)
    if fixed > ref + timedelta(days=1):
        try:
            fixed = fixed.replace(year=fixed.year - 1)
        except ValueError:
            fixed = fixed.replace(year=fixed.year - 1, day=28)
    return fixed


def log_facts(ctx: "Context", node: str | None = None) -> list["Fact"]:
    out: list[Fact] = []
    for spec in LOG_SPECS:
        out.extend(f for f in ctx.facts(spec) if node is None or f.node == node)
    return out


def events(ctx: "Context", node: str | None = None, kinds: tuple[str, ...] | None = None) -> list[NodeEvent]:
    """Events of one node (or all), in file order per artifact, years fixed.

    When a node has both its syslog and corosync's own log, corosync lines appear in both;
    corosync's logfile is then skipped so nothing is counted twice.
    """
    cache_key = "_events_cache"
    cache: dict[str | None, list[NodeEvent]] = ctx.options.setdefault(cache_key, {})
    if node not in cache:
        facts = log_facts(ctx, node)
        with_syslog_corosync = {f.node for f in facts
                                if f.spec == "log.syslog" and f.value.programs.get("corosync")}
        evs: list[NodeEvent] = []
        for f in facts:
            if f.spec == "log.corosync" and f.node in with_syslog_corosync:
                continue
            lv: LogEvents = f.value
            for e in lv.events:
                evs.append(NodeEvent(f.node, fix_year(e.ts, e.year_known, ctx.now), e, f))
        cache[node] = evs
    evs = cache[node]
    if kinds:
        return [e for e in evs if e.kind in kinds]
    return evs


TEXT_SCAN_BYTES = 16 * 1024 * 1024  # command outputs and configs bigger than this are not line-read


def text_events(ctx: "Context", kinds: tuple[str, ...]) -> list[NodeEvent]:
    """Events of `kinds` in every artifact that is not a log: command outputs and configuration
    files read line by line as text, as a log is (a known error line is known whatever file
    holds it: `zpool status`, `ceph -s`, `mdadm --detail`, `docker info`). Their own parsers and
    rules still read them; these events only feed the findings that signatures carry."""
    from forewarn.facts.context import Fact
    from forewarn.model.evidence import looks_binary
    from forewarn.parse.logs.syslog import parse_text

    cache: dict[str, list[NodeEvent]] = ctx.options.setdefault("_text_events_cache", {})
    if "all" not in cache:
        evs: list[NodeEvent] = []
        for rec in ctx.records:
            if rec.spec in LOG_SPECS or rec.data is None and rec.opener is None:
                continue
            if rec.size is not None and rec.size > TEXT_SCAN_BYTES:
                continue
            try:
                if looks_binary(rec.head()):
                    continue
                parsed = parse_text(rec.lines())
            except (OSError, EOFError, ValueError):
                continue  # unreadable evidence is reported where it is parsed
            if parsed.value is None:
                continue
            fact = Fact(rec.node, rec.spec, rec, parsed.value)
            for e in parsed.value.events:
                evs.append(NodeEvent(rec.node, fix_year(e.ts, e.year_known, ctx.now), e, fact))
        cache["all"] = evs
    return [e for e in cache["all"] if e.kind in kinds]


def by_node(evs: list[NodeEvent]) -> dict[str, list[NodeEvent]]:
    """Events grouped by node, each node's in the order given."""
    out: dict[str, list[NodeEvent]] = {}
    for e in evs:
        out.setdefault(e.node, []).append(e)
    return out


def log_programs(ctx: "Context") -> Counter[str]:
    c: Counter[str] = Counter()
    for f in log_facts(ctx):
        c.update(f.value.programs)
    return c


def refs(evs: list[NodeEvent], limit: int = 12) -> list[EvidenceRef]:
    """Evidence references grouped by artifact, with the lines' text as excerpt."""
    by_art: dict[tuple[str, str, str], list[NodeEvent]] = {}
    for e in evs:
        by_art.setdefault((e.node, e.fact.spec, e.fact.artifact), []).append(e)
    out: list[EvidenceRef] = []
    for (node, spec, art), group in by_art.items():
        shown = group[:limit]
        out.append(EvidenceRef(spec=spec, node=node, artifact=art,
                               lines=tuple(e.ev.line_no for e in shown),
                               excerpt=tuple(e.ev.text for e in shown)))
    return out


def when(e: NodeEvent) -> str:
    """A short human time for an event: `09:12:44`, or `line 151` when the log has no times."""
    if e.ts is None:
        return f"line {e.ev.line_no}"
    return e.ts.strftime("%b %d %H:%M:%S")
