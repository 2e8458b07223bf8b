"""The timeline's data: events, state intervals, lanes, episodes, the whole timeline."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from forewarn.facts import corosync_episodes as ce
from forewarn.facts import fencing, logs

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

UTC_STAMP = re.compile(r"^\s*(?:\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)\s|\{)")
OFFSET = re.compile(r"^(?:UTC|GMT)?([+-])(\d{1,2}):?(\d\d)?$")


# -- data -------------------------------------------------------------------------------------
@dataclass(slots=True)
class TEvent:
    seq: int
    node: str
    ts: datetime | None  # corrected time in the display zone (None: the log has no times)
    logged: datetime | None  # the time as logged (year filled in), before zone and skew
    kind: str
    category: str
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


