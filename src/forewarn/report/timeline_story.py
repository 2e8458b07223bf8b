"""An episode told in words: one paragraph, in the order things happened."""

from __future__ import annotations

from typing import Any

from forewarn.facts import corosync_episodes as ce
from forewarn.facts.timeline.model import RING_GROUP_SECONDS, Episode, TEvent, Timeline
from forewarn.facts.words import dur, english_list, nat
from forewarn.report.timeline_words import clock_text, event_summary, group_text


def story(tl: Timeline, ep: Episode) -> str:
    """The episode in one paragraph, with the timeline's names for corosync's node ids."""
    local = {ln.name: ln.node_id for ln in tl.lanes if ln.node_id}
    return tell_story(tl, ep, ce.Namer(tl.names), local)


def tell_story(tl: Timeline, ep: Episode, namer: ce.Namer, local: dict[str, str]) -> str:
    """The episode in one paragraph, in the order things happened."""
    core = ep.events
    timed = ep.timed
    beats: list[tuple[int, str]] = []  # (seq, words)

    def at(t: TEvent | None) -> str:
        if t is None:
            return "?"
        return f"at {clock_text(t.ts)}" if timed else f"at line {t.line}"

    def later(a: TEvent | None, b: TEvent) -> str:
        if timed and a is not None and a.ts is not None and b.ts is not None and a.seq < b.seq:
            d = (b.ts - a.ts).total_seconds()
            if d >= 1:
                return f"{dur(d)} later"
        return at(b)

    gone = {local.get(c.node) for c in ep.crashes} | {local.get(t.node) for t in ep.clean_stops}
    gone_names = {namer.short(h) for h in gone if h}
    for c in ep.crashes:
        seen = f"its last line {clock_text(c.last_seen.ts, c.last_seen)}" if c.last_seen is not None else ""
        peer = f"{c.peers_lost.node} lost its link {at(c.peers_lost)}" if c.peers_lost is not None else ""
        ref = c.peers_lost or c.last_seen or c.restart
        when = at(c.peers_lost) if c.peers_lost is not None else (
            f"after {clock_text(c.last_seen.ts, c.last_seen)}" if c.last_seen is not None else "before its restart")
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
                words = f"{small[0]} was cut off from {english_list(ep.partition[0])}"
            else:
                words = "the links between " + " and ".join(group_text(g) for g in reversed(ep.partition)) + " went down"
        elif len(lost_by) == 1:
            h, who = next(iter(lost_by.items()))
            words = f"{english_list(sorted(who, key=nat))} lost {'their links' if len(who) > 1 else 'its link'} to {h}"
        else:
            by_node: dict[str, list[str]] = {}
            for h, who in lost_by.items():
                for n in who:
                    by_node.setdefault(n, []).append(h)
            words = "; ".join(f"{n} lost its link{'s' if len(hs) > 1 else ''} to {english_list(hs)}"
                              for n, hs in sorted(by_node.items(), key=lambda x: nat(x[0])))
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
            beats.append((t.seq, f"{at(t)} {t.node}: {event_summary(t, namer)}"))
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
        formed: list[str] = []
        said: dict[tuple[Any, ...], list[str]] = {}
        for r in step:
            members = r["members"]
            who = sorted(r["nodes"], key=nat)
            if members and full and len(members) >= full and i == len(steps) - 1:
                healed = r
                continue
            q = {v for v in r["quorate"].values() if v}
            qs = "without quorum" if q == {"non-quorate"} else "with quorum" if q == {"quorate"} else \
                "(quorum not logged)" if not q or q == {"unknown"} else "(quorum differing between them)"
            left = f" ({english_list([namer.short(h) for h in r['clean_left']])} left cleanly)" if r["clean_left"] else ""
            alone = bool(members and len(members) == 1 and len(who) == 1)
            mine = {local.get(n) for n in who}
            mem = f" (members {english_list([namer.short(m) for m in members])})" if members and set(members) != mine \
                and not alone else ""
            key = (tuple(who), alone, mem, qs, left)
            if key not in said:
                said[key] = []
            said[key].append(r["ring"])
        for (who_t, alone, mem, qs, left), rs in said.items():
            ring_s = f"ring {rs[0]}" if len(rs) == 1 else f"rings {english_list(rs)}"
            if alone:
                formed.append(f"{who_t[0]} was alone in {ring_s} ({qs.strip('()')})")
            else:
                formed.append(f"{english_list(list(who_t))} formed {ring_s}{mem} {qs}{left}")
        if formed:
            step_t = by_seq.get(step[0]["seq"])
            if step_t is not None:
                beats.append((step_t.seq, "\0LATER\0" + " and ".join(formed)))
    told: set[tuple[str, str]] = set()
    for t in ep.lock_losses:
        prog = t.ne.ev.prog or "HA"
        if (t.node, prog) in told:
            continue
        told.add((t.node, prog))
        agent = {"pve-ha-lrm": "HA agent (pve-ha-lrm)", "pve-ha-crm": "HA manager (pve-ha-crm)"}.get(prog, prog)
        what = f"lost its lock {t.attrs['lock']}" if t.attrs.get("lock") else \
            f"went {t.attrs.get('from')} => {t.attrs.get('to')}"
        beats.append((t.seq, f"{at(t)} {t.node}'s {agent} {what}"))
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
                gap = f", {dur((f.boot.ts - f.first.ts).total_seconds())} after losing the cluster"
            parts.append(f"rebooted without a shutdown {at(f.boot)}{gap}")
        else:
            parts.append("its next boot is not in the log")
        mark = (f.boot or f.watchdog or f.first)
        beats.append((mark.seq if mark is not None else 0, f"{f.node} was FENCED: " + ", ".join(parts)))
    for b in ep.boots:
        if b.how != "fence":
            how = {"clean": "after a clean shutdown", "unclean": "with no shutdown before it (crash, power loss "
                   "or reset)", "first": "(the log starts with this boot)"}[b.how]
            beats.append((b.event.seq, f"{at(b.event)} {b.node} booted {how}"))
    for t in core:
        if t.category in ("host", "k8s", "openstack") and t.kind != "nfs_ok":
            beats.append((t.seq, f"{at(t)} {t.node}: {event_summary(t, namer)}"))
    if healed is not None:
        whole_t = by_seq.get(healed["seq"])
        beats.append((healed["seq"], f"whole again {at(whole_t)} (ring {healed['ring']}, all {full} nodes)"))
    elif ep.open:
        beats.append((10 ** 12, "not healed by the end of the logs"))
    beats.sort(key=lambda b: b[0])
    out: list[str] = []
    prev: TEvent | None = None
    for seq, w in beats:
        beat_t = tl.events[seq] if 0 <= seq < len(tl.events) else None
        if w.startswith("\0LATER\0"):  # told relative to the step before it
            w = (later(prev, beat_t) if beat_t is not None else "then") + " " + w[len("\0LATER\0"):]
        if w not in out:
            out.append(w)
        prev = beat_t or prev
    text = "; ".join(out)
    return text[:1].upper() + text[1:] + "." if text else ""

