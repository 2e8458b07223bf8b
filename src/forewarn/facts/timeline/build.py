"""Building the timeline: events in order on one axis, lanes, states, episodes, fences."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone

from forewarn.facts import corosync_episodes as ce
from forewarn.facts import fencing, logs
from forewarn.facts.cluster_votes import conf_size
from forewarn.facts.context import Context
from forewarn.facts.timeline.episodes import find_episodes
from forewarn.facts.timeline.inputs import lanes_events
from forewarn.facts.timeline.model import (
    CATEGORY,
    SKEW_MIN_SECONDS,
    BootMark,
    Crash,
    FenceMark,
    Interval,
    Lane,
    TEvent,
    Timeline,
)
from forewarn.facts.timeline.skew import estimate_skew
from forewarn.facts.timeline.states import node_states
from forewarn.facts.timeline.zones import (
    evidence_zone,
    has_zone,
    parse_zone,
    place_time,
    zone_name,
)
from forewarn.facts.words import dur, nat


# -- building ---------------------------------------------------------------------------------
def build_timeline(ctx: Context, *, tz: str | None = None, node_tz: dict[str, str] | None = None) -> Timeline:
    """Everything the timeline shows, from the evidence in `ctx` (pure: no I/O beyond the context)."""
    node_tz = node_tz or {}
    display = parse_zone(tz) if tz else None
    raw = lanes_events(ctx)
    lane_names = sorted(raw, key=nat)
    # a node's zone: --tz NODE=ZONE, else its own (/etc/timezone in the bundle), else --tz ZONE
    zones = {n: z for n in lane_names if (z := evidence_zone(ctx, n)) is not None}
    zones.update({n: parse_zone(z) for n, z in node_tz.items()})
    notes: list[str] = logs.backwards_notes(ctx) + logs.cap_notes(ctx)

    # 1. zones: every timed event onto one clock
    any_exact = any(has_zone(e) for evs in raw.values() for e in evs)
    if display is None and (zones or any_exact):
        display = timezone.utc
    placed: dict[str, list[logs.NodeEvent]] = {}
    unknown_zone: set[str] = set()
    for lane in lane_names:
        zone = zones.get(lane) or (parse_zone(tz) if tz else None)
        if zone is None and display is None:  # no zone anywhere: every time stays as logged
            placed[lane] = list(raw[lane])
            if any(e.ts is not None for e in raw[lane]):
                unknown_zone.add(lane)
            continue
        out = []
        for e in raw[lane]:
            exact = has_zone(e)
            if e.ts is not None and not exact and zone is None:
                unknown_zone.add(lane)
            moved = place_time(e.ts, exact, zone, display)
            out.append(e if moved is e.ts else e.at(moved))  # an event whose time stays is not copied
        placed[lane] = out
    if display is None:
        zone_note = "times as logged (the logs carry no time zone; --tz sets one)"
    elif unknown_zone:
        zone_note = (f"times in {zone_name(display)}; {', '.join(sorted(unknown_zone, key=nat))}: local times "
                     "of an unknown zone, placed as if they were in it (give --tz NODE=ZONE)")
    else:
        zone_note = f"times in {zone_name(display)}"

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
        back = timedelta(seconds=off)
        placed[lane] = [e.at(e.ts - back) if e.ts is not None else e for e in placed[lane]]
        if off and abs(off - round(off / 900) * 900) < SKEW_MIN_SECONDS and abs(off) >= 900:
            notes.append(f"{lane}'s clock is off by {dur(abs(off))}, a whole number of quarter hours: "
                         f"probably a time zone, not a clock fault (give --tz {lane}=ZONE)")

    # 3. the shared analyses, on corrected times
    full = conf_size(ctx)
    story_kinds, fence_kinds = frozenset(ce.KINDS), frozenset(fencing.KINDS)
    stories = {lane: ce.analyse(lane, [e for e in placed[lane] if e.ev.kind in story_kinds], full)
               for lane in lane_names}
    full = full or max((st.full_size for st in stories.values()), default=0)
    names, local = ce.id_names(ctx, stories, by_name=True)
    namer = ce.Namer(names)
    fence_res = {lane: fencing.analyse(lane, [e for e in placed[lane] if e.ev.kind in fence_kinds])
                 for lane in lane_names}

    # 4. one ordered list
    timed_lanes = [ln for ln in lane_names if any(e.ts is not None for e in placed[ln])]
    untimed = [ln for ln in lane_names if ln not in timed_lanes]
    order = {ln: i for i, ln in enumerate(lane_names)}
    timed_evs = sorted(((ln, e, r) for ln in timed_lanes for e, r in zip(placed[ln], raw[ln])),
                       key=lambda x: (x[1].ts or datetime.min, order[x[0]], x[1].ev.line_no))
    seq_of: dict[int, TEvent] = {}
    events: list[TEvent] = []
    of_lane: dict[str, list[TEvent]] = {ln: [] for ln in lane_names}
    for ln, e, r in timed_evs + [(ln, e, r) for ln in untimed for e, r in zip(placed[ln], raw[ln])]:
        kind = e.ev.kind
        te = TEvent(len(events), ln, e.ts, r.ts, kind, CATEGORY.get(kind, "other"), e)
        events.append(te)
        of_lane[ln].append(te)
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
        evs = of_lane[ln]
        facts = {id(e.fact): e.fact for e in placed[ln]}
        starts: list[datetime] = []
        ends: list[datetime] = []
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
            exact = has_zone(ref_ev)

            def fix(v: datetime) -> datetime | None:
                y = logs.fix_year(v, v.year != 2000, ctx.now)  # the same year rule as the events
                p = place_time(y, exact, zone, display)
                return p - timedelta(seconds=off) if p is not None else None

            start = min([t for t in (fix(v) for v in starts) if t] + [t.ts for t in evs if t.ts], default=None)
            end = max([t for t in (fix(v) for v in ends) if t] + [t.ts for t in evs if t.ts], default=None)
        lanes.append(Lane(ln, local.get(ln), ln in timed_lanes,
                          zone_name(zones.get(ln)) or (tz if tz else None), start, end,
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
        for fence in res.fences:
            tr = [tev(e) for e in fence.trigger]
            fences.append(FenceMark(
                ln, fence,
                next((t for t in tr if t and t.kind in fencing.LOST_QUORUM), None),
                next((t for t in tr if t and fencing.lock_lost(t.ne)), None),
                next((t for t in tr if t and t.kind in fencing.WATCHDOG_FIRED), None),
                tev(fence.boot)))
        for b in res.boots:
            t = tev(b.event)
            if t is not None:
                boots.append(BootMark(ln, t, b.how))
        misses.extend(res.misses)

    # 7. states
    intervals: list[Interval] = []
    for row in lanes:
        intervals.extend(node_states(row, of_lane[row.name], full,
                                     [c for c in crashes if c.node == row.name],
                                     [fm for fm in fences if fm.node == row.name]))

    tl = Timeline(lanes, events, intervals, [], skews, fences, misses, boots, crashes, names,
                  zone_name(display), zone_note, bool(timed_lanes), corrected, notes, full, display,
                  stories=stories)

    # 8. episodes
    for t in events:
        if t.kind == "membership":
            tl._rings.setdefault(t.node, []).append(t.seq)  # noqa: SLF001
    tl.episodes = find_episodes(tl, stories, namer)
    return tl


def timeline_of(ctx: Context) -> Timeline:
    """The timeline of `ctx` in the logs' own zones (built once: PVE102 reports its episodes)."""
    tl = ctx.options.get("_timeline")
    if tl is None:
        tl = ctx.options["_timeline"] = build_timeline(ctx)
    return tl






