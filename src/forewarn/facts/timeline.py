"""The incident timeline: every node's cluster events on one time axis.

`build_timeline(ctx)` merges the log events of all nodes (corosync/knet/totem/votequorum,
pmxcfs, the HA stack, the watchdog, boots and shutdowns, NFS, hung tasks, OOM kills, kubelet
and nova-compute errors) into one ordered list, reconstructs each node's state over time
(quorate or not, which membership ring, the HA agents' states), and groups the bursts into
episodes that read like a post-mortem.

Clocks. Traditional syslog has no year (facts/logs.py infers it from the bundle's time) and no
zone: its times are taken as the node's local time, in the zone given per node or for all
(`--tz`); stamps with an offset (ISO, journal JSON) are exact. Node clocks may disagree: the
same membership ring id is formed on every member within about a second, so each ring id
logged by several nodes is an anchor, and the median difference per node is its clock
offset. Offsets of 2 s and more are corrected before ordering, and the timeline says so.
Logs without any timestamp keep their line order and say that the times are unknown.

Episodes. This is the one episode model: facts/corosync_episodes.py reads each node's corosync
trouble, and this module lines the nodes up into cluster-wide episodes that also hold what
followed (pmxcfs resyncs, HA locks, quorum regained: the recovery events). PVE102 reports these
episodes (`timeline_of(ctx)`, `Episode.corosync`), with the same spans and numbers as the timeline.
Fences are found by facts/fencing.py (the same fences PVE103 reports); this module lines them up.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone, tzinfo
from pathlib import PurePosixPath
from statistics import median_low
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from forewarn.facts import corosync_episodes as ce
from forewarn.facts import fencing, logs
from forewarn.facts.context import Context
from forewarn.parse.logs.syslog import LogEvent

SKEW_MIN_SECONDS = 2.0  # syslog times are whole seconds: below this, clocks agree
AFTERMATH_SECONDS = 30  # consequences (pmxcfs, HA, quorum) this long after an episode belong to it
BURST_GAP_SECONDS = 30  # other events closer than this form one episode
BURST_GAP_LINES = 10
RING_GROUP_SECONDS = 2  # rings formed this close together are told as one step

# kind -> category. Categories are the timeline's marker types (docs/report-json.md).
CATEGORY: dict[str, str] = {
    "knet_link_down": "link", "knet_link_up": "link", "knet_no_links": "link",
    "token_timeout": "totem", "processor_failed": "totem", "retransmit": "totem",
    "membership": "membership", "failed_leave": "membership", "quorum_members": "membership",
    "config_version_mismatch": "membership",
    "non_primary": "quorum", "primary": "quorum", "pmxcfs_lost_quorum": "quorum", "pmxcfs_quorum": "quorum",
    "pmxcfs_cpg_error": "pmxcfs", "pmxcfs_crit": "pmxcfs", "pmxcfs_sync_start": "pmxcfs",
    "pmxcfs_synced": "pmxcfs", "cfs_lock_error": "pmxcfs",
    "ha_status_change": "ha", "ha_lost_lock": "ha", "ha_acquired_lock": "ha", "ha_fence": "ha",
    "ha_service_error": "ha",
    "watchdog_expiring": "watchdog", "watchdog_expired": "watchdog", "watchdog_not_stopped": "watchdog",
    "watchdog_mux_exit_active": "watchdog", "watchdog": "watchdog",
    "boot": "lifecycle", "shutdown": "lifecycle", "corosync_start": "lifecycle", "corosync_exit": "lifecycle",
    "nfs_not_responding": "host", "nfs_ok": "host", "hung_task": "host", "oom_kill": "host",
    "kubelet_no_podsandbox": "k8s", "kubelet_cgroup_subsystem_missing": "k8s",
    "kubelet_csinode_init_failed": "k8s", "kubelet_register_failed": "k8s",
}
KINDS = tuple(CATEGORY)
NOVA_KINDS = ("cpu_incompatible", "connection_refused", "connect_failed", "migration_error", "volume_missing")
for _k in NOVA_KINDS:
    CATEGORY[f"nova_{_k}"] = "openstack"
# Lines that follow from an episode; they are told with it when they come shortly after it.
CONSEQUENCE = {"quorum", "pmxcfs", "ha", "watchdog", "totem"}
# Lines that do not make an episode on their own (recoveries, noise of a start-up).
QUIET = {"knet_link_up", "knet_no_links", "quorum_members", "pmxcfs_synced", "pmxcfs_sync_start",
         "ha_acquired_lock", "retransmit", "nfs_ok", "primary", "pmxcfs_quorum", "watchdog"}

_UTC_STAMP = re.compile(r"^\s*(?:\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)\s|\{)")
_OFFSET = re.compile(r"^(?:UTC|GMT)?([+-])(\d{1,2}):?(\d\d)?$")


# -- data -------------------------------------------------------------------------------------
@dataclass(slots=True)
class TEvent:
    seq: int
    node: str
    ts: datetime | None  # corrected time in the display zone (None: the log has no times)
    logged: datetime | None  # the time as logged (year filled in), before zone and skew
    kind: str
    category: str
    summary: str
    ne: logs.NodeEvent
    episode: int | None = None
    aftermath: bool = False

    @property
    def line(self) -> int:
        return self.ne.ev.line_no

    @property
    def attrs(self) -> dict[str, str]:
        return self.ne.ev.attrs


@dataclass(slots=True)
class Interval:
    """One state of one node over a stretch of time (or of log lines)."""

    node: str
    track: str  # "quorum" | "membership" | "ha_lrm" | "ha_crm"
    value: str | None  # quorum: quorate | non-quorate | stopped | down | unknown; membership: ring id
    start: datetime | None
    end: datetime | None
    start_seq: int | None  # the event that began it (None: the start of the log)
    end_seq: int | None  # the event that ended it (None: the end of the log)
    source: str = "logged"  # "logged" | "inferred"
    reason: str = ""
    attrs: dict[str, Any] = field(default_factory=dict)

    @property
    def seconds(self) -> float | None:
        if self.start is None or self.end is None:
            return None
        return (self.end - self.start).total_seconds()


@dataclass(slots=True)
class Skew:
    node: str
    offset: float | None  # seconds this node's clock is ahead of the reference (None: no anchors)
    anchors: int
    spread: float
    reference: str
    applied: bool


@dataclass(slots=True)
class Crash:
    """corosync died without a clean exit (killed, crashed): seen as a restart with no exit before it."""

    node: str
    last_seen: TEvent | None  # the old corosync's last line on the node
    peers_lost: TEvent | None  # the first peer that lost its link afterwards
    restart: TEvent

    @property
    def at(self) -> datetime | None:
        if self.peers_lost is not None and self.peers_lost.ts is not None:
            return self.peers_lost.ts
        return self.last_seen.ts if self.last_seen is not None else None


@dataclass(slots=True)
class FenceMark:
    node: str
    fence: fencing.Fence
    lost_quorum: TEvent | None
    lost_lock: TEvent | None
    watchdog: TEvent | None
    boot: TEvent | None

    @property
    def first(self) -> TEvent | None:
        return self.lost_quorum or self.lost_lock or self.watchdog


@dataclass(slots=True)
class BootMark:
    node: str
    event: TEvent
    how: str  # fence | clean | unclean | first


@dataclass(slots=True)
class Lane:
    name: str
    node_id: str | None
    timed: bool
    zone: str | None
    start: datetime | None
    end: datetime | None
    first_line: int
    last_line: int
    artifacts: list[str]
    offset: float = 0.0


@dataclass(slots=True)
class Episode:
    id: int
    kind: str  # split | cut-off | crash | restart | fence | flap | host | other
    title: str
    start: datetime | None
    end: datetime | None
    lanes: list[str]
    events: list[TEvent]
    aftermath: list[TEvent]
    timed: bool
    lines: dict[str, tuple[int, int]] = field(default_factory=dict)  # lane -> first, last line
    rings: list[dict[str, Any]] = field(default_factory=list)
    partition: list[list[str]] = field(default_factory=list)
    non_quorate: list[Interval] = field(default_factory=list)
    links_lost: dict[str, list[str]] = field(default_factory=dict)
    crashes: list[Crash] = field(default_factory=list)
    clean_stops: list[TEvent] = field(default_factory=list)
    fences: list[FenceMark] = field(default_factory=list)
    boots: list[BootMark] = field(default_factory=list)
    lock_losses: list[TEvent] = field(default_factory=list)
    story: str = ""
    open: bool = False  # still going at the end of the logs
    corosync: bool = False  # cut from corosync trouble (PVE102's episodes), not a burst of other events

    @property
    def seconds(self) -> float | None:
        if self.start is None or self.end is None:
            return None
        return (self.end - self.start).total_seconds()

    @property
    def membership_changes(self) -> int:
        return len(self.rings)


@dataclass(slots=True)
class Timeline:
    lanes: list[Lane]
    events: list[TEvent]
    intervals: list[Interval]
    episodes: list[Episode]
    skews: list[Skew]
    fences: list[FenceMark]
    near_misses: list[fencing.NearMiss]
    boots: list[BootMark]
    crashes: list[Crash]
    names: dict[str, str]  # corosync node id -> lane name
    zone: str | None  # display zone ("UTC", "Europe/Berlin", "+02:00"), None: as logged
    zone_note: str
    timed: bool
    corrected: bool
    notes: list[str] = field(default_factory=list)
    full_size: int = 0
    tzinfo: tzinfo | None = None  # the display zone (None: as logged)
    stories: dict[str, ce.NodeStory] = field(default_factory=dict)  # lane -> its corosync story

    _tracks: dict[tuple[str, str], list[Interval]] | None = None
    _rings: dict[str, list[int]] = field(default_factory=dict)  # node -> seqs of its membership events
    _ring_iv: dict[int, Interval] | None = None
    _cache: dict[Any, Any] = field(default_factory=dict)

    def lane(self, name: str) -> Lane | None:
        return next((ln for ln in self.lanes if ln.name == name), None)

    def track(self, node: str, track: str) -> list[Interval]:
        if self._tracks is None:
            self._tracks = {}
            for iv in self.intervals:
                self._tracks.setdefault((iv.node, iv.track), []).append(iv)
        return self._tracks.get((node, track), [])

    def non_quorate(self, node: str) -> list[Interval]:
        return [iv for iv in self.track(node, "quorum") if iv.value == "non-quorate"]


# -- zones ------------------------------------------------------------------------------------
def parse_zone(value: str) -> tzinfo:
    """`Europe/Berlin`, `UTC`, `+02:00`, `-0530`. Raises ValueError for anything else."""
    v = value.strip()
    m = _OFFSET.match(v)
    if m:
        sign = -1 if m.group(1) == "-" else 1
        delta = timedelta(hours=int(m.group(2)), minutes=int(m.group(3) or 0))
        if delta >= timedelta(hours=24):
            raise ValueError(f"time zone offset {value!r} is out of range")
        return timezone(sign * delta, v)
    if v.upper() in ("UTC", "Z", "GMT"):
        return timezone.utc
    try:
        return ZoneInfo(v)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {value!r} (give a name like Europe/Berlin or an offset like +02:00)") \
            from exc


ZONE_SPECS = ("host.timezone", "host.timedatectl")  # /etc/timezone; `timedatectl [show]`


def evidence_zone(ctx: Context, node: str) -> tzinfo | None:
    """The node's own time zone, when the evidence has it (`/etc/timezone`: `Europe/Berlin`;
    `timedatectl show`: `Timezone=Europe/Berlin`; `timedatectl`: `Time zone: Europe/Berlin (CET, +0100)`)."""
    for spec in ZONE_SPECS:
        for rec in ctx.raw(spec, node):
            try:
                lines = [ln.strip() for ln in rec.text(4096).splitlines() if ln.strip()]
            except (OSError, EOFError, ValueError):
                continue
            for ln in lines:
                if ln.startswith("Timezone="):
                    cand = ln.split("=", 1)[1]
                elif ln.startswith("Time zone:"):
                    cand = (ln.split(":", 1)[1].split() or [""])[0]
                elif len(lines) == 1 and " " not in ln:
                    cand = ln
                else:
                    continue
                try:
                    return parse_zone(cand)
                except ValueError:
                    continue
    return None


def _zone_name(z: tzinfo | None) -> str | None:
    if z is None:
        return None
    if z is timezone.utc:
        return "UTC"
    return str(getattr(z, "key", None) or z.tzname(None) or z)


def _has_zone(e: logs.NodeEvent) -> bool:
    """True when the line's own stamp says its zone (ISO with offset, journal JSON): the parser
    has then already turned it into UTC."""
    return bool(e.ev.year_known and _UTC_STAMP.match(e.ev.text))


def _place(ts: datetime | None, exact_utc: bool, zone: tzinfo | None, display: tzinfo | None) -> datetime | None:
    if ts is None:
        return None
    if exact_utc:
        aware = ts.replace(tzinfo=timezone.utc)
    elif zone is not None:
        aware = ts.replace(tzinfo=zone)
    else:
        return ts  # zone unknown: as logged
    return aware.astimezone(display or timezone.utc).replace(tzinfo=None)


# -- wording of single events -----------------------------------------------------------------
def _nat(s: str) -> tuple[Any, ...]:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", s))


def _ids(text: str | None) -> list[str]:
    return (text or "").split()


def summary(kind: str, a: dict[str, str], prog: str | None, text: str, name: ce.Namer) -> str:
    h = name.short(a.get("host", "?")) if "host" in a else ""
    if kind == "knet_link_down":
        return f"link {a.get('link', '0')} to {h} down"
    if kind == "knet_link_up":
        return f"link {a.get('link', '0')} to {h} up"
    if kind == "knet_no_links":
        return f"no active link left to {h}"
    if kind == "token_timeout":
        return f"token not received for {a.get('ms', '?')} ms"
    if kind == "processor_failed":
        return "a processor failed: forming a new configuration"
    if kind == "membership":
        parts = [f"ring {a.get('ring', '?')} formed"]
        if a.get("joined"):
            parts.append(f"joined {' '.join(_ids(a['joined']))}")
        if a.get("left"):
            parts.append(f"left {' '.join(_ids(a['left']))}")
        return ", ".join(parts)
    if kind == "failed_leave":
        return f"no leave message from {' '.join(_ids(a.get('ids')))} (they failed)"
    if kind == "quorum_members":
        return f"members {' '.join(_ids(a.get('ids')))}"
    if kind == "config_version_mismatch":
        return f"config_version {a.get('theirs')} received, mine is {a.get('mine')}: corosync exits"
    if kind == "non_primary":
        return "LOST QUORUM (non-primary component)"
    if kind == "primary":
        return "quorate (primary component)"
    if kind == "pmxcfs_lost_quorum":
        return "pmxcfs: node lost quorum"
    if kind == "pmxcfs_quorum":
        return "pmxcfs: node has quorum"
    if kind == "pmxcfs_cpg_error":
        return f"pmxcfs [{a.get('svc', '?')}]: {a.get('call', 'cpg')} failed: {a.get('err', '?')}"
    if kind == "pmxcfs_crit":
        return f"pmxcfs [{a.get('svc', '?')}] crit: {a.get('what', '')}"
    if kind == "pmxcfs_sync_start":
        return f"pmxcfs [{a.get('svc', '?')}]: data sync started"
    if kind == "pmxcfs_synced":
        return f"pmxcfs [{a.get('svc', '?')}]: all data up to date"
    if kind == "cfs_lock_error":
        return f"cfs-lock {a.get('lock', '?')}: {a.get('err', '')}"
    if kind == "ha_status_change":
        return f"{prog or 'HA'}: {a.get('from')} => {a.get('to')}"
    if kind == "ha_lost_lock":
        return f"{prog or 'HA'}: LOST LOCK {a.get('lock', '?')}"
    if kind == "ha_acquired_lock":
        return f"{prog or 'HA'}: got lock {a.get('lock', '?')} back"
    if kind == "ha_fence":
        return f"HA: fencing node {a.get('node', '?')}"
    if kind == "boot":
        return "BOOT" + (f" (kernel {a['kernel']})" if a.get("kernel") else "")
    if kind == "shutdown":
        return "clean shutdown"
    if kind == "corosync_start":
        return "corosync started"
    if kind == "corosync_exit":
        return "corosync exited cleanly"
    if kind == "nfs_not_responding":
        return f"NFS server {a.get('server', '?')} not responding"
    if kind == "nfs_ok":
        return f"NFS server {a.get('server', '?')} OK"
    if kind == "hung_task":
        return f"hung task {a.get('task', '?')}:{a.get('pid', '?')} blocked > {a.get('seconds', '?')} s"
    if kind == "retransmit":
        return "retransmit"
    if kind == "oom_kill":
        return f"OOM killer killed {a.get('comm', '?')} ({a.get('pid', '?')})"
    if kind == "kubelet_no_podsandbox":
        return f"kubelet: no PodSandbox found with id {a.get('sandbox', '?')[:12]}"
    if kind == "kubelet_cgroup_subsystem_missing":
        return f"kubelet: cgroup subsystem {a.get('subsystem', '?')} is not mounted"
    if kind == "kubelet_csinode_init_failed":
        return _clip(f"kubelet: failed to initialize CSINodeInfo: {a.get('err', '')}")
    if kind == "kubelet_register_failed":
        return _clip(f"kubelet: unable to register node {a.get('node', '?')}: {a.get('err', '')}")
    if kind.startswith("nova_"):
        what = kind[5:].replace("_", " ")
        return _clip(f"nova-compute: {what}" + (f": {a['detail']}" if a.get("detail") else ""))
    msg = text.split("]: ", 1)[-1] if "]: " in text else text.split(": ", 1)[-1]
    label = (prog + ": ") if prog and not msg.startswith(prog) else ""
    return _clip(label + msg.strip())


def _clip(text: str, n: int = 160) -> str:
    text = text.strip().rstrip(";,:").strip()
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


# -- inputs -----------------------------------------------------------------------------------
def _nova_events(ctx: Context) -> dict[str, list[logs.NodeEvent]]:
    out: dict[str, list[logs.NodeEvent]] = {}
    for f in ctx.facts("osk.nova_compute_log"):
        for ne in f.value.events:
            if ne.kind not in NOVA_KINDS:
                continue
            attrs = {k: str(v) for k, v in (("host", ne.host), ("port", ne.port), ("detail", ne.detail)) if v}
            attrs.pop("host", None)  # a peer's address, not a corosync host id
            ev = LogEvent(ne.line, f"nova_{ne.kind}", ne.ts, ne.ts is not None, None, "nova-compute", None,
                          ne.text, attrs)
            out.setdefault(f.node, []).append(logs.NodeEvent(f.node, ne.ts, ev, f))
    return out


def _lanes_events(ctx: Context) -> dict[str, list[logs.NodeEvent]]:
    lanes = ce.by_log_host(ctx, KINDS)
    for node, evs in _nova_events(ctx).items():
        lanes.setdefault(node, []).extend(evs)
    # loose files whose node nobody named: name the lane after the host the lines carry
    renamed: dict[str, list[logs.NodeEvent]] = {}
    for lane, evs in lanes.items():
        hosts = {e.ev.host for e in evs if e.ev.host}
        if lane == "unknown" and len(hosts) == 1 and all(e.ev.host for e in evs if e.ev.prog != "nova-compute"):
            lane = hosts.pop()
        renamed.setdefault(lane, []).extend(evs)
    # one node with a timed log and a pasted excerpt without times: the excerpt cannot be placed
    # among the timed lines, so it gets a lane of its own; a line without a time inside a timed
    # log (a journal marker before any stamp) takes the time of the line before it
    out: dict[str, list[logs.NodeEvent]] = {}
    for lane, evs in renamed.items():
        by_fact: dict[int, list[logs.NodeEvent]] = {}
        for e in evs:
            by_fact.setdefault(id(e.fact), []).append(e)
        timed = {k for k, v in by_fact.items() if any(e.ts is not None for e in v)}
        for k, v in by_fact.items():
            if k in timed:
                last = next(e.ts for e in v if e.ts is not None)
                fixed = []
                for e in v:
                    if e.ts is None:
                        e = replace(e, ts=last)
                    last = e.ts
                    fixed.append(e)
                out.setdefault(lane, []).extend(fixed)
            elif timed:
                out.setdefault(f"{lane} ({PurePosixPath(v[0].fact.artifact).name})", []).extend(v)
            else:
                out.setdefault(lane, []).extend(v)
    return out


def conf_size(ctx: Context) -> int:
    size = 0
    for spec in ("pve.corosync_conf", "pve.corosync_conf_local"):
        for f in ctx.facts(spec):
            size = max(size, len(f.value.nodes))
    return size


# -- skew -------------------------------------------------------------------------------------
def estimate_skew(anchors: dict[str, dict[str, datetime]]) -> list[Skew]:
    """Clock offset of each node from the rings several nodes logged (`A new membership (R) was
    formed`, logged by every member within about a second). Offsets are relative to the node most
    others agree with: the median node has offset 0."""
    nodes = sorted((n for n, a in anchors.items() if a), key=_nat)
    if len(nodes) < 2:
        return []
    ref = nodes[0]
    placed: dict[str, tuple[float, int, float]] = {ref: (0.0, 0, 0.0)}
    todo = [n for n in nodes if n != ref]
    while todo:
        best: tuple[int, str, list[float]] | None = None
        for n in todo:
            diffs = [(anchors[n][r] - anchors[m][r]).total_seconds() + placed[m][0]
                     for m in placed for r in anchors[n].keys() & anchors[m].keys()]
            if diffs and (best is None or len(diffs) > best[0]):
                best = (len(diffs), n, diffs)
        if best is None:
            break
        _, n, diffs = best
        placed[n] = (float(median_low(diffs)), len(diffs), max(diffs) - min(diffs))
        todo.remove(n)
    base = median_low(sorted(v[0] for v in placed.values()))
    out: list[Skew] = []
    for n in nodes:
        if n in placed:
            off, cnt, spread = placed[n]
            off -= base
            cnt = cnt or max((len(anchors[n].keys() & anchors[m].keys()) for m in placed if m != n), default=0)
            out.append(Skew(n, off, cnt, spread, "", abs(off) >= SKEW_MIN_SECONDS))
        else:
            out.append(Skew(n, None, 0, 0.0, "", False))
    zero = [s.node for s in out if s.offset is not None and abs(s.offset) < SKEW_MIN_SECONDS]
    for s in out:
        s.reference = ", ".join(x for x in zero if x != s.node) or ref
    return out


# -- building ---------------------------------------------------------------------------------
def build_timeline(ctx: Context, *, tz: str | None = None, node_tz: dict[str, str] | None = None) -> Timeline:
    """Everything the timeline shows, from the evidence in `ctx` (pure: no I/O beyond the context)."""
    node_tz = node_tz or {}
    display = parse_zone(tz) if tz else None
    raw = _lanes_events(ctx)
    lane_names = sorted(raw, key=_nat)
    # a node's zone: --tz NODE=ZONE, else its own (/etc/timezone in the bundle), else --tz ZONE
    zones = {n: z for n in lane_names if (z := evidence_zone(ctx, n)) is not None}
    zones.update({n: parse_zone(z) for n, z in node_tz.items()})
    notes: list[str] = logs.backwards_notes(ctx)

    # 1. zones: every timed event onto one clock
    any_exact = any(_has_zone(e) for evs in raw.values() for e in evs)
    if display is None and (zones or any_exact):
        display = timezone.utc
    placed: dict[str, list[logs.NodeEvent]] = {}
    unknown_zone: set[str] = set()
    for lane in lane_names:
        zone = zones.get(lane) or (parse_zone(tz) if tz else None)
        out = []
        for e in raw[lane]:
            exact = _has_zone(e)
            if e.ts is not None and not exact and zone is None:
                unknown_zone.add(lane)
            out.append(replace(e, ts=_place(e.ts, exact, zone, display)) if e.ts is not None else e)
        placed[lane] = out
    if display is None:
        zone_note = "times as logged (the logs carry no time zone; --tz sets one)"
    elif unknown_zone:
        zone_note = (f"times in {_zone_name(display)}; {', '.join(sorted(unknown_zone, key=_nat))}: local times "
                     "of an unknown zone, placed as if they were in it (give --tz NODE=ZONE)")
    else:
        zone_note = f"times in {_zone_name(display)}"

    # 2. skew, from rings logged by several nodes
    anchors: dict[str, dict[str, datetime]] = {}
    for lane in lane_names:
        a: dict[str, datetime] = {}
        for e in placed[lane]:
            if e.kind == "membership" and e.ts is not None and e.attrs.get("ring"):
                a.setdefault(e.attrs["ring"], e.ts)
        anchors[lane] = a
    shared = Counter(r for a in anchors.values() for r in a)
    anchors = {n: {r: t for r, t in a.items() if shared[r] > 1} for n, a in anchors.items()}
    skews = estimate_skew(anchors)
    offsets = {s.node: s.offset for s in skews if s.applied and s.offset is not None}
    corrected = bool(offsets)
    for lane, off in offsets.items():
        placed[lane] = [replace(e, ts=e.ts - timedelta(seconds=off)) if e.ts is not None else e
                        for e in placed[lane]]
        if off and abs(off - round(off / 900) * 900) < SKEW_MIN_SECONDS and abs(off) >= 900:
            notes.append(f"{lane}'s clock is off by {_dur(abs(off))}, a whole number of quarter hours: "
                         f"probably a time zone, not a clock fault (give --tz {lane}=ZONE)")

    # 3. the shared analyses, on corrected times
    full = conf_size(ctx)
    stories = {lane: ce.analyse(lane, [e for e in placed[lane] if e.kind in ce.KINDS], full)
               for lane in lane_names}
    full = full or max((st.full_size for st in stories.values()), default=0)
    names, local = ce.id_names(ctx, stories, by_name=True)
    namer = ce.Namer(names)
    fence_res = {lane: fencing.analyse(lane, [e for e in placed[lane] if e.kind in fencing.KINDS])
                 for lane in lane_names}

    # 4. one ordered list
    timed_lanes = [ln for ln in lane_names if any(e.ts is not None for e in placed[ln])]
    untimed = [ln for ln in lane_names if ln not in timed_lanes]
    order = {ln: i for i, ln in enumerate(lane_names)}
    timed_evs = sorted(((ln, e) for ln in timed_lanes for e in placed[ln]),
                       key=lambda x: (x[1].ts or datetime.min, order[x[0]], x[1].ev.line_no))
    seq_of: dict[int, TEvent] = {}
    events: list[TEvent] = []
    raw_ts = {id(p): r.ts for ln in lane_names for p, r in zip(placed[ln], raw[ln])}
    for ln, e in timed_evs + [(ln, e) for ln in untimed for e in placed[ln]]:
        te = TEvent(len(events), ln, e.ts, raw_ts.get(id(e)), e.kind, CATEGORY.get(e.kind, "other"),
                    summary(e.kind, e.attrs, e.ev.prog, e.ev.text, namer), e)
        events.append(te)
        seq_of[id(e)] = te
    if untimed and timed_lanes:
        notes.append(f"{', '.join(untimed)}: the log has no times; its events keep their line order, after the "
                     "timed ones")
    elif untimed and len(untimed) > 1:
        notes.append("no log has times: each node's events keep their line order; the nodes cannot be lined up")

    def tev(e: logs.NodeEvent | None) -> TEvent | None:
        return seq_of.get(id(e)) if e is not None else None

    # 5. lanes
    lanes: list[Lane] = []
    for ln in lane_names:
        evs = [t for t in events if t.node == ln]
        facts = {id(e.fact): e.fact for e in placed[ln]}
        starts, ends = [], []
        for f in facts.values():
            for attr, acc in (("first_ts", starts), ("last_ts", ends)):
                v = getattr(f.value, attr, None)
                if v is not None:
                    acc.append(v)
        ref_ev = next((e for e in placed[ln] if e.ts is not None), None)
        start = end = None
        if ref_ev is not None:
            off = offsets.get(ln, 0.0)
            zone = zones.get(ln) or (parse_zone(tz) if tz else None)
            exact = _has_zone(ref_ev)

            def fix(v: datetime) -> datetime | None:
                v = logs.fix_year(v, v.year != 2000, ctx.now)  # the same year rule as the events
                p = _place(v, exact, zone, display)
                return p - timedelta(seconds=off) if p is not None else None

            start = min([t for t in (fix(v) for v in starts) if t] + [t.ts for t in evs if t.ts], default=None)
            end = max([t for t in (fix(v) for v in ends) if t] + [t.ts for t in evs if t.ts], default=None)
        lanes.append(Lane(ln, local.get(ln), ln in timed_lanes,
                          _zone_name(zones.get(ln)) or (tz if tz else None), start, end,
                          min((t.line for t in evs), default=0),
                          max((f.value.lines for f in facts.values() if hasattr(f.value, "lines")), default=0),
                          sorted({f.artifact for f in facts.values()}), offsets.get(ln, 0.0)))

    # 6. crashes, fences, boots
    crashes: list[Crash] = []
    for ln, st in stories.items():
        for start_ev, clean in st.restarts:
            if clean:
                continue
            restart = tev(start_ev)
            assert restart is not None
            last = next((t for t in reversed(events[:restart.seq]) if t.node == ln and t.ne.ev.prog == "corosync"
                         and t.ne.ev.pid != start_ev.ev.pid), None)
            hid = local.get(ln)
            peers = None
            if hid is not None:
                lo = last.seq + 1 if last is not None else 0
                peers = next((t for t in events[lo:restart.seq] if t.node != ln
                              and t.kind in ("knet_link_down", "knet_no_links") and t.attrs.get("host") == hid), None)
            crashes.append(Crash(ln, last, peers, restart))
    fences: list[FenceMark] = []
    boots: list[BootMark] = []
    misses: list[fencing.NearMiss] = []
    for ln, res in fence_res.items():
        for f in res.fences:
            tr = [tev(e) for e in f.trigger]
            fences.append(FenceMark(
                ln, f,
                next((t for t in tr if t and t.kind in fencing.LOST_QUORUM), None),
                next((t for t in tr if t and fencing.lock_lost(t.ne)), None),
                next((t for t in tr if t and t.kind in fencing.WATCHDOG_FIRED), None),
                tev(f.boot)))
        for b in res.boots:
            t = tev(b.event)
            if t is not None:
                boots.append(BootMark(ln, t, b.how))
        misses.extend(res.misses)

    # 7. states
    intervals: list[Interval] = []
    for lane in lanes:
        intervals.extend(_states(lane, [t for t in events if t.node == lane.name], full,
                                 [c for c in crashes if c.node == lane.name],
                                 [f for f in fences if f.node == lane.name]))

    tl = Timeline(lanes, events, intervals, [], skews, fences, misses, boots, crashes, names,
                  _zone_name(display), zone_note, bool(timed_lanes), corrected, notes, full, display,
                  stories=stories)

    # 8. episodes
    for t in events:
        if t.kind == "membership":
            tl._rings.setdefault(t.node, []).append(t.seq)  # noqa: SLF001
    tl.episodes = _episodes(tl, stories, namer, local)
    return tl


def timeline_of(ctx: Context) -> Timeline:
    """The timeline of `ctx` in the logs' own zones (built once: PVE102 reports its episodes)."""
    tl = ctx.options.get("_timeline")
    if tl is None:
        tl = ctx.options["_timeline"] = build_timeline(ctx)
    return tl


