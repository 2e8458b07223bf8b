"""Log events of every node, with years filled in, in time order, and evidence references ready.

Traditional syslog has no year: it is inferred from the bundle's time (`ctx.now`): an event
that would lie in the future belongs to the year before (this also handles Dec -> Jan).

Order. A node's events are read in time order whatever order its files came in: rotated pieces
of one log (`syslog.2.gz`, `syslog.1`, `syslog`) oldest first, and a file whose times go back
(`cat syslog syslog.1`) sorted; each event keeps its own file and line number for the evidence.
A file whose times go back by more than a minute is said so (FW910), since such input is
usually pieces in the wrong order (or a clock set back) and every duration depends on it.
Logs without times keep their line order.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from forewarn.model.findings import EvidenceRef
from forewarn.model.internal import internal_finding
from forewarn.model.keys import Key
from forewarn.parse.k8s.container_log import CONTAINER_LOG
from forewarn.parse.log.events import LogEvent, LogEvents
from forewarn.parse.log.syslog import COROSYNC, LOG_TEXT, SYSLOG
from forewarn.parse.pve.task_log import TASK_LOG

if TYPE_CHECKING:
    from forewarn.facts.context import Context, Fact

# Every spec whose parser gives `LogEvents`: system logs, corosync's own log, PVE task logs,
# container logs (docker/CRI/klog) and any other text (log.text) all feed one event stream.
LOG_SPECS: tuple[Key[LogEvents], ...] = (SYSLOG, COROSYNC, TASK_LOG, CONTAINER_LOG, LOG_TEXT)
_LOG_ORDER = [k.spec for k in LOG_SPECS]
# Lines of several writers can be logged a second or two out of order; a larger step back is
# pieces of a log in the wrong order, or a clock set back (NTP step, daylight saving time).
BACKWARDS_SECONDS = 60
_ROTATED = re.compile(r"^(?P<base>.+?)(?:\.(?P<n>\d+)|-(?P<date>\d{8}))?(?:\.gz)?$")


@dataclass(frozen=True, slots=True)
class NodeEvent:
    node: str
    ts: datetime | None
    ev: LogEvent
    fact: "Fact[Any]"

    @property
    def kind(self) -> str:
        return self.ev.kind

    @property
    def attrs(self) -> dict[str, str]:
        return self.ev.attrs

    def at(self, ts: datetime | None) -> "NodeEvent":
        """The same event at another time (the timeline moves every event onto one clock;
        dataclasses.replace took a fifth of its time)."""
        return NodeEvent(self.node, ts, self.ev, self.fact)


def fix_year(ts: datetime | None, year_known: bool, now: datetime) -> datetime | None:
    if ts is None or year_known:
        return ts
    return _fixed_year(ts, now)


@lru_cache(maxsize=4096)
def _fixed_year(ts: datetime, now: datetime) -> datetime:
    """Cached: a log's events share their seconds, and each new datetime was 48 bytes an event."""
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


def log_facts(ctx: "Context", node: str | None = None) -> list["Fact[LogEvents]"]:
    out: list[Fact[LogEvents]] = []
    for spec in LOG_SPECS:
        out.extend(f for f in ctx.facts(spec) if node is None or f.node == node)
    return out


def events(ctx: "Context", node: str | None = None, kinds: tuple[str, ...] | None = None) -> list[NodeEvent]:
    """Events of one node (or all, node after node), in time order, years fixed.

    When a node has both its syslog and corosync's own log, corosync lines appear in both;
    corosync's logfile is then skipped so nothing is counted twice.
    """
    cache_key = "_events_cache"
    cache: dict[str | None, list[NodeEvent]] = ctx.options.setdefault(cache_key, {})
    if None not in cache:  # every node's, built once; a node's own are picked out of them
        per_node: dict[str, list[list[NodeEvent]]] = {}
        for f in _event_facts(ctx):
            lv: LogEvents = f.value
            evs = [NodeEvent(f.node, fix_year(e.ts, e.year_known, ctx.now), e, f) for e in lv.events]
            _note_backwards(ctx, f, evs)
            per_node.setdefault(f.node, []).append(evs)
        cache[None] = [e for pieces in per_node.values() for e in _in_time_order(pieces)]
    if node not in cache:
        cache[node] = [e for e in cache[None] if e.node == node]
    evs = cache[node]
    if kinds:
        # rules ask for a few kinds each, dozens of times a scan: an index by kind, built once
        index: dict[str | None, dict[str, list[int]]] = ctx.options.setdefault("_events_by_kind", {})
        if node not in index:
            by_kind: dict[str, list[int]] = {}
            for i, e in enumerate(evs):
                by_kind.setdefault(e.kind, []).append(i)
            index[node] = by_kind
        at = [i for k in set(kinds) for i in index[node].get(k, ())]
        if len(kinds) > 1:
            at.sort()
        return [evs[i] for i in at]
    return evs


