"""PVE102 corosync-unstable: knet links flapping, token lost, memberships re-forming.

Reads the corosync, pmxcfs and HA lines of every node's log and tells the story an admin
would tell: which hosts and links were lost, how often the token was lost and the ring
re-formed, whether it came back, whether it has settled, and, with several nodes' logs,
which node is the common factor or how the cluster split.

The episodes are the timeline's (`forewarn.facts.timeline`: all nodes lined up, each episode
with the recovery that followed it), so this finding and `forewarn timeline` or the HTML chart
give the same episodes with the same spans and numbers; each node's own reading of its log
comes from `forewarn.facts.corosync_episodes`. This module words them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from forewarn.facts import logs
from forewarn.facts.context import Context
from forewarn.facts.corosync_episodes import (
    KINDS as COROSYNC_KINDS,
    SETTLED_LINES,
    SETTLED_SECONDS,
    Namer,
    NodeStory,
    common_factor,
)
from forewarn.facts.timeline import Episode, TEvent, Timeline, timeline_of
from forewarn.facts.words import dur, english_list, episode_span
from forewarn.model.findings import Severity, When
from forewarn.model.nodes import named
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import CouldNotCheck
from forewarn.parse.osk.nova_compute_log import NOVA_COMPUTE_LOG
from forewarn.parse.pve.corosync_conf import COROSYNC_CONF, COROSYNC_CONF_LOCAL
from forewarn.parse.pve.quorum_status import COROSYNC_QUORUMTOOL, PVECM_STATUS

FIX = (
    step("corosync-cfgtool -n"),
    step("journalctl -u corosync -u pve-cluster --since -3h"),
    note("Find what drops corosync's UDP on {suspect}: NIC errors and drops (`ip -s link`, "
         "`ethtool -S <nic>`), cable, switch port, duplex/MTU mismatch, and traffic that saturates "
         "the link (backups, migrations, storage) at the times above."),
    note("Seed 001: move the cluster network to a physically separate circuit, and give corosync a "
         "second knet link (ring1_addr on another NIC/switch) so one bad path does not break the ring."),
    note("Raising `token` in corosync.conf only hides packet loss; fix the network first."),
)


# -- wording ------------------------------------------------------------------------------------
def _when(e: logs.NodeEvent | None) -> str:
    if e is None:
        return "?"
    return logs.time_label(e)


def _times(n: int) -> str:
    return "once" if n == 1 else "twice" if n == 2 else f"{n} times"


def severity_of(st: NodeStory) -> Severity | None:
    if not st.episodes:
        return None
    if any(ep.ring_broke or ep.memberships or ep.non_primary for ep in st.episodes) or st.tokens:
        return Severity.HIGH
    downs = sum(st.downs.values())
    still_down = st.episodes[-1].end is None
    return Severity.LOW if downs <= 2 and not still_down else Severity.MEDIUM


class _View:
    """One node's corosync story placed in the timeline: which of its episodes are its own."""

    def __init__(self, tl: Timeline, node: str) -> None:
        self.tl, self.node = tl, node
        self.st = tl.stories[node]
        self.tev = tl._cache.setdefault("_tev_of", {id(t.ne): t for t in tl.events})  # noqa: SLF001
        by_id = {ep.id: ep for ep in tl.episodes}
        ids = [self.episode_id(ep.start) for ep in self.st.episodes]
        self.episodes: list[Episode] = [by_id[i] for i in sorted({i for i in ids if i is not None})]

    def episode_id(self, e: logs.NodeEvent | None) -> int | None:
        t = self.tev.get(id(e)) if e is not None else None
        return t.episode if t is not None and t.episode not in (None, -1) else None

    def last_event(self, ep: Episode) -> TEvent | None:
        mine = [t for t in ep.events + ep.aftermath if t.node == self.node]
        return max(mine, key=lambda t: t.seq) if mine else None