def episode_span(ep: Episode, days: bool = False) -> str:
    """`04:04:30–04:04:45 (15 s)`, or by line when the logs have no times (`lines 14–102`)."""
    if ep.timed and ep.start is not None and ep.end is not None:
        fmt = "%b %d %H:%M:%S" if days else "%H:%M:%S"
        return f"{ep.start:{fmt}}–{ep.end:{fmt}} ({_dur((ep.end - ep.start).total_seconds())})"
    if ep.lines:
        return ", ".join(f"{n} lines {a}–{b}" if len(ep.lines) > 1 else f"lines {a}–{b}"
                         for n, (a, b) in ep.lines.items())
    return ""


def _dur(seconds: float) -> str:
    s = int(round(seconds))
    if s < 120:
        return f"{s} s"
    if s < 7200:
        return f"{s // 60} min {s % 60} s" if s % 60 else f"{s // 60} min"
    return f"{s // 3600} h {s % 3600 // 60} min"


# -- states -----------------------------------------------------------------------------------
class _Track:
    def __init__(self, lane: Lane, name: str) -> None:
        self.lane, self.name = lane, name
        self.points: list[tuple[TEvent | None, datetime | None, str | None, str, str, dict[str, Any]]] = []

    def set(self, t: TEvent | None, ts: datetime | None, value: str | None, source: str = "logged",
            reason: str = "", **attrs: Any) -> None:
        if self.points and self.points[-1][2] == value and not attrs:
            return
        self.points.append((t, ts, value, source, reason, attrs))

    def intervals(self, initial: tuple[str | None, str, str] | None) -> list[Interval]:
        out: list[Interval] = []
        pts = list(self.points)
        if initial is not None and pts and pts[0][2] != initial[0]:
            pts.insert(0, (None, self.lane.start, initial[0], initial[1], initial[2], {}))
        elif initial is not None and not pts:
            pts = [(None, self.lane.start, initial[0], initial[1], initial[2], {})]
        for i, (t, ts, value, source, reason, attrs) in enumerate(pts):
            nxt = pts[i + 1] if i + 1 < len(pts) else None
            end = nxt[1] if nxt else self.lane.end
            out.append(Interval(self.lane.name, self.name, value, ts, end,
                                t.seq if t is not None else None,
                                nxt[0].seq if nxt is not None and nxt[0] is not None else None,
                                source, reason, attrs))
        # drop empty stretches (a state that lasted no time and no event)
        return [iv for iv in out if not (iv.start is not None and iv.end is not None and iv.end < iv.start)]


