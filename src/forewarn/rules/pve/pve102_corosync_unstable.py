"""PVE102 corosync-unstable: knet links flapping, token lost, memberships re-forming.

Reads the corosync, pmxcfs and HA lines of every node's log and tells the story an admin
would tell: which hosts and links were lost, how often the token was lost and the ring
re-formed, whether it came back, whether it has settled, and, with several nodes' logs,
which node is the common factor or how the cluster split.

The episodes are cut by `forewarn.facts.corosync_episodes` (shared with `forewarn timeline`, so
both tell the same story); this module words them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import datetime

from forewarn.facts import logs
from forewarn.facts.context import Context
from forewarn.facts.corosync_episodes import (
    KINDS, SETTLED_LINES, SETTLED_SECONDS, Episode, Namer, NodeStory, analyse, by_log_host, common_factor,
    id_names, partitions,
)
from forewarn.facts.corosync_episodes import windows as _windows
from forewarn.model.findings import Severity, When
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import CouldNotCheck

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
    return logs.when(e)


def _span(ep: Episode) -> str:
    a, b = ep.start, ep.end
    if a.ts is not None and b is not None and b.ts is not None:
        secs = int((b.ts - a.ts).total_seconds())
        return f"{a.ts:%H:%M:%S}–{b.ts:%H:%M:%S} ({secs} s)"
    if b is None:
        return f"from {_when(a)}, still open at the end of the log"
    if a.ts is None:
        return f"lines {a.ev.line_no}–{b.ev.line_no}"
    return f"{_when(a)}–{_when(b)}"


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


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


def _log_end(st: NodeStory) -> tuple[datetime | None, int]:
    """Last timestamp and last line number of the log(s) this node's events came from."""
    facts = {id(e.fact): e.fact for e in st.events}
    last_ts = max((f.value.last_ts for f in facts.values() if f.value.last_ts is not None), default=None)
    last_line = max((f.value.lines for f in facts.values()), default=0)
    if last_ts is not None and st.last is not None and st.last.ts is not None:
        last_ts = last_ts.replace(year=st.last.ts.year)
    return last_ts, last_line


def settled_text(st: NodeStory) -> str:
    last_ep = st.episodes[-1]
    if last_ep.end is None:
        return f"NOT settled: still unstable at the end of the log (since {_when(last_ep.start)})"
    end = last_ep.end
    whole = ""
    if st.member_lists and st.member_lists[-1][0].ev.line_no >= end.ev.line_no - 1 and st.full_size \
            and len(st.member_lists[-1][1]) >= st.full_size:
        whole = f" (the ring is whole again: Members[{len(st.member_lists[-1][1])}])"
    last_ts, last_line = _log_end(st)
    again = f" — and it has come back {_times(len(st.episodes) - 1)} already" if len(st.episodes) > 1 else ""
    if end.ts is not None and last_ts is not None:
        quiet = (last_ts - end.ts).total_seconds()
        if quiet >= SETTLED_SECONDS:
            return f"Settled: quiet for {int(quiet // 60)} min after {_when(end)} until the log ends{whole}"
        return (f"Calm again at {_when(end)}{whole}, {int(quiet)} s before the log ends: "
                f"too soon to call it settled{again}")
    lines = last_line - end.ev.line_no
    if lines >= SETTLED_LINES:
        return f"Calm from line {end.ev.line_no} to the end of the log ({lines} lines){whole}"
    return (f"Calm again at line {end.ev.line_no}{whole}, {lines} line(s) before the log ends: "
            f"too soon to call it settled{again}")


def _recovered(evs: list[logs.NodeEvent]) -> str:
    out = []
    for e in evs:
        if e.kind == "pmxcfs_synced":
            out.append(f"pmxcfs back in sync at {_when(e)}")
        elif e.kind == "ha_acquired_lock":
            out.append(f"HA lock {e.attrs.get('lock', '?')} re-acquired at {_when(e)}")
    return ", ".join(out)


def node_summary(st: NodeStory, name: Namer) -> str:
    parts: list[str] = []
    eps = st.episodes
    if st.tokens:
        parts.append(f"the token was lost ({len(st.tokens)} `Token has not been received` warnings, "
                     f"longest {max(st.tokens)} ms)")
    if st.memberships:
        parts.append(f"a new membership formed {_times(st.memberships)}")
    head = f"{st.node}: " + (" and ".join(parts) if parts else
                             "knet link flaps only (no token lost, no membership change)")
    n_ep = len(eps)
    if n_ep > 1:
        head += f"; the instability repeated: {n_ep} episodes (" + ", ".join(_span(ep) for ep in eps[:6]) \
            + (", …" if n_ep > 6 else "") + ")."
    else:
        head += f", in one episode ({_span(eps[0])})."
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
    for ep in [ep for ep in eps if ep.left_failed][:3]:
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
    back = [ep for ep in eps if ep.after_recovery]
    if back:
        first = back[0]
        more = len(eps) - eps.index(first)
        out.append(f"It came back after the cluster had recovered ({_recovered(first.after_recovery)}): "
                   f"{more} more episode{'s' if more != 1 else ''}.")
    if st.clean_leaves:
        out.append("Clean leaves, not faults: " + ", ".join(f"{name.short(h)} at {_when(e)}" for h, e in st.clean_leaves) + ".")
    crashes = [e for e, clean in st.restarts if not clean]
    if crashes:
        out.append("corosync restarted without a clean exit before it (killed or crashed) at "
                   + ", ".join(_when(e) for e in crashes) + ".")
    out.append(settled_text(st) + ".")
    return "\n  ".join(out)