def settled_text(v: _View, days: bool) -> str:
    st, tl = v.st, v.tl
    if st.episodes[-1].end is None:
        return f"NOT settled: still unstable at the end of the log (since {_when(st.episodes[-1].start)})"
    last_ep = v.episodes[-1] if v.episodes else None
    end = v.last_event(last_ep) if last_ep is not None else None
    if end is None:
        return "Calm again by the end of the log"
    whole = ""
    mls = [(e, ids) for e, ids in st.member_lists if v.episode_id(e) == last_ep.id]  # type: ignore[union-attr]
    if mls and st.full_size and len(mls[-1][1]) >= st.full_size:
        whole = f" (the ring is whole again: Members[{len(mls[-1][1])}])"
    again = f" — and it has come back {_times(len(v.episodes) - 1)} already" if len(v.episodes) > 1 else ""
    lane = tl.lane(v.node)
    at = f"{end.ts:%b %d %H:%M:%S}" if end.ts is not None else f"line {end.line}"
    if end.ts is not None and lane is not None and lane.end is not None:
        quiet = max(0.0, (lane.end - end.ts).total_seconds())  # the lane's end is its latest time
        if quiet >= SETTLED_SECONDS:
            return f"Settled: quiet for {int(quiet // 60)} min after {at} until the log ends{whole}"
        return f"Calm again at {at}{whole}, {dur(quiet)} before the log ends: too soon to call it settled{again}"
    lines = max(0, (lane.last_line if lane is not None else end.line) - end.line)
    if lines >= SETTLED_LINES:
        return f"Calm from line {end.line} to the end of the log ({lines} lines){whole}"
    return (f"Calm again at line {end.line}{whole}, {lines} line(s) before the log ends: "
            f"too soon to call it settled{again}")


def _recovered(evs: list[logs.NodeEvent]) -> str:
    out = []
    for e in evs:
        if e.kind == "pmxcfs_synced":
            out.append(f"pmxcfs back in sync at {_when(e)}")
        elif e.kind == "ha_acquired_lock":
            out.append(f"HA lock {e.attrs.get('lock', '?')} re-acquired at {_when(e)}")
    return ", ".join(out)


def node_summary(v: _View, name: Namer, *, listed: bool, days: bool, caveat: str = "") -> str:
    """One node's paragraph; `listed`: the episodes are listed above (several nodes' logs);
    `caveat`: what facts.logs.sampled says of the node's corosync lines."""
    st = v.st
    parts: list[str] = []
    eps = v.episodes
    if st.tokens:
        parts.append(f"the token was lost ({len(st.tokens)} `Token has not been received` warnings, "
                     f"longest {max(st.tokens)} ms)")
    if st.memberships:
        parts.append(f"a new membership formed {_times(st.memberships)}{caveat}")
    head = f"{st.node}: " + (" and ".join(parts) if parts else
                             "knet link flaps only (no token lost, no membership change)")
    if listed:
        head += f", in episode{'s' if len(eps) > 1 else ''} {english_list([str(ep.id) for ep in eps])}."
    elif len(eps) > 1:
        head += f"; the instability repeated: {len(eps)} episodes (" + \
            ", ".join(episode_span(ep, days) for ep in eps[:6]) + (", …" if len(eps) > 6 else "") + ")."
    elif eps:
        head += f", in one episode ({episode_span(eps[0], days)})."
    out = [head]
    by_host: Counter[str] = Counter()
    links: dict[str, set[str]] = {}
    for (h, link), c in st.downs.items():
        by_host[h] += c
        links.setdefault(h, set()).add(link)
    if by_host:
        lost = [f"{name(h)} {_times(c)} (link {', '.join(sorted(links[h]))})" for h, c in by_host.most_common()]
        alone = all(st.no_links.get(h) for h in by_host)
        each = "each time " if sum(by_host.values()) > 1 else ""
        out.append("knet lost " + ", ".join(lost)
                   + (f"; {each}no link was left to that host." if alone else "."))
    for ep in [ep for ep in st.episodes if ep.left_failed][:3]:
        who = ", ".join(name.short(h) for h in sorted(ep.left_failed, key=lambda x: int(x) if x.isdigit() else 0))
        alone = ep.min_members is not None and len(ep.min_members) == 1
        out.append(f"At {_when(ep.left_at or ep.start)} {st.node} {'was left alone' if alone else 'lost members'} "
                   f"(members left: {who})" + (" and lost quorum." if ep.non_primary else "."))
    consequences: list[str] = []
    if st.ha_locks_lost:
        consequences.append("HA lost its lock" + ("s" if len(st.ha_locks_lost) > 1 else "")
                            + " (" + ", ".join(st.ha_locks_lost) + ")")
    if st.cpg:
        consequences.append("pmxcfs could not use its CPG group ("
                            + ", ".join(f"{call} failed ×{c}" for call, c in st.cpg.most_common()) + ")")
    if st.cfs_locks:
        consequences.append("cfs-lock timeouts (" + ", ".join(f"{lk} ×{c}" for lk, c in st.cfs_locks.most_common()) + ")")
    if st.retransmits:
        consequences.append(f"{st.retransmits} `Retransmit List` line{'s' if st.retransmits != 1 else ''}")
    if consequences:
        out.append("Meanwhile " + "; ".join(consequences) + ".")
    back = next((ep for ep in st.episodes if ep.after_recovery), None)
    first_back = v.episode_id(back.start) if back is not None else None
    if back is not None and first_back is not None:
        more = sum(1 for ep in eps if ep.id >= first_back)
        out.append(f"It came back after the cluster had recovered ({_recovered(back.after_recovery)}): "
                   f"{more} more episode{'s' if more != 1 else ''}.")
    if st.clean_leaves:
        out.append("Clean leaves, not faults: " + ", ".join(f"{name.short(h)} at {_when(e)}" for h, e in st.clean_leaves) + ".")
    crashes = [e for e, clean in st.restarts if not clean]
    if crashes:
        out.append("corosync restarted without a clean exit before it (killed or crashed) at "
                   + ", ".join(_when(e) for e in crashes) + ".")
    out.append(settled_text(v, days) + ".")
    return "\n  ".join(out)