def _states(lane: Lane, evs: list[TEvent], full: int, crashes: list[Crash], fences: list[FenceMark]) -> list[Interval]:
    q = _Track(lane, "quorum")
    m = _Track(lane, "membership")
    lrm = _Track(lane, "ha_lrm")
    crm = _Track(lane, "ha_crm")
    first_q: str | None = None  # the first logged quorum change
    pending_ring: tuple[TEvent, str] | None = None
    sizes: list[int] = []
    crash_at = {c.restart.seq: c for c in crashes}
    fence_boot = {f.boot.seq: f for f in fences if f.boot is not None}
    fence_end = {f.watchdog.seq: f for f in fences if f.boot is None and f.watchdog is not None}
    first_ha: dict[str, str] = {}
    prev: TEvent | None = None
    for t in evs:
        k, a = t.kind, t.attrs
        if k != "boot":
            prev = t
        if t.seq in fence_end:  # the watchdog fired and the log ends: the node went down here
            q.set(t, t.ts, "down", "inferred", "fenced: reset by the watchdog (its next boot is not in the log)")
            m.set(t, t.ts, None)
        if t.seq in crash_at:
            c = crash_at[t.seq]
            when = c.at
            src = c.peers_lost if c.peers_lost is not None else c.last_seen
            if src is not None:
                q.set(src, when, "stopped", "inferred", "corosync died without a clean exit")
                m.set(src, when, None, "inferred")
        if k in ("non_primary", "pmxcfs_lost_quorum"):
            first_q = first_q or "non-quorate"
            q.set(t, t.ts, "non-quorate")
        elif k in ("primary", "pmxcfs_quorum"):
            first_q = first_q or "quorate"
            q.set(t, t.ts, "quorate")
        elif k == "corosync_start":
            first_q = first_q or "start"
            q.set(t, t.ts, "non-quorate", "logged", "corosync starting: not quorate until it joins")
            m.set(t, t.ts, None)
        elif k == "corosync_exit":
            first_q = first_q or "exit"
            q.set(t, t.ts, "stopped", "logged", "corosync stopped cleanly")
            m.set(t, t.ts, None)
        elif k == "boot":
            f = fence_boot.get(t.seq)
            if f is not None and prev is not None:  # down from its last sign of life to the boot
                q.set(prev, prev.ts, "down", "inferred", "fenced: reset by the watchdog")
            first_q = first_q or "boot"
            q.set(t, t.ts, "unknown", "logged", "booted; corosync not started yet")
            m.set(t, t.ts, None)
            lrm.set(t, t.ts, None)
            crm.set(t, t.ts, None)
        elif k == "membership":
            pending_ring = (t, a.get("ring", "?"))
            m.set(t, t.ts, a.get("ring"), members=None)
        elif k == "quorum_members" and pending_ring is not None:
            ids = _ids(a.get("ids"))
            sizes.append(len(ids))
            # the members of the ring just formed
            if m.points and m.points[-1][0] is pending_ring[0]:
                m.points[-1][5]["members"] = ids
            pending_ring = None
        elif k == "ha_status_change":
            prog = t.ne.ev.prog or ""
            states = a.get("from", "") + a.get("to", "")
            track = lrm if "lrm" in prog or (not prog.startswith("pve-ha") and "agent" in states) else crm
            first_ha.setdefault(track.name, a.get("from", ""))
            track.set(t, t.ts, a.get("to"))
    initial_q: tuple[str | None, str, str] | None
    if first_q == "non-quorate":
        initial_q = ("quorate", "inferred", "quorate until the logged loss")
    elif first_q == "quorate":
        initial_q = ("non-quorate", "inferred", "not quorate until the logged gain")
    elif first_q is None and sizes and full and all(n * 2 > full for n in sizes):
        initial_q = ("quorate", "inferred", f"no quorum change logged; every membership had a majority of {full}")
    else:
        initial_q = ("unknown", "inferred", "")
    out = q.intervals(initial_q)
    out += [iv for iv in m.intervals(None)]
    for tr in (lrm, crm):
        init = first_ha.get(tr.name)
        out += tr.intervals((init, "inferred", "state before the first logged change") if init else None)
    return out


