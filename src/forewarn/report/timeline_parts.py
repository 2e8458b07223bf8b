"""The pieces every rendering of a timeline shares: the header_lines, episode blocks, node states, the tail."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from forewarn.facts import corosync_episodes as ce
from forewarn.facts.timeline import Episode, Interval, TEvent, Timeline
from forewarn.facts.words import dur, episode_span, nat
from forewarn.report.timeline_words import event_summary

MAX_LINES_PER_NODE = 14  # per episode, without --verbose
_LOUD = {"non_primary", "pmxcfs_lost_quorum", "ha_lost_lock", "boot", "watchdog_expired", "watchdog_not_stopped",
         "watchdog_mux_exit_active", "oom_kill", "hung_task", "nfs_not_responding", "config_version_mismatch"}
# without times, only neighbouring lines of one family are told on one line
_FAMILY = {"membership": "ring", "quorum": "ring", "watchdog": "ha"}
_GOOD = {"primary", "pmxcfs_quorum", "ha_acquired_lock", "pmxcfs_synced", "nfs_ok"}


def _t(ts: datetime | None, t: TEvent | None = None, days: bool = False) -> str:
    if ts is None:
        return f"L{t.line}" if t is not None else "?"
    return ts.strftime("%b %d %H:%M:%S" if days else "%H:%M:%S")


def multi_day(tl: Timeline) -> bool:
    days = {t.ts.date() for t in tl.events if t.ts is not None}
    return len(days) > 1


def span(ep: Episode, days: bool) -> str:
    return episode_span(ep, days)  # the same words PVE102 uses for the same episode


def _iv_span(iv: Interval, days: bool) -> str:
    if iv.start is not None and iv.end_seq is None:
        return f"from {_t(iv.start, days=days)} to the end of the log"
    if iv.start is not None and iv.end is not None:
        return f"{dur(iv.seconds or 0)} ({_t(iv.start, days=days)}–{_t(iv.end, days=days)})"
    return "(times unknown)"


def _compact(evs: list[TEvent], namer: ce.Namer) -> list[tuple[str, str, list[TEvent]]]:
    """(time label, text, events) per second (or per run of lines) of one node."""
    out: list[tuple[str, str, list[TEvent]]] = []
    groups: list[list[TEvent]] = []
    for t in evs:
        if groups and (
                (t.ts is not None and groups[-1][0].ts == t.ts) or
                (t.ts is None and groups[-1][0].ts is None and t.line - groups[-1][-1].line <= 2
                 and _FAMILY.get(t.category, t.category) == _FAMILY.get(groups[-1][-1].category,
                                                                        groups[-1][-1].category))):
            groups[-1].append(t)
        else:
            groups.append([t])
    for g in groups:
        out.append((_t(g[0].ts, g[0]), _phrase(g, namer), g))
    return out


def _phrase(g: list[TEvent], namer: ce.Namer) -> str:
    """The events of one second of one node, folded: link downs together, a ring with its members,
    repeats counted; in the order they were logged."""
    said = {t.seq: event_summary(t, namer) for t in g}
    parts: list[tuple[int, str]] = []
    downs = [t for t in g if t.kind == "knet_link_down"]
    nolink = {t.attrs.get("host") for t in g if t.kind == "knet_no_links"}
    ups = [t for t in g if t.kind == "knet_link_up"]
    used: set[int] = set()
    if downs:
        hosts = [said[t.seq].split(" to ", 1)[1].removesuffix(" down") for t in downs]
        all_gone = all(t.attrs.get("host") in nolink for t in downs)
        parts.append((downs[0].seq, f"lost link{'s' if len(hosts) > 1 else ''} to {', '.join(hosts)}"
                      + (" (no link left)" if all_gone else "")))
        used |= {t.seq for t in downs}
        if all_gone:
            used |= {t.seq for t in g if t.kind == "knet_no_links" and t.attrs.get("host") in
                     {d.attrs.get("host") for d in downs}}
    if ups:
        hosts = [said[t.seq].split(" to ", 1)[1].removesuffix(" up") for t in ups]
        parts.append((ups[0].seq, f"link{'s' if len(hosts) > 1 else ''} up to {', '.join(hosts)}"))
        used |= {t.seq for t in ups}
    nl = [t for t in g if t.kind == "knet_no_links" and t.seq not in used]
    if nl:
        hosts = list(dict.fromkeys(said[t.seq].removeprefix("no active link left to ") for t in nl))
        parts.append((nl[0].seq, f"no active link to {', '.join(hosts)}"))
        used |= {t.seq for t in nl}
    for t in g:
        if t.kind == "membership":
            ring = said[t.seq]
            members = next((x for x in g if x.kind == "quorum_members" and x.seq > t.seq), None)
            failed = next((x for x in g if x.kind == "failed_leave" and x.seq > t.seq), None)
            if members is not None:
                ring += f": {said[members.seq]}"
                used.add(members.seq)
            if failed is not None:
                ring += " (left without a leave message: failed)"
                used.add(failed.seq)
            parts.append((t.seq, ring))
            used.add(t.seq)
    rest = [t for t in g if t.seq not in used]
    counts = Counter(said[t.seq] for t in rest)
    first: dict[str, int] = {}
    for t in rest:
        first.setdefault(said[t.seq], t.seq)
    for summ, seq in first.items():
        parts.append((seq, summ + (f" ×{counts[summ]}" if counts[summ] > 1 else "")))
    return "; ".join(w for _, w in sorted(parts))


def _style(g: list[TEvent]) -> str:
    kinds = {t.kind for t in g}
    if kinds & _LOUD:
        return "bold red"
    if kinds & _GOOD:
        return "green"
    if kinds & {"knet_link_down", "token_timeout", "processor_failed", "failed_leave"}:
        return "yellow"
    return ""


def header_lines(tl: Timeline, source: str) -> list[tuple[str, str]]:
    """(text, style) lines of the header."""
    out: list[tuple[str, str]] = []
    names = ", ".join(ln.name for ln in tl.lanes)
    shown = source
    if source.count(", ") >= 2:
        files = source.split(", ")
        shown = f"{len(files)} files ({files[0]}, …)"
    out.append((f"forewarn timeline: {shown}", "bold"))
    times = [t.ts for t in tl.events if t.ts is not None]
    days = multi_day(tl)
    span = ""
    if times:
        a, b = min(times), max(times)
        span = f" · {a:%b %d %H:%M:%S} – {_t(b, days=days)} ({dur((b - a).total_seconds())})"
    out.append((f"{len(tl.lanes)} node{'s' if len(tl.lanes) != 1 else ''} ({names}){span} · "
                f"{len(tl.events)} events", ""))
    if not tl.events:
        pass
    elif not tl.timed:
        out.append(("times unknown: the log has no timestamps; events are in line order, episodes are cut by "
                    "line (L14 = line 14)", "yellow"))
    else:
        out.append(("clock: " + tl.zone_note, "dim"))
        corrected = [s for s in tl.skews if s.applied and s.offset is not None]
        if corrected:
            for s in corrected:
                ahead = "ahead of" if s.offset > 0 else "behind"  # type: ignore[operator]
                out.append((f"clock: {s.node} runs {dur(abs(s.offset))} {ahead} {s.reference} "  # type: ignore[arg-type]
                            f"(from {s.anchors} membership{'s' if s.anchors != 1 else ''} logged by both, "
                            f"spread {s.spread:.0f} s): corrected; events are ordered by corrected time", "yellow"))
        elif tl.skews:
            known = [s for s in tl.skews if s.offset is not None]
            if known:
                out.append((f"clock: the nodes' clocks agree within 1 s (checked on {min(s.anchors for s in known)}–"
                            f"{max(s.anchors for s in known)} memberships each node shares with the others)", "dim"))
        missing = [s.node for s in tl.skews if s.offset is None]
        if missing:
            out.append((f"clock: {', '.join(missing)} share no membership with the others: their clocks could not be "
                        "checked", "yellow"))
    for n in tl.notes:
        out.append(("note: " + n, "yellow"))
    kinds = Counter(ep.kind for ep in tl.episodes)
    parts = [f"{len(tl.episodes)} episode{'s' if len(tl.episodes) != 1 else ''}"]
    label = {"split": ("split", "splits"), "cut-off": ("node cut off", "nodes cut off"),
             "crash": ("corosync crash", "corosync crashes"), "restart": ("clean restart", "clean restarts"),
             "fence": ("fence", "fences"), "membership": ("membership change", "membership changes"),
             "flap": ("link flap", "link flaps"), "host": ("host trouble", "host troubles"),
             "start": ("corosync start", "corosync starts"), "boot": ("boot", "boots")}
    for k, c in kinds.most_common():
        if k == "fence":
            continue  # counted below
        one, many = label.get(k, (k, k))
        parts.append(f"{c} {one if c == 1 else many}")
    nfence = len(tl.fences)
    parts.append(f"{nfence} fence{'s' if nfence != 1 else ''}" if nfence else "no fence")
    out.append((" · ".join(parts), "bold"))
    return out


def _non_quorate_line(ep: Episode, days: bool) -> str:
    if not ep.non_quorate:
        return ""
    per: dict[str, list[Interval]] = {}
    for iv in ep.non_quorate:
        per.setdefault(iv.node, []).append(iv)
    items = []
    for node in sorted(per, key=nat):
        ivs = per[node]
        why = " starting" if all(iv.reason.startswith("corosync starting") for iv in ivs) else ""
        if ep.timed:
            items.append(f"{node} {', '.join(_iv_span(iv, days) for iv in ivs)}{why}")
        else:
            items.append(f"{node} (lines {', '.join(_seq_lines(iv, ep) for iv in ivs)})")
    return "without quorum: " + "; ".join(items)


def _seq_lines(iv: Interval, ep: Episode) -> str:
    evs = {t.seq: t for t in ep.events + ep.aftermath}
    a = evs.get(iv.start_seq) if iv.start_seq is not None else None
    b = evs.get(iv.end_seq) if iv.end_seq is not None else None
    return f"{a.line if a else '?'}–{b.line if b else 'end'}"


def episode_blocks(tl: Timeline, ep: Episode, verbose: bool, days: bool) -> tuple[list[str], list[tuple[str, list[tuple[str, str, str]]]]]:
    """Facts lines, then per node: (node, [(time, text, style)])."""
    facts: list[str] = []
    if ep.rings:
        facts.append(f"{ep.membership_changes} membership change{'s' if ep.membership_changes != 1 else ''} "
                     f"(ring{'s' if len(ep.rings) > 1 else ''} {', '.join(r['ring'] for r in ep.rings)})")
    nq = _non_quorate_line(ep, days)
    if nq:
        facts.append(nq)
    if ep.links_lost and len(ep.links_lost) > 1 and ep.kind not in ("split", "cut-off", "crash", "restart"):
        facts.append("links lost: " + "; ".join(f"{n} → {', '.join(h)}" for n, h in
                                               sorted(ep.links_lost.items(), key=lambda x: nat(x[0]))))
    for c in ep.crashes:
        when = f"~{_t(c.at, days=days)}" if c.at is not None else "before its restart"
        facts.append(f"{c.node}: corosync died without a clean exit {when}, restarted {_t(c.restart.ts, c.restart, days)}")
    for f in ep.fences:
        parts = [f"{f.node} FENCED"]
        if f.lost_quorum is not None:
            parts.append(f"quorum lost {_t(f.lost_quorum.ts, f.lost_quorum, days)}")
        if f.lost_lock is not None:
            parts.append(f"HA lock lost {_t(f.lost_lock.ts, f.lost_lock, days)}")
        if f.watchdog is not None:
            parts.append(f"watchdog {_t(f.watchdog.ts, f.watchdog, days)}")
        parts.append(f"boot {_t(f.boot.ts, f.boot, days)}" if f.boot is not None else "next boot not in the log")
        facts.append(": ".join(parts[:1]) + ": " + ", ".join(parts[1:]))
    nodes: list[tuple[str, list[tuple[str, str, str]]]] = []
    namer = ce.Namer(tl.names)
    for node in ep.lanes:
        evs = [t for t in ep.events + ep.aftermath if t.node == node]
        evs.sort(key=lambda t: t.seq)
        rows = [(tm, txt + (" (after)" if all(x.aftermath for x in g) else ""), _style(g))
                for tm, txt, g in _compact(evs, namer)]
        if not verbose and len(rows) > MAX_LINES_PER_NODE:
            hidden = len(rows) - MAX_LINES_PER_NODE
            rows = rows[:MAX_LINES_PER_NODE - 1] + [("", f"… {hidden + 1} more (--verbose shows them)", "dim")]
        nodes.append((node, rows))
    return facts, nodes


def states_lines(tl: Timeline, days: bool) -> list[str]:
    out = []
    for ln in tl.lanes:
        q = tl.track(ln.name, "quorum")
        bad = [iv for iv in q if iv.value in ("non-quorate", "stopped", "down")]
        parts = []
        for iv in bad:
            what = {"non-quorate": "without quorum", "stopped": "corosync stopped", "down": "down"}[iv.value or ""]
            if iv.reason.startswith("corosync starting"):
                what += " (starting)"
            elif iv.reason and iv.value != "non-quorate":
                what += f" ({iv.reason})"
            where = _iv_span(iv, days) if ln.timed else f"(seq {iv.start_seq}–{iv.end_seq})"
            if not ln.timed:
                a = tl.events[iv.start_seq] if iv.start_seq is not None else None
                b = tl.events[iv.end_seq] if iv.end_seq is not None else None
                where = f"lines {a.line if a else 'start'}–{b.line if b else 'end'}"
            parts.append(f"{what} {where}")
        if not q or (len(q) == 1 and q[0].value == "unknown" and not any(
                t.node == ln.name and t.ne.ev.prog == "corosync" for t in tl.events)):
            out.append(f"{ln.name}: no corosync or quorum lines in its log")
            continue
        init = q[0] if q else None
        base = ""
        if init is not None and init.source == "inferred" and init.value in ("quorate", "non-quorate") and init.start_seq is None:
            base = f"[{init.value} before that, inferred: {init.reason}]" if bad else \
                f"quorate throughout (inferred: {init.reason})" if init.value == "quorate" else ""
        ha = []
        for tr, label in (("ha_lrm", "HA agent"), ("ha_crm", "HA manager")):
            ivs = [iv for iv in tl.track(ln.name, tr) if iv.value]
            if len(ivs) > 1 or (ivs and ivs[0].source == "logged"):
                ha.append(f"{label}: " + " → ".join(iv.value or "?" for iv in ivs))
        body = "; ".join(parts) if parts else ("" if base else "no quorum loss logged")
        line = f"{ln.name}: " + "; ".join(x.strip() for x in (body, base) if x.strip())
        if ha:
            line += "; " + "; ".join(ha)
        out.append(line)
    return out


def tail_lines(tl: Timeline, days: bool) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if tl.fences:
        for f in tl.fences:
            lost = [f"quorum lost {_t(x.ts, x, days)}" if x is f.lost_quorum else f"HA lock lost {_t(x.ts, x, days)}"
                    for x in (f.lost_quorum, f.lost_lock) if x is not None]
            out.append((f"fence: {f.node}: " + ", ".join(lost + (
                [f"watchdog expired {_t(f.watchdog.ts, f.watchdog, days)}"] if f.watchdog else []))
                        + (f", rebooted without a shutdown {_t(f.boot.ts, f.boot, days)}" if f.boot else
                           ", next boot not in the log")
                        + (" (certain: the watchdog says so)" if f.fence.certain else ""), "bold red"))
    for m in tl.near_misses:
        out.append((f"near miss: {m.node}'s HA agent lost its lock (line {m.lost.ev.line_no}) and got it back "
                     f"(line {m.back.ev.line_no}) without a reboot: not fenced this time", "yellow"))
    for b in tl.boots:
        if b.how in ("unclean",):
            out.append((f"boot: {b.node} booted {_t(b.event.ts, b.event, days)} with no shutdown before it and no "
                        "cluster trouble logged: a crash, power loss or reset, not a fence", "yellow"))
    outside = [t for t in tl.events if t.episode is None]
    if outside:
        kinds = Counter(t.kind for t in outside)
        out.append((f"{len(outside)} quiet event{'s' if len(outside) != 1 else ''} outside the episodes ("
                    + ", ".join(f"{k} ×{c}" for k, c in kinds.most_common(5)) + ")", "dim"))
    return out


