"""Each node's state over time: quorum, membership ring, HA agent."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from forewarn.facts.corosync_episodes import id_list
from forewarn.facts.timeline.model import Crash, FenceMark, Interval, Lane, TEvent


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


def node_states(lane: Lane, evs: list[TEvent], full: int, crashes: list[Crash], fences: list[FenceMark]) -> list[Interval]:
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
            ids = id_list(a.get("ids"))
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