# -- episodes ---------------------------------------------------------------------------------
def _episodes(tl: Timeline, stories: dict[str, ce.NodeStory], namer: ce.Namer, local: dict[str, str]) -> list[Episode]:
    eps: list[Episode] = []
    timed = [ln.name for ln in tl.lanes if ln.timed]
    # corosync trouble: the windows PVE102 reports
    wins = ce.windows([stories[ln] for ln in timed]) if timed else []
    spans: list[tuple[datetime, datetime, bool]] = []
    for w0, w1, group in wins:
        still = any(ep.end is None for ep in group)
        spans.append((w0, w1, still))
    timed_evs = [t for t in tl.events if t.ts is not None]  # in time order
    times = [t.ts for t in timed_evs]
    for i, (w0, w1, still) in enumerate(spans):
        nxt = spans[i + 1][0] if i + 1 < len(spans) else None
        lo, hi = bisect_left(times, w0), bisect_right(times, w1)
        core = [t for t in timed_evs[lo:hi] if t.episode is None]
        after_end = w1 + timedelta(seconds=AFTERMATH_SECONDS)
        after = []
        for t in timed_evs[hi:bisect_right(times, after_end)]:
            if nxt is not None and t.ts >= nxt:  # type: ignore[operator]
                break
            if t.episode is not None:
                continue
            if t.kind not in QUIET and t.category not in CONSEQUENCE:
                break  # the aftermath stops where something new starts (a membership, a restart, a boot ...)
            if t.category in CONSEQUENCE:
                after.append(t)
        if core:
            eps.append(_new_episode(core, after, w0, w1, True, still, corosync=True))
    # everything else that matters: bursts of the remaining events
    rest = [t for t in timed_evs if t.episode is None]
    for group in _bursts(rest, lambda a, b: (b.ts - a.ts).total_seconds() <= BURST_GAP_SECONDS):  # type: ignore[operator]
        if any(t.kind not in QUIET for t in group):
            eps.append(_new_episode(group, [], group[0].ts, group[-1].ts, True, False))
    # logs without times: the node's own episodes, by line
    for ln in [x.name for x in tl.lanes if not x.timed]:
        st = stories.get(ln)
        lane_evs = [t for t in tl.events if t.node == ln]
        pos = {t.line: t for t in lane_evs}
        node_eps = st.episodes if st is not None else []
        for j, nep in enumerate(node_eps):
            lo = nep.start.ev.line_no
            hi = nep.end.ev.line_no if nep.end is not None else max(pos, default=lo)
            nlo = node_eps[j + 1].start.ev.line_no if j + 1 < len(node_eps) else None
            core = [t for t in lane_evs if t.episode is None and lo <= t.line <= hi]
            after = [t for t in lane_evs if t.episode is None and t.line > hi and (nlo is None or t.line < nlo)
                     and t.category in CONSEQUENCE]
            if core:
                eps.append(_new_episode(core, after, None, None, False, nep.end is None, corosync=True))
        rest_u = [t for t in lane_evs if t.episode is None]
        for group in _bursts(rest_u, lambda a, b: b.line - a.line <= BURST_GAP_LINES):
            if any(t.kind not in QUIET for t in group):
                eps.append(_new_episode(group, [], None, None, False, False))
    # number them in time (or line) order
    eps.sort(key=lambda e: (0 if e.timed else 1, e.start or datetime.min,
                            min((t.seq for t in e.events), default=0)))
    for n, ep in enumerate(eps, 1):
        ep.id = n
        for t in ep.events:
            t.episode = n
        for t in ep.aftermath:
            t.episode = n
            t.aftermath = True
        _describe(tl, ep, stories, namer, local)
    return eps