@rule(code="PVE102", inputs=logs.LOG_SPECS, fix=FIX, when=When.PAST)
def corosync_unstable(ctx: Context) -> Iterator[Hit]:
    if not logs.log_programs(ctx).get("corosync"):
        raise CouldNotCheck("the logs read have no corosync lines")
    conf_size = 0
    for spec in ("pve.corosync_conf", "pve.corosync_conf_local"):
        for f in ctx.facts(spec):
            conf_size = max(conf_size, len(f.value.nodes))
    stories: dict[str, NodeStory] = {}
    for node, evs in by_log_host(ctx, KINDS).items():
        stories[node] = analyse(node, evs, conf_size)
    troubled = {n: st for n, st in stories.items() if st.episodes}
    if not troubled:
        return
    names, local = id_names(ctx, stories)
    name = Namer(names)
    sev = max(severity_of(st) or Severity.LOW for st in troubled.values())
    lines: list[str] = []
    suspect = None
    if len(troubled) > 1:
        cf = common_factor(troubled, local)
        windows = _windows(list(troubled.values())) if all(st.timed for st in troubled.values()) else []
        if windows:
            lines.append(f"{len(stories)} nodes' logs: the membership broke {_times(len(windows))} between "
                         f"{windows[0][0]:%H:%M:%S} and {windows[-1][1]:%H:%M:%S}:")
            for w0, w1, _ in windows:
                groups = partitions(stories, w0, w1)
                if len(groups) > 1:
                    desc = " | ".join("{" + ", ".join(nodes) + "}" for _, nodes in groups)
                    lone = [nodes[0] for ids, nodes in groups if len(ids) == 1 and len(nodes) == 1]
                    tail = f" ({', '.join(lone)} alone)" if lone else ""
                    lines.append(f"  {w0:%H:%M:%S}–{w1:%H:%M:%S}: split {desc}{tail}")
                else:
                    lines.append(f"  {w0:%H:%M:%S}–{w1:%H:%M:%S}: links lost, no split seen")
        if cf is not None:
            suspect = name.short(cf)
            own = next((n for n, i in local.items() if i == cf), None)
            others = [n for n in troubled if n != own]
            only = all({h for h, _ in troubled[n].downs} <= {cf} for n in others)
            msg = (f"{suspect} is the common factor: {_and(others)} "
                   f"{'lost only' if only else 'all lost'} {name(cf)}")
            if own and own in troubled:
                mine = {h for h, _ in troubled[own].downs}
                msg += f", and {own} lost {'all of them' if len(mine) >= len(others) else ', '.join(name.short(h) for h in sorted(mine))}"
            lines.insert(0, msg + f". Look at {suspect}'s network first.")
        elif windows:
            cut: Counter[str] = Counter()
            for w0, w1, _ in windows:
                groups = partitions(stories, w0, w1)
                if len(groups) > 1:
                    for node in groups[-1][1]:
                        cut[node] += 1
            top = cut.most_common(2)
            if top and (len(top) == 1 or top[0][1] > top[1][1]) and top[0][1] > len(windows) / 2:
                suspect = top[0][0]
                lines.insert(0, f"Most often cut off: {suspect}, on the small side in {top[0][1]} of "
                             f"{len(windows)} splits; the splits differ, so check the switch and the shared "
                             "network too.")
            else:
                lines.insert(0, "No single node is the common factor: the splits differ (a switch, the shared "
                             "network, or several faults).")
    for node in sorted(troubled):
        lines.append(node_summary(troubled[node], name))
    if suspect is None:
        st = next(iter(troubled.values())) if len(troubled) == 1 else None
        if st is not None and st.downs:
            top_h = Counter({h: c for (h, _), c in st.downs.items()}).most_common(1)[0][0]
            suspect = f"{st.node} and {name.short(top_h)}"
            lines.append(f"Only {st.node}'s log is here: compare with {name.short(top_h)}'s log to tell "
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
    for f in ctx.facts("pve.corosync_conf")[:1]:
        for h, _ in lost_hosts.most_common():
            cn = f.value.node_by_id(int(h)) if h.isdigit() else None
            if cn is not None and cn.addrs:
                for _, addr in sorted(cn.addrs.items()):
                    addr_steps.append(step(f"ping -c 200 -i 0.2 {addr}"))
    first = sorted(troubled)[0]
    yield Hit(
        "\n".join(lines),
        nodes=sorted(troubled),
        evidence=logs.refs(ev, limit=16),
        params={"suspect": suspect, "node": first},
        fix=list(FIX[:2]) + addr_steps[:4] + list(FIX[2:]),
        severity=sev,
        when=When.PAST,
        details={node: {"episodes": len(st.episodes), "token_warnings": len(st.tokens),
                        "memberships": st.memberships,
                        "hosts_lost": {name.short(h): c for (h, _), c in st.downs.items()},
                        "cpg_errors": dict(st.cpg), "retransmits": st.retransmits,
                        "settled": st.episodes[-1].end is not None}
                 for node, st in troubled.items()},
    )