@rule(code="PVE102", reads=("host.timedatectl", "host.timezone", NOVA_COMPUTE_LOG, COROSYNC_CONF, COROSYNC_CONF_LOCAL, COROSYNC_QUORUMTOOL, PVECM_STATUS), inputs=logs.LOG_SPECS, fix=FIX, when=When.PAST)
def corosync_unstable(ctx: Context) -> Iterator[Hit]:
    if not logs.log_programs(ctx).get("corosync"):
        raise CouldNotCheck("the logs read have no corosync lines")
    tl = timeline_of(ctx)
    stories = tl.stories
    troubled = {n: st for n, st in stories.items() if st.episodes}
    if not troubled:
        return
    views = {n: _View(tl, n) for n in troubled}
    # the timeline's names for node ids, so the episodes read the same here and there
    local = {ln.name: ln.node_id for ln in tl.lanes if ln.node_id}
    name = Namer(tl.names)
    days = len({t.ts.date() for t in tl.events if t.ts is not None}) > 1
    sev = max(severity_of(st) or Severity.LOW for st in troubled.values())
    lines: list[str] = []
    suspect = None
    listed = False
    if len(troubled) > 1:
        cf = common_factor(troubled, local)
        ids = sorted({ep.id for v in views.values() for ep in v.episodes})
        eps = [ep for ep in tl.episodes if ep.id in ids and ep.timed]
        if eps and len(eps) == len(ids):
            listed = True
            zone = f" (times in {tl.zone})" if tl.zone else ""
            lines.append(f"{len(stories)} nodes' logs: the membership broke {_times(len(eps))}"
                         f"{logs.sampled(ctx, None, COROSYNC_KINDS)} between "
                         f"{eps[0].start:%H:%M:%S} and {eps[-1].end:%H:%M:%S}{zone}; the timeline's "
                         f"episode{'s' if len(eps) > 1 else ''} {english_list([str(ep.id) for ep in eps])}:")
            for ep in eps:
                lone = f" ({ep.partition[-1][0]} alone)" if ep.kind == "split" and len(ep.partition[-1]) == 1 else ""
                lines.append(f"  Episode {ep.id}  {episode_span(ep, days)}: {ep.title}{lone}")
        if cf is not None:
            suspect = name.short(cf)
            own = next((n for n, i in local.items() if i == cf), None)
            others = [n for n in troubled if n != own]
            only = all({h for h, _ in troubled[n].downs} <= {cf} for n in others)
            msg = (f"{suspect} is the common factor: {english_list(others)} "
                   f"{'lost only' if only else 'all lost'} {name(cf)}")
            if own and own in troubled:
                mine = {h for h, _ in troubled[own].downs}
                msg += f", and {own} lost {'all of them' if len(mine) >= len(others) else ', '.join(name.short(h) for h in sorted(mine))}"
            lines.insert(0, msg + f". Look at {suspect}'s network first.")
        elif listed:
            cut: Counter[str] = Counter()
            splits = [ep for ep in eps if len(ep.partition) > 1]
            for ep in splits:
                for n in ep.partition[-1]:
                    cut[n] += 1
            top = cut.most_common(2)
            if top and (len(top) == 1 or top[0][1] > top[1][1]) and top[0][1] > len(splits) / 2:
                suspect = top[0][0]
                lines.insert(0, f"Most often cut off: {suspect}, on the small side in {top[0][1]} of "
                             f"{len(splits)} splits; the splits differ, so check the switch and the shared "
                             "network too.")
            else:
                lines.insert(0, "No single node is the common factor: the splits differ (a switch, the shared "
                             "network, or several faults).")
    for node in sorted(troubled):
        lines.append(node_summary(views[node], name, listed=listed, days=days,
                                  caveat=logs.sampled(ctx, None, COROSYNC_KINDS)))  # lanes are named by the logs' hosts
    if suspect is None:
        st = next(iter(troubled.values())) if len(troubled) == 1 else None
        if st is not None and st.downs:
            top_h = Counter({h: c for (h, _), c in st.downs.items()}).most_common(1)[0][0]
            suspect = f"{st.node} and {name.short(top_h)}"
            whose = f"{st.node}'s log" if named(st.node) else "one node's log"
            lines.append(f"Only {whose} is here: compare with {name.short(top_h)}'s log to tell "
                         f"whose network drops the packets.")
        else:
            suspect = ", ".join(sorted(troubled))
    ev: list[logs.NodeEvent] = []
    for st in troubled.values():
        ev.extend(e for ep in st.episodes for e in ep.events
                  if e.kind in ("knet_link_down", "token_timeout", "membership", "failed_leave", "non_primary",
                                "processor_failed"))
    addr_steps = []
    lost_hosts: Counter[str] = Counter()
    for st in troubled.values():
        for (h, _), c in st.downs.items():
            lost_hosts[h] += c
    for f in ctx.facts(COROSYNC_CONF)[:1]:
        for h, _ in lost_hosts.most_common():
            cn = f.value.node_by_id(int(h)) if h.isdigit() else None
            if cn is not None and cn.addrs:
                for _, addr in sorted(cn.addrs.items()):
                    addr_steps.append(step(f"ping -c 200 -i 0.2 {addr}"))
    # a lane of its own for an excerpt without times beside a timed log: `pve5 (paste.txt)`
    nodes = sorted({lane.split(" (")[0] for lane in troubled})
    first = nodes[0]
    yield Hit(
        "\n".join(lines),
        nodes=nodes,
        evidence=logs.refs(ev, limit=16),
        params={"suspect": suspect, "node": first},
        fix=list(FIX[:2]) + addr_steps[:4] + list(FIX[2:]),
        severity=sev,
        when=When.PAST,
        details={node: {"episodes": len(views[node].episodes),
                        "timeline_episodes": [ep.id for ep in views[node].episodes],
                        "token_warnings": len(st.tokens),
                        "memberships": st.memberships,
                        "hosts_lost": {name.short(h): c for (h, _), c in st.downs.items()},
                        "cpg_errors": dict(st.cpg), "retransmits": st.retransmits,
                        "settled": st.episodes[-1].end is not None}
                 for node, st in troubled.items()},
    )