def _bursts(evs: list[TEvent], close: Any) -> Iterable[list[TEvent]]:
    group: list[TEvent] = []
    for t in evs:
        if group and not close(group[-1], t):
            yield group
            group = []
        group.append(t)
    if group:
        yield group


def _new_episode(core: list[TEvent], after: list[TEvent], start: datetime | None, end: datetime | None,
                 timed: bool, still: bool, corosync: bool = False) -> Episode:
    for t in core + after:
        t.episode = -1  # taken (numbered later)
    lanes = sorted({t.node for t in core + after}, key=_nat)
    lines: dict[str, tuple[int, int]] = {}
    for t in core + after:
        lo, hi = lines.get(t.node, (t.line, t.line))
        lines[t.node] = (min(lo, t.line), max(hi, t.line))
    lines = {n: lines[n] for n in sorted(lines, key=_nat)}
    return Episode(0, "other", "", start, end, lanes, core, after, timed, lines, open=still, corosync=corosync)


def _quorum_at(tl: Timeline, node: str, t: TEvent) -> str | None:
    """The node's quorum state right after the ring formed by `t`: corosync logs the quorum change
    in the same second (or, in a log without times, within the next few lines of that node)."""
    rings = tl._rings.get(node, [])  # noqa: SLF001
    i = bisect_right(rings, t.seq)
    nxt_ring = rings[i] if i < len(rings) else None
    track = tl.track(node, "quorum")
    if ("_qs", node) not in tl._cache:  # noqa: SLF001
        tl._cache[("_qs", node)] = [iv.start_seq if iv.start_seq is not None else -1 for iv in track]  # noqa: SLF001
    starts = tl._cache[("_qs", node)]  # noqa: SLF001
    k = bisect_right(starts, t.seq) - 1
    val = track[k].value if k >= 0 else None
    for iv in track[k + 1:]:
        s = iv.start_seq
        if s is None or (nxt_ring is not None and s > nxt_ring):
            break
        if t.ts is not None and iv.start is not None and (iv.start - t.ts).total_seconds() <= 1:
            val = iv.value
        elif t.ts is None and s - t.seq <= 6:
            val = iv.value
        else:
            break
    return val