def _event_facts(ctx: "Context") -> list["Fact[LogEvents]"]:
    """The logs events come from, rotated pieces oldest first. When a node has both its syslog
    and corosync's own log, corosync lines appear in both: corosync's logfile is then left out."""
    facts = log_facts(ctx)
    with_syslog_corosync = {f.node for f in facts if f.spec == "log.syslog" and f.value.programs.get("corosync")}
    return [f for f in sorted(facts, key=_rotation_key)
            if not (f.spec == "log.corosync" and f.node in with_syslog_corosync)]


def kind_counts(ctx: "Context", kind: str) -> dict[str, int]:
    """Lines of `kind` per node in the logs `events` reads, exact: a kind seen more than
    MAX_PER_KIND times in a log keeps only its first and last events, never a wrong count."""
    out: dict[str, int] = {}
    for f in _event_facts(ctx):
        n = f.value.kinds.get(kind, 0)
        if n:
            out[f.node] = out.get(f.node, 0) + n
    return out


def cap_notes(ctx: "Context") -> list[str]:
    """One line per log whose events of some kind were sampled past MAX_PER_KIND (the report's
    and the timeline's notes: nothing is left out without saying so)."""
    from forewarn.parse.log.events import MAX_PER_KIND

    out = []
    for f in log_facts(ctx):
        dropped = getattr(f.value, "dropped_events", 0)
        if dropped:
            flooded = ", ".join(k for k, n in f.value.kinds.most_common() if n > MAX_PER_KIND)
            out.append(f"{f.node}: {f.artifact}: {dropped:,} of {sum(f.value.kinds.values()):,} events were "
                       f"counted but not kept: of a kind seen more than {MAX_PER_KIND:,} times ({flooded}) the "
                       f"first and last {MAX_PER_KIND // 2:,} are kept; every count is exact")
    return out


def sampled(ctx: "Context", node: str | None, kinds: tuple[str, ...]) -> str:
    """An empty string when every event of `kinds` in the node's logs (all nodes': None) was
    kept; else a clause for the rule's message saying that a count made from the kept events is
    a lower bound (a kind past MAX_PER_KIND keeps its first and last events only).

    A rule that counts or pairs events of a flooded kind (quorum lost and regained) would
    otherwise state a number the log does not support."""
    cache: dict[int, Counter[str]] = ctx.options.setdefault("_kept_kinds", {})
    lines = kept = 0
    for f in _event_facts(ctx):
        if node is not None and f.node != node:
            continue
        lv: LogEvents = f.value
        if not lv.dropped_events:
            continue
        if id(lv) not in cache:
            cache[id(lv)] = Counter(e.kind for e in lv.events)
        have = cache[id(lv)]
        for k in kinds:
            if lv.kinds.get(k, 0) > have.get(k, 0):
                lines += lv.kinds[k]
                kept += have.get(k, 0)
    if not lines:
        return ""
    return (f" (at least: of {lines:,} such lines, {kept:,} at the log's start and end were read one by one, "
            "the rest only counted)")


def _rotation_key(f: "Fact[Any]") -> tuple[int, str, str, int, str]:
    """Rotated pieces of one log oldest first: `syslog.2.gz`, `syslog.1`, `syslog`
    (`syslog-20240101`, `syslog`); other files keep the order they came in."""
    name = PurePosixPath(f.artifact).name
    m = _ROTATED.match(name)
    base = m.group("base") if m else name
    if m and m.group("n"):
        return (_LOG_ORDER.index(f.spec) if f.spec in _LOG_ORDER else 99, f.node, base, -int(m.group("n")), "")
    if m and m.group("date"):
        return (_LOG_ORDER.index(f.spec) if f.spec in _LOG_ORDER else 99, f.node, base, -1, m.group("date"))
    return (_LOG_ORDER.index(f.spec) if f.spec in _LOG_ORDER else 99, f.node, base, 0, "")


def _in_time_order(pieces: list[list[NodeEvent]]) -> list[NodeEvent]:
    """One node's events of all its files, by time; a line without a time (a journal marker)
    sorts with the line before it in its file; files without any time follow, in line order."""
    keyed: list[tuple[datetime, int, int, NodeEvent]] = []
    untimed: list[NodeEvent] = []
    for k, evs in enumerate(pieces):
        first = next((e.ts for e in evs if e.ts is not None), None)
        if first is None:
            untimed.extend(evs)
            continue
        last = first
        for i, e in enumerate(evs):
            last = e.ts if e.ts is not None else last
            keyed.append((last, k, i, e))
    keyed.sort(key=lambda x: (x[0], x[1], x[2]))
    return [x[3] for x in keyed] + untimed


