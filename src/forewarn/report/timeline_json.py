"""`forewarn timeline --format json`: schema `forewarn.timeline`, documented in docs/report-json.md.

Everything a chart needs is here: one lane per node (`nodes`), each with its state intervals
(`states`: quorum, membership, HA agents) and markers (`events`, with a `category`), plus the
episodes, the clock offsets found and corrected, the fences, crashes and boots.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from forewarn import __version__
from forewarn.facts import corosync_episodes as ce
from forewarn.facts.timeline import Episode, Interval, TEvent, Timeline
from forewarn.report.timeline_story import story
from forewarn.report.timeline_words import event_summary

SCHEMA = "forewarn.timeline"
SCHEMA_VERSION = 1


def _iso(ts: datetime | None, tl: Timeline) -> str | None:
    """Times carry the display zone's offset when it is known, and none when it is not (as logged)."""
    if ts is None:
        return None
    if tl.tzinfo is None:
        return ts.isoformat()
    return ts.replace(tzinfo=tl.tzinfo).isoformat().replace("+00:00", "Z")


def _ref(t: TEvent | None) -> int | None:
    return t.seq if t is not None else None


def _event(t: TEvent, tl: Timeline, namer: ce.Namer) -> dict[str, Any]:
    return {
        "seq": t.seq, "node": t.node, "time": _iso(t.ts, tl),
        "logged_time": t.logged.isoformat() if t.logged is not None else None,
        "kind": t.kind, "category": t.category, "summary": event_summary(t, namer),
        "episode": t.episode, "aftermath": t.aftermath,
        "artifact": t.ne.fact.artifact, "spec": t.ne.fact.spec, "line": t.line, "text": t.ne.ev.text,
        "attrs": dict(t.attrs),
    }


def _interval(iv: Interval, tl: Timeline) -> dict[str, Any]:
    d: dict[str, Any] = {
        "track": iv.track, "value": iv.value, "from": _iso(iv.start, tl), "to": _iso(iv.end, tl),
        "seconds": iv.seconds, "from_seq": iv.start_seq, "to_seq": iv.end_seq, "source": iv.source,
    }
    if iv.reason:
        d["reason"] = iv.reason
    if iv.attrs.get("members") is not None:
        d["members"] = list(iv.attrs["members"])
    return d


def _episode(ep: Episode, tl: Timeline) -> dict[str, Any]:
    return {
        "id": ep.id, "kind": ep.kind, "title": ep.title, "story": story(tl, ep),
        "from": _iso(ep.start, tl), "to": _iso(ep.end, tl), "seconds": ep.seconds, "open": ep.open,
        "lines": {n: list(v) for n, v in ep.lines.items()},
        "nodes": ep.lanes,
        "membership_changes": ep.membership_changes,
        "rings": [{"ring": r["ring"], "time": _iso(r["time"], tl), "seq": r["seq"], "logged_by": r["nodes"],
                   "members": r["members"], "quorate": r["quorate"], "left_cleanly": r["clean_left"]}
                  for r in ep.rings],
        "partition": ep.partition,
        "non_quorate": [{"node": iv.node, "from": _iso(iv.start, tl), "to": _iso(iv.end, tl),
                         "seconds": iv.seconds, "from_seq": iv.start_seq, "to_seq": iv.end_seq,
                         "reason": iv.reason} for iv in ep.non_quorate],
        "links_lost": ep.links_lost,
        "crashes": [c.node for c in ep.crashes],
        "clean_stops": [{"node": t.node, "seq": t.seq, "time": _iso(t.ts, tl)} for t in ep.clean_stops],
        "fences": [f.node for f in ep.fences],
        "boots": [{"node": b.node, "seq": b.event.seq, "how": b.how} for b in ep.boots],
        "events": [t.seq for t in ep.events],
        "aftermath": [t.seq for t in ep.aftermath],
    }


def timeline_to_json(tl: Timeline, *, source: str = "", generated: datetime | None = None) -> dict[str, Any]:
    gen = (generated or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(microsecond=0)
    skews = {s.node: s for s in tl.skews}
    nodes = []
    for ln in tl.lanes:
        s = skews.get(ln.name)
        nodes.append({
            "name": ln.name, "node_id": ln.node_id, "timed": ln.timed, "zone": ln.zone,
            "log_from": _iso(ln.start, tl), "log_to": _iso(ln.end, tl),
            "first_line": ln.first_line, "last_line": ln.last_line, "artifacts": ln.artifacts,
            "clock_offset_seconds": s.offset if s is not None else None,
            "clock_corrected": bool(s is not None and s.applied),
            "states": [_interval(iv, tl) for iv in tl.intervals if iv.node == ln.name],
        })
    times = [t.ts for t in tl.events if t.ts is not None]
    namer = ce.Namer(tl.names)
    return {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "forewarn_version": __version__,
        "source": source,
        "generated": gen.isoformat().replace("+00:00", "Z"),
        "clock": {
            "timed": tl.timed,
            "zone": tl.zone,
            "note": tl.zone_note,
            "corrected": tl.corrected,
            "from": _iso(min(times), tl) if times else None,
            "to": _iso(max(times), tl) if times else None,
        },
        "notes": tl.notes,
        "cluster_size": tl.full_size or None,
        "node_ids": tl.names,
        "nodes": nodes,
        "skew": [{"node": s.node, "offset_seconds": s.offset, "anchors": s.anchors, "spread_seconds": s.spread,
                  "reference": s.reference, "applied": s.applied} for s in tl.skews],
        "episodes": [_episode(ep, tl) for ep in tl.episodes],
        "fences": [{
            "node": f.node, "certain": f.fence.certain,
            "lost_quorum": _mark(f.lost_quorum, tl), "lost_lock": _mark(f.lost_lock, tl),
            "watchdog": _mark(f.watchdog, tl), "boot": _mark(f.boot, tl),
            "seconds_to_boot": _gap(f.first, f.boot),
        } for f in tl.fences],
        "near_misses": [{"node": m.node, "lost": {"line": m.lost.ev.line_no, "text": m.lost.ev.text},
                         "back": {"line": m.back.ev.line_no, "text": m.back.ev.text}} for m in tl.near_misses],
        "crashes": [{"node": c.node, "at": _iso(c.at, tl), "last_seen": _mark(c.last_seen, tl),
                     "peers_lost": _mark(c.peers_lost, tl), "restart": _mark(c.restart, tl)} for c in tl.crashes],
        "boots": [{"node": b.node, "how": b.how, **(_mark(b.event, tl) or {})} for b in tl.boots],
        "events": [_event(t, tl, namer) for t in tl.events],
    }


def _mark(t: TEvent | None, tl: Timeline) -> dict[str, Any] | None:
    if t is None:
        return None
    return {"seq": t.seq, "node": t.node, "time": _iso(t.ts, tl), "line": t.line}


def _gap(a: TEvent | None, b: TEvent | None) -> float | None:
    if a is None or b is None or a.ts is None or b.ts is None:
        return None
    return (b.ts - a.ts) / timedelta(seconds=1)