def _hms(ts: datetime | None, t: TEvent | None = None) -> str:
    if ts is None:
        return f"line {t.line}" if t is not None else "?"
    return f"{ts:%H:%M:%S}"


def _list(items: list[str]) -> str:
    if not items:
        return ""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _describe(tl: Timeline, ep: Episode, stories: dict[str, ce.NodeStory], namer: ce.Namer,
              local: dict[str, str]) -> None:
    core, allev = ep.events, ep.events + ep.aftermath
    if ep.timed and ep.start is None:
        ep.start = core[0].ts if core else None
    if ep.timed and ep.end is None:
        ep.end = core[-1].ts if core else None
    if core and ep.timed:
        ep.end = max(ep.end or core[-1].ts, core[-1].ts)  # type: ignore[type-var]
    seqs = {t.seq for t in allev}
    clean: dict[int, list[str]] = {}  # membership event -> hosts that left it cleanly (PVE102's reading)
    for st in stories.values():
        for h, ne in st.clean_leaves:
            clean.setdefault(id(ne), []).append(h)
    # rings formed, with their members and whether they had quorum
    rings: dict[str, dict[str, Any]] = {}
    for t in core:
        if t.kind == "membership" and t.attrs.get("ring"):
            r = rings.setdefault(t.attrs["ring"], {"ring": t.attrs["ring"], "time": t.ts, "line": t.line,
                                                   "seq": t.seq, "nodes": [], "members": None, "quorate": {},
                                                   "clean_left": []})
            r["nodes"].append(t.node)
            for h in clean.get(id(t.ne), ()):
                if h not in r["clean_left"]:
                    r["clean_left"].append(h)
            r["quorate"][t.node] = _quorum_at(tl, t.node, t)
    if tl._ring_iv is None:  # noqa: SLF001 - membership intervals by the event that began them
        tl._ring_iv = {iv.start_seq: iv for iv in tl.intervals if iv.track == "membership" and iv.start_seq is not None}
    for t in core:
        iv = tl._ring_iv.get(t.seq) if t.kind == "membership" else None
        if iv is not None and iv.value in rings and iv.attrs.get("members"):
            rings[iv.value]["members"] = iv.attrs["members"]
    ep.rings = sorted(rings.values(), key=lambda r: r["seq"])
    # links lost, per node
    for t in core:
        if t.kind == "knet_link_down":
            hosts = ep.links_lost.setdefault(t.node, [])
            h = namer.short(t.attrs.get("host", "?"))
            if h not in hosts:
                hosts.append(h)
    # partitions (PVE102's view)
    if ep.timed and ep.start is not None and ep.end is not None and len(tl.lanes) > 1:
        groups = ce.partitions(_windowed(tl, stories, ep.start, ep.end), ep.start, ep.end)
        if len(groups) > 1:  # the sides, named by their members (not only the nodes whose logs we have)
            ep.partition = [[namer.short(i) for i in ids] for ids, _ in groups]
    # quorum lost in it (whole intervals, even when they outlast it)
    t0 = ep.start
    t1 = ep.end
    for lane in tl.lanes:
        for iv in tl.non_quorate(lane.name):
            if ep.timed and t0 is not None and t1 is not None and iv.start is not None:
                hit = (iv.start_seq in seqs) or (t0 <= iv.start <= t1)
            else:
                hit = iv.start_seq in seqs
            if hit:
                ep.non_quorate.append(iv)
    ep.crashes = [c for c in tl.crashes if c.restart.seq in seqs or
                  (c.peers_lost is not None and c.peers_lost.seq in seqs)]
    ep.clean_stops = [t for t in core if t.kind == "corosync_exit"]
    ep.fences = [f for f in tl.fences if any(x is not None and x.seq in seqs
                                             for x in (f.boot, f.watchdog, f.lost_quorum, f.lost_lock))]
    ep.boots = [b for b in tl.boots if b.event.seq in seqs]
    ep.lock_losses = [t for t in allev if t.kind == "ha_lost_lock" or
                      (t.kind == "ha_status_change" and t.attrs.get("to", "").startswith("lost_"))]
    ep.kind, ep.title = _kind(tl, ep)
    ep.story = _story(tl, ep, namer, local)