def _note_backwards(ctx: "Context", f: "Fact[Any]", evs: list[NodeEvent]) -> None:
    """Say once per file when its times go back by more than BACKWARDS_SECONDS."""
    seen: set[int] = ctx.options.setdefault("_backwards_seen", set())
    if id(f) in seen:
        return
    seen.add(id(f))
    steps: list[tuple[NodeEvent, datetime]] = []
    top: datetime | None = None
    for e in evs:
        if e.ts is None:
            continue
        if top is not None and (top - e.ts).total_seconds() > BACKWARDS_SECONDS:
            if not steps or steps[-1][1] != top:
                steps.append((e, top))
        top = e.ts if top is None or e.ts > top else top
    if not steps:
        return
    e, top = steps[0]
    more = f" and {len(steps) - 1} more time(s)" if len(steps) > 1 else ""
    message = (f"{f.node}: {f.artifact} goes back in time at line {e.ev.line_no} ({time_label(e)}, after "
               f"{top:%b %d %H:%M:%S}){more}: pieces of the log are out of order (such as `cat syslog "
               "syslog.1`) or the clock was set back; its lines were read in time order, each cited by "
               "its own line number")
    notes: list[str] = ctx.options.setdefault("_backwards_notes", [])
    notes.append(message)
    ctx.extra_findings.append(internal_finding(
        "FW910", "log-out-of-order", "Log times go backwards", message, nodes=(f.node,),
        evidence=[EvidenceRef(spec=f.spec, node=f.node, artifact=f.artifact, lines=(e.ev.line_no,),
                              excerpt=(e.ev.text,))],
        details={"steps_back": len(steps), "first_line": e.ev.line_no}))


def backwards_notes(ctx: "Context") -> list[str]:
    """What `events` found out of order (read the events first)."""
    return list(ctx.options.get("_backwards_notes", []))


TEXT_SCAN_BYTES = 16 * 1024 * 1024  # command outputs and configs bigger than this are not line-read


def text_events(ctx: "Context", kinds: tuple[str, ...]) -> list[NodeEvent]:
    """Events of `kinds` in every artifact that is not a log: command outputs and configuration
    files read line by line as text, as a log is (a known error line is known whatever file
    holds it: `zpool status`, `ceph -s`, `mdadm --detail`, `docker info`). Their own parsers and
    rules still read them; these events only feed the findings that signatures carry."""
    from forewarn.facts.fact import Fact
    from forewarn.model.evidence import looks_binary
    from forewarn.parse.log.syslog import parse_text

    cache: dict[str, list[NodeEvent]] = ctx.options.setdefault("_text_events_cache", {})
    if "all" not in cache:
        evs: list[NodeEvent] = []
        unexplained: list[tuple[Any, Any]] = ctx.options.setdefault("_text_unexplained", [])
        with_facts = {id(f.record) for f in log_facts(ctx)}
        for rec in ctx.records:
            if rec.spec in _LOG_ORDER and id(rec) in with_facts or rec.data is None and rec.opener is None:
                continue
            if rec.size is not None and rec.size > TEXT_SCAN_BYTES:
                continue
            try:
                if looks_binary(rec.head()):
                    continue
                parsed = parse_text(rec.lines(), keep=True)
            except (OSError, EOFError, ValueError):
                continue  # unreadable evidence is reported where it is parsed
            if parsed.value is None:
                continue
            if parsed.value.unexplained.lines and not _is_data(rec.spec):
                unexplained.append((rec, parsed.value.unexplained))
            if rec.spec in _LOG_ORDER:
                continue  # a log nobody could read as one: only its unexplained errors count
            fact = Fact(rec.node, rec.spec, rec, parsed.value)
            for e in parsed.value.events:
                evs.append(NodeEvent(rec.node, fix_year(e.ts, e.year_known, ctx.now), e, fact))
        cache["all"] = evs
    return [e for e in cache["all"] if e.kind in kinds]


def _is_data(spec: str) -> bool:
    """Whether an artifact's lines are settings or listing rows (Spec.data), not messages."""
    from forewarn.specs._base import SPECS

    known = SPECS.get(spec)
    return known is not None and known.data


def group_by_node(evs: list[NodeEvent]) -> dict[str, list[NodeEvent]]:
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


def time_label(e: NodeEvent) -> str:
    """A short human time for an event: `09:12:44`, or `line 151` when the log has no times."""
    if e.ts is None:
        return f"line {e.ev.line_no}"
    return e.ts.strftime("%b %d %H:%M:%S")
