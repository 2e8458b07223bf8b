"""Episodes: bursts of events across nodes, what followed them, and their titles."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from forewarn.facts import corosync_episodes as ce
from forewarn.facts import logs
from forewarn.facts.timeline.model import (
    AFTERMATH_SECONDS,
    BURST_GAP_LINES,
    BURST_GAP_SECONDS,
    CONSEQUENCE,
    QUIET,
    Episode,
    TEvent,
    Timeline,
)
from forewarn.facts.words import nat


# -- episodes ---------------------------------------------------------------------------------
def find_episodes(tl: Timeline, stories: dict[str, ce.NodeStory], namer: ce.Namer) -> list[Episode]:
    eps: list[Episode] = []
    timed = [ln.name for ln in tl.lanes if ln.timed]
    # corosync trouble: the windows PVE102 reports
    wins = ce.windows([stories[ln] for ln in timed]) if timed else []
    spans: list[tuple[datetime, datetime, bool]] = []
    for w0, w1, group in wins:
        still = any(ep.end is None for ep in group)
        spans.append((w0, w1, still))
    timed_evs = [t for t in tl.events if t.ts is not None]  # in time order
    times = [t.ts for t in timed_evs if t.ts is not None]  # the same length: timed_evs all have a time
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
    for burst in _bursts(rest, lambda a, b: (b.ts - a.ts).total_seconds() <= BURST_GAP_SECONDS):
        if any(t.kind not in QUIET for t in burst):
            eps.append(_new_episode(burst, [], burst[0].ts, burst[-1].ts, True, False))
    # logs without times: the node's own episodes, by line
    for ln in [x.name for x in tl.lanes if not x.timed]:
        st = stories.get(ln)
        lane_evs = [t for t in tl.events if t.node == ln]
        # by line, so each episode takes its slice instead of scanning the lane (a long log has
        # thousands of episodes: a scan per episode was quadratic)
        by_line = sorted(range(len(lane_evs)), key=lambda i: lane_evs[i].line)
        lines = [lane_evs[i].line for i in by_line]
        node_eps = st.episodes if st is not None else []

        def between(first: int, last: int | None, *, after_first: bool) -> list[TEvent]:
            a = bisect_right(lines, first) if after_first else bisect_left(lines, first)
            b = len(lines) if last is None else bisect_right(lines, last)
            return [lane_evs[i] for i in sorted(by_line[a:b]) if lane_evs[i].episode is None]

        for j, nep in enumerate(node_eps):
            lo = nep.start.ev.line_no
            hi = nep.end.ev.line_no if nep.end is not None else max(lines, default=lo)
            nlo = node_eps[j + 1].start.ev.line_no if j + 1 < len(node_eps) else None
            core = between(lo, hi, after_first=False)
            after = [t for t in between(hi, None if nlo is None else nlo - 1, after_first=True)
                     if t.category in CONSEQUENCE]
            if core:
                eps.append(_new_episode(core, after, None, None, False, nep.end is None, corosync=True))
        rest_u = [t for t in lane_evs if t.episode is None]
        for burst in _bursts(rest_u, lambda a, b: b.line - a.line <= BURST_GAP_LINES):
            if any(t.kind not in QUIET for t in burst):
                eps.append(_new_episode(burst, [], None, None, False, False))
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
        _describe(tl, ep, stories, namer)
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
    lanes = sorted({t.node for t in core + after}, key=nat)
    lines: dict[str, tuple[int, int]] = {}
    for t in core + after:
        n = t.ne.ev.line_no
        lo, hi = lines.get(t.node, (n, n))
        lines[t.node] = (min(lo, n), max(hi, n))
    lines = {n: lines[n] for n in sorted(lines, key=nat)}
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
    for j in range(k + 1, len(track)):  # not a slice: a busy node's track is long, and this is asked per ring
        iv = track[j]
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






def _describe(tl: Timeline, ep: Episode, stories: dict[str, ce.NodeStory], namer: ce.Namer) -> None:
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
        return "fence", "fenced: " + ", ".join(sorted({f.node for f in ep.fences}, key=nat))
    if ep.crashes:
        return "crash", "corosync died on " + ", ".join(c.node for c in ep.crashes)
    if ep.clean_stops:
        who = sorted({t.node for t in ep.clean_stops}, key=nat)
        return "restart", f"corosync stopped cleanly on {', '.join(who)}" + (
            " and restarted" if any(t.kind == "corosync_start" for t in ep.events) else "")
    if len(ep.partition) > 1:
        sides = " | ".join("{" + ", ".join(p) + "}" for p in ep.partition)
        small = ep.partition[-1]
        if len(small) == 1 and len(ep.partition) == 2:
            return "cut-off", f"{small[0]} cut off: {sides}"
        return "split", f"split {sides}"
    if any(t.kind == "corosync_start" for t in ep.events):
        who = sorted({t.node for t in ep.events if t.kind == "corosync_start"}, key=nat)
        return "start", "corosync started on " + ", ".join(who)
    if ep.boots:
        return "boot", "boot of " + ", ".join(sorted({b.node for b in ep.boots}, key=nat))
    if any(t.category == "link" for t in ep.events) and not ep.rings and \
            not any(t.kind in ("token_timeout", "processor_failed") for t in ep.events):
        return "flap", "knet link flap"
    if ep.rings or any(t.category in ("totem", "membership") for t in ep.events):
        lq = sorted({iv.node for iv in ep.non_quorate}, key=nat)
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