class _MemberLists:
    """A NodeStory as `partitions` reads it: only its member lists near the window."""

    def __init__(self, member_lists: list[tuple[logs.NodeEvent, tuple[str, ...]]]) -> None:
        self.member_lists = member_lists


def _windowed(tl: Timeline, stories: dict[str, ce.NodeStory], w0: datetime, w1: datetime) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for node, st in stories.items():
        key = ("_ml", node)
        if key not in tl._cache:  # noqa: SLF001
            ml = [(e, ids) for e, ids in st.member_lists if e.ts is not None]
            tl._cache[key] = (ml, [e.ts for e, _ in ml])  # noqa: SLF001
        ml, times = tl._cache[key]  # noqa: SLF001
        lo = bisect_left(times, w0)
        hi = bisect_right(times, w1 + timedelta(seconds=ce.MERGE_SLACK_SECONDS))
        out[node] = _MemberLists(ml[lo:hi])
    return out


def _kind(tl: Timeline, ep: Episode) -> tuple[str, str]:
    if ep.fences:
        return "fence", "fenced: " + ", ".join(sorted({f.node for f in ep.fences}, key=_nat))
    if ep.crashes:
        return "crash", "corosync died on " + ", ".join(c.node for c in ep.crashes)
    if ep.clean_stops:
        who = sorted({t.node for t in ep.clean_stops}, key=_nat)
        return "restart", f"corosync stopped cleanly on {', '.join(who)}" + (
            " and restarted" if any(t.kind == "corosync_start" for t in ep.events) else "")
    if len(ep.partition) > 1:
        sides = " | ".join("{" + ", ".join(p) + "}" for p in ep.partition)
        small = ep.partition[-1]
        if len(small) == 1 and len(ep.partition) == 2:
            return "cut-off", f"{small[0]} cut off: {sides}"
        return "split", f"split {sides}"
    if any(t.kind == "corosync_start" for t in ep.events):
        who = sorted({t.node for t in ep.events if t.kind == "corosync_start"}, key=_nat)
        return "start", "corosync started on " + ", ".join(who)
    if ep.boots:
        return "boot", "boot of " + ", ".join(sorted({b.node for b in ep.boots}, key=_nat))
    if any(t.category == "link" for t in ep.events) and not ep.rings and \
            not any(t.kind in ("token_timeout", "processor_failed") for t in ep.events):
        return "flap", "knet link flap"
    if ep.rings or any(t.category in ("totem", "membership") for t in ep.events):
        lq = sorted({iv.node for iv in ep.non_quorate}, key=_nat)
        return "membership", "membership re-formed" + (f", {', '.join(lq)} without quorum" if lq else "")
    cats = Counter(t.category for t in ep.events)
    if cats.get("k8s"):
        return "k8s", "kubelet errors"
    if cats.get("openstack"):
        return "openstack", "nova-compute errors"
    if cats.get("host"):
        what = sorted({t.kind.replace("_", " ") for t in ep.events if t.category == "host"})
        return "host", "host trouble: " + ", ".join(what)
    top = cats.most_common(1)[0][0] if cats else "other"
    return top, f"{top} events"


def _group(nodes: list[str]) -> str:
    return nodes[0] if len(nodes) == 1 else "{" + ", ".join(nodes) + "}"


def _story(tl: Timeline, ep: Episode, namer: ce.Namer, local: dict[str, str]) -> str:
    """The episode in one paragraph, in the order things happened."""
    core = ep.events
    timed = ep.timed
    beats: list[tuple[int, str]] = []  # (seq, words)

    def at(t: TEvent | None) -> str:
        if t is None:
            return "?"
        return f"at {_hms(t.ts)}" if timed else f"at line {t.line}"

    def later(a: TEvent | None, b: TEvent) -> str:
        if timed and a is not None and a.ts is not None and b.ts is not None and a.seq < b.seq:
            d = (b.ts - a.ts).total_seconds()
            if d >= 1:
                return f"{_dur(d)} later"
        return at(b)

    gone = {local.get(c.node) for c in ep.crashes} | {local.get(t.node) for t in ep.clean_stops}
    gone_names = {namer.short(h) for h in gone if h}
    for c in ep.crashes:
        seen = f"its last line {_hms(c.last_seen.ts, c.last_seen)}" if c.last_seen is not None else ""
        peer = f"{c.peers_lost.node} lost its link {at(c.peers_lost)}" if c.peers_lost is not None else ""
        ref = c.peers_lost or c.last_seen or c.restart
        when = at(c.peers_lost) if c.peers_lost is not None else (
            f"after {_hms(c.last_seen.ts, c.last_seen)}" if c.last_seen is not None else "before its restart")
        beats.append((ref.seq, f"{when} {c.node}'s corosync died without a clean exit ("
                      + "; ".join(x for x in (seen, peer) if x) + ")"))
    downs = [t for t in core if t.kind == "knet_link_down" and namer.short(t.attrs.get("host", "?")) not in gone_names]
    if downs:
        first = downs[0]
        near = [t for t in downs if (timed and t.ts is not None and first.ts is not None
                                     and (t.ts - first.ts).total_seconds() <= 2) or
                (not timed and t.node == first.node and t.line - first.line <= 3)]
        lost_by: dict[str, list[str]] = {}
        for t in near:
            h = namer.short(t.attrs.get("host", "?"))
            if t.node not in lost_by.setdefault(h, []):
                lost_by[h].append(t.node)
        if len(ep.partition) > 1:
            small = [n for grp in ep.partition[1:] for n in grp]
            if len(ep.partition) == 2 and len(small) == 1:
                words = f"{small[0]} was cut off from {_list(ep.partition[0])}"
            else:
                words = "the links between " + " and ".join(_group(g) for g in reversed(ep.partition)) + " went down"
        elif len(lost_by) == 1:
            h, who = next(iter(lost_by.items()))
            words = f"{_list(sorted(who, key=_nat))} lost {'their links' if len(who) > 1 else 'its link'} to {h}"
        else:
            by_node: dict[str, list[str]] = {}
            for h, who in lost_by.items():
                for n in who:
                    by_node.setdefault(n, []).append(h)
            words = "; ".join(f"{n} lost its link{'s' if len(hs) > 1 else ''} to {_list(hs)}"
                              for n, hs in sorted(by_node.items(), key=lambda x: _nat(x[0])))
        beats.append((first.seq, f"{at(first)} {words}"))
    tokens = [t for t in core if t.kind == "token_timeout"]
    if tokens:
        ms = [int(t.attrs.get("ms", "0") or 0) for t in tokens]
        if not timed or not downs:
            beats.append((tokens[0].seq, f"{at(tokens[0])} the token was lost ({len(tokens)} "
                          f"warning{'s' if len(tokens) > 1 else ''}, up to {max(ms)} ms)"))
    for t in ep.clean_stops:
        beats.append((t.seq, f"{at(t)} {t.node}'s corosync was stopped cleanly"))
    for t in core:
        if t.kind == "corosync_start":
            beats.append((t.seq, f"{at(t)} {t.node}'s corosync started"))
        elif t.kind == "config_version_mismatch":
            beats.append((t.seq, f"{at(t)} {t.node}: {t.summary}"))
    # rings, told in steps of rings formed about together
    steps: list[list[dict[str, Any]]] = []
    starts = [t for t in core if t.kind == "corosync_start"]
    for r in ep.rings:
        restarted = any(t.node in r["nodes"] and steps and steps[-1][0]["seq"] < t.seq < r["seq"] for t in starts)
        if steps and timed and not restarted and r["time"] is not None and steps[-1][0]["time"] is not None and \
                (r["time"] - steps[-1][0]["time"]).total_seconds() <= RING_GROUP_SECONDS:
            steps[-1].append(r)
        else:
            steps.append([r])
    full = tl.full_size
    healed: dict[str, Any] | None = None
    by_seq = {t.seq: t for t in core}
    for i, step in enumerate(steps):
        words: list[str] = []
        said: dict[tuple[Any, ...], list[str]] = {}
        for r in step:
            members = r["members"]
            who = sorted(r["nodes"], key=_nat)
            if members and full and len(members) >= full and i == len(steps) - 1:
                healed = r
                continue
            q = {v for v in r["quorate"].values() if v}
            qs = "without quorum" if q == {"non-quorate"} else "with quorum" if q == {"quorate"} else \
                "(quorum not logged)" if not q or q == {"unknown"} else "(quorum differing between them)"
            left = f" ({_list([namer.short(h) for h in r['clean_left']])} left cleanly)" if r["clean_left"] else ""
            alone = bool(members and len(members) == 1 and len(who) == 1)
            mine = {local.get(n) for n in who}
            mem = f" (members {_list([namer.short(m) for m in members])})" if members and set(members) != mine \
                and not alone else ""
            key = (tuple(who), alone, mem, qs, left)
            if key not in said:
                said[key] = []
            said[key].append(r["ring"])
        for (who_t, alone, mem, qs, left), rs in said.items():
            ring_s = f"ring {rs[0]}" if len(rs) == 1 else f"rings {_list(rs)}"
            if alone:
                words.append(f"{who_t[0]} was alone in {ring_s} ({qs.strip('()')})")
            else:
                words.append(f"{_list(list(who_t))} formed {ring_s}{mem} {qs}{left}")
        if words:
            t = by_seq.get(step[0]["seq"])
            if t is not None:
                beats.append((t.seq, "\0LATER\0" + " and ".join(words)))
    told: set[tuple[str, str]] = set()
    for t in ep.lock_losses:
        prog = t.ne.ev.prog or "HA"
        if (t.node, prog) in told:
            continue
        told.add((t.node, prog))
        who = {"pve-ha-lrm": "HA agent (pve-ha-lrm)", "pve-ha-crm": "HA manager (pve-ha-crm)"}.get(prog, prog)
        what = f"lost its lock {t.attrs['lock']}" if t.attrs.get("lock") else \
            f"went {t.attrs.get('from')} => {t.attrs.get('to')}"
        beats.append((t.seq, f"{at(t)} {t.node}'s {who} {what}"))
    for f in ep.fences:
        parts = []
        if f.lost_quorum is not None:
            parts.append(f"lost quorum {at(f.lost_quorum)}")
        if f.lost_lock is not None:
            parts.append(f"its HA agent lost its lock {at(f.lost_lock)}")
        if f.watchdog is not None:
            parts.append(f"watchdog expired {at(f.watchdog)}")
        if f.boot is not None:
            gap = ""
            if f.first is not None and f.first.ts is not None and f.boot.ts is not None:
                gap = f", {_dur((f.boot.ts - f.first.ts).total_seconds())} after losing the cluster"
            parts.append(f"rebooted without a shutdown {at(f.boot)}{gap}")
        else:
            parts.append("its next boot is not in the log")
        key = (f.boot or f.watchdog or f.first)
        beats.append((key.seq if key is not None else 0, f"{f.node} was FENCED: " + ", ".join(parts)))
    for b in ep.boots:
        if b.how != "fence":
            how = {"clean": "after a clean shutdown", "unclean": "with no shutdown before it (crash, power loss "
                   "or reset)", "first": "(the log starts with this boot)"}[b.how]
            beats.append((b.event.seq, f"{at(b.event)} {b.node} booted {how}"))
    for t in core:
        if t.category in ("host", "k8s", "openstack") and t.kind != "nfs_ok":
            beats.append((t.seq, f"{at(t)} {t.node}: {t.summary}"))
    if healed is not None:
        t = by_seq.get(healed["seq"])
        beats.append((healed["seq"], f"whole again {at(t)} (ring {healed['ring']}, all {full} nodes)"))
    elif ep.open:
        beats.append((10 ** 12, "not healed by the end of the logs"))
    beats.sort(key=lambda b: b[0])
    out: list[str] = []
    prev: TEvent | None = None
    for seq, w in beats:
        t = tl.events[seq] if 0 <= seq < len(tl.events) else None
        if w.startswith("\0LATER\0"):  # told relative to the step before it
            w = (later(prev, t) if t is not None else "then") + " " + w[len("\0LATER\0"):]
        if w not in out:
            out.append(w)
        prev = t or prev
    text = "; ".join(out)
    return text[:1].upper() + text[1:] + "." if text else ""

