"""Corosync episodes of each node, as that node's log tells them (read by facts/timeline/, which
lines the nodes up into the cluster-wide episodes that PVE102 and the timeline both report).

An *episode* on one node starts with the first sign of trouble (a knet link down, a token
warning, a processor failure, a membership that failed a member, a non-primary component)
and ends when nothing is down any more: every lost link is up, no token is pending and the
membership is whole again. A lone link blip that recovers at once merges into trouble that
follows within a minute (or a few log lines when the log has no times).

These per-node episodes are the timeline's raw material, not a second model: what a reader sees
(spans, numbers, the recovery that followed) are the timeline's episodes (facts/timeline/).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from forewarn.facts import logs
from forewarn.facts.cluster_votes import CONF_KEYS, QUORUM_KEYS
from forewarn.facts.context import Context

KINDS = (
    "knet_link_down", "knet_link_up", "knet_no_links", "token_timeout", "processor_failed",
    "membership", "failed_leave", "quorum_members", "non_primary", "primary", "retransmit",
    "pmxcfs_cpg_error", "pmxcfs_lost_quorum", "pmxcfs_quorum", "corosync_start", "corosync_exit",
    "ha_lost_lock", "ha_acquired_lock", "pmxcfs_synced", "cfs_lock_error",
)
# `sandbox_memlock` (Could not increase RLIMIT_MEMLOCK) is deliberately not read: it is not part
# of any incident.
COROSYNC_KINDS = KINDS[:11]
RECOVERY = ("ha_acquired_lock", "pmxcfs_synced")
BLIP_MERGE_SECONDS = 60
BLIP_MERGE_LINES = 10
SETTLED_SECONDS = 600  # quiet this long after the last episode, to the end of the log: settled
SETTLED_LINES = 20
MERGE_SLACK_SECONDS = 2


@dataclass(slots=True)
class NodeEpisode:
    """One node's corosync trouble as its own log tells it (the timeline's `Episode` lines these up)."""

    node: str
    start: logs.NodeEvent
    end: logs.NodeEvent | None = None
    events: list[logs.NodeEvent] = field(default_factory=list)
    lost: Counter[str] = field(default_factory=Counter)  # host id -> link-down count
    tokens: list[int] = field(default_factory=list)
    memberships: int = 0
    left_failed: set[str] = field(default_factory=set)
    non_primary: bool = False
    ring_broke: bool = False  # token lost, processor failed or a member failed
    min_members: tuple[str, ...] | None = None
    left_at: logs.NodeEvent | None = None  # the membership that failed members
    after_recovery: list[logs.NodeEvent] = field(default_factory=list)  # recovery markers before it

    @property
    def blip(self) -> bool:
        return not self.ring_broke and not self.memberships and not self.non_primary


@dataclass(slots=True)
class NodeStory:
    node: str
    events: list[logs.NodeEvent]
    episodes: list[NodeEpisode] = field(default_factory=list)
    downs: Counter[tuple[str, str]] = field(default_factory=Counter)  # (host, link) -> count
    no_links: Counter[str] = field(default_factory=Counter)
    tokens: list[int] = field(default_factory=list)
    memberships: int = 0
    retransmits: int = 0
    cpg: Counter[str] = field(default_factory=Counter)
    cfs_locks: Counter[str] = field(default_factory=Counter)
    ha_locks_lost: list[str] = field(default_factory=list)
    lost_quorum: int = 0
    clean_leaves: list[tuple[str, logs.NodeEvent]] = field(default_factory=list)
    restarts: list[tuple[logs.NodeEvent, bool]] = field(default_factory=list)  # (start, had clean exit)
    member_lists: list[tuple[logs.NodeEvent, tuple[str, ...]]] = field(default_factory=list)
    full_size: int = 0
    last: logs.NodeEvent | None = None

    @property
    def timed(self) -> bool:
        return any(e.ts is not None for e in self.events)


def id_list(text: str | None) -> list[str]:
    """The node ids of a corosync event's `ids`, `left` or `joined` (`1 2 3`)."""
    return (text or "").split()


def _close_to(prev: logs.NodeEvent, cur: logs.NodeEvent) -> bool:
    if prev.ts is not None and cur.ts is not None:
        return (cur.ts - prev.ts).total_seconds() <= BLIP_MERGE_SECONDS
    return cur.ev.line_no - prev.ev.line_no <= BLIP_MERGE_LINES


def analyse(node: str, evs: list[logs.NodeEvent], full_size: int) -> NodeStory:
    """Walk one node's events once and cut them into episodes."""
    if not full_size:  # no corosync.conf: the largest membership this node ever logged
        full_size = max((len(id_list(e.attrs.get("ids"))) for e in evs if e.kind == "quorum_members"), default=0)
    st = NodeStory(node, evs, full_size=full_size)
    ep: NodeEpisode | None = None
    down: dict[str, set[str]] = {}
    pending_token = False
    partial = False
    clean_left: set[str] = set()
    maybe_clean: tuple[logs.NodeEvent, list[str]] | None = None
    exited = False
    running = False  # corosync logged something since the last start/exit
    recovery: list[logs.NodeEvent] = []
    last_membership: logs.NodeEvent | None = None

    def open_ep(e: logs.NodeEvent) -> NodeEpisode:
        nonlocal ep
        last = st.episodes[-1] if st.episodes else None
        if last is not None and last.blip and last.end is not None and _close_to(last.end, e):
            last.end = None  # a blip that came straight back: same episode
            ep = last
            return ep
        ep = NodeEpisode(node, e, after_recovery=list(recovery) if st.episodes else [])
        st.episodes.append(ep)
        return ep

    def maybe_close(e: logs.NodeEvent) -> None:
        nonlocal ep, recovery
        if ep is not None and not down and not pending_token and not partial:
            ep.end = e
            ep = None
            recovery = []

    for e in evs:
        k, a = e.kind, e.attrs
        st.last = e
        if k not in ("corosync_start", "corosync_exit") and (e.ev.prog == "corosync" or k in COROSYNC_KINDS):
            running = True
        if maybe_clean is not None and k != "failed_leave":
            ev0, ids = maybe_clean
            clean_left.update(ids)
            st.clean_leaves.extend((i, ev0) for i in ids)
            maybe_clean = None
        if k == "corosync_start":
            st.restarts.append((e, exited or not running))
            exited, running = False, True
            if ep is not None:
                ep.end = e
                ep = None
            down.clear()
            pending_token = partial = False
            clean_left.clear()
            continue
        if k == "corosync_exit":
            exited, running = True, False
            if ep is not None:
                ep.end = e
                ep = None
            down.clear()
            pending_token = partial = False
            continue
        if k == "knet_link_down":
            h, link = a.get("host", "?"), a.get("link", "0")
            if h in clean_left:
                continue
            st.downs[(h, link)] += 1
            cur = ep or open_ep(e)
            cur.lost[h] += 1
            down.setdefault(h, set()).add(link)
        elif k == "knet_no_links":
            h = a.get("host", "?")
            if h in down:
                st.no_links[h] += 1
        elif k == "knet_link_up":
            h, link = a.get("host", "?"), a.get("link", "0")
            if h in down:
                down[h].discard(link)
                if not down[h]:
                    del down[h]
                maybe_close(e)
        elif k in ("token_timeout", "processor_failed"):
            if k == "token_timeout":
                ms = int(a.get("ms", "0") or 0)
                st.tokens.append(ms)
            cur = ep or open_ep(e)
            cur.ring_broke = True
            if k == "token_timeout":
                cur.tokens.append(int(a.get("ms", "0") or 0))
            pending_token = True
        elif k == "membership":
            last_membership = e
            st.memberships += 1
            left, joined = id_list(a.get("left")), id_list(a.get("joined"))
            clean_left.difference_update(joined)
            if ep is None and left and not pending_token and not down:
                maybe_clean = (e, left)  # a clean leave unless "Failed to receive the leave message"
            elif ep is not None:
                ep.memberships += 1
                ep.ring_broke = ep.ring_broke or bool(left)
            pending_token = False
        elif k == "failed_leave":
            ids = id_list(a.get("ids"))
            if maybe_clean is not None:
                ev0, _ = maybe_clean
                maybe_clean = None
                cur = ep or open_ep(ev0)
                cur.events.append(ev0)
                cur.memberships += 1
                cur.left_at = ev0
            cur = ep or open_ep(e)
            cur.ring_broke = True
            cur.left_failed.update(ids)
            cur.left_at = cur.left_at or last_membership
        elif k == "quorum_members":
            members = tuple(id_list(a.get("ids")))
            st.member_lists.append((e, members))
            n = int(a.get("n", len(members)) or len(members))
            partial = bool(st.full_size) and n < st.full_size
            if ep is not None and (ep.min_members is None or len(members) < len(ep.min_members)):
                ep.min_members = members
            maybe_close(e)
        elif k == "non_primary":
            cur = ep or open_ep(e)
            cur.non_primary = True
        elif k == "primary":
            maybe_close(e)
        elif k == "retransmit":
            st.retransmits += 1
        elif k == "pmxcfs_cpg_error":
            st.cpg[a.get("call", "cpg")] += 1
        elif k == "pmxcfs_lost_quorum":
            st.lost_quorum += 1
        elif k == "cfs_lock_error":
            st.cfs_locks[a.get("lock", "?")] += 1
        elif k == "ha_lost_lock":
            lock = a.get("lock", "?")
            if lock not in st.ha_locks_lost:
                st.ha_locks_lost.append(lock)
        elif k in RECOVERY and ep is None and st.episodes:
            if not any(r.kind == k for r in recovery):
                recovery.append(e)
        if ep is not None and (not ep.events or ep.events[-1] is not e):
            ep.events.append(e)
    return st


def by_log_host(ctx: Context, kinds: tuple[str, ...]) -> dict[str, list[logs.NodeEvent]]:
    """Events per node; one node's evidence that holds several hosts' logs (loose files given
    without --node) is split by the host name the log lines carry."""
    out: dict[str, list[logs.NodeEvent]] = {}
    for node in ctx.nodes:
        evs = logs.events(ctx, node, kinds)
        hosts = {e.ev.host for e in evs if e.ev.host}
        if len(hosts) > 1 and all(e.ev.host for e in evs):
            for e in evs:
                out.setdefault(e.ev.host or node, []).append(e)
        elif evs:
            out.setdefault(node, []).extend(evs)
    return out


# -- node names ---------------------------------------------------------------------------------
def id_names(ctx: Context, stories: dict[str, NodeStory], *, by_name: bool = False) -> tuple[dict[str, str], dict[str, str]]:
    """(node id -> name, log node -> node id): from corosync.conf, quorum output, else the logs.

    `by_name`: when the logs leave a choice between ids, take the one a node's name ends with
    (`node2` -> 2), if it is among them (the timeline uses it; it is a guess, not evidence)."""
    names: dict[str, str] = {}
    for conf in CONF_KEYS:
        for f in ctx.facts(conf):
            for n in f.value.nodes:
                if n.nodeid is not None and n.name:
                    names.setdefault(str(n.nodeid), n.name)
    for quorum in QUORUM_KEYS:
        for q in ctx.facts(quorum):
            for member in q.value.members:
                if member.name and not member.name[0].isdigit():
                    names.setdefault(str(member.nodeid), member.name)
    local: dict[str, str] = {nm: nid for nid, nm in names.items() if nm in stories}
    # infer the rest: a node is in every membership it logs, and never a host its own knet lost
    cands: dict[str, set[str]] = {}
    for node, st in stories.items():
        if node in local or not st.member_lists:
            continue
        c: set[str] | None = None
        for _, ids in st.member_lists:
            c = set(ids) if c is None else c & set(ids)
        c = (c or set()) - {h for h, _ in st.downs}
        cands[node] = c
    def settle() -> None:
        changed = True
        while changed:
            changed = False
            taken = set(local.values())
            for node, c in cands.items():
                if node in local:
                    continue
                left = c - taken
                if len(left) == 1:
                    local[node] = left.pop()
                    changed = True

    settle()
    if by_name:
        for node, c in sorted(cands.items()):
            m = re.search(r"(\d+)$", node)
            if node not in local and m and str(int(m.group(1))) in c - set(local.values()):
                local[node] = str(int(m.group(1)))
                settle()
    for node, nid in local.items():
        names.setdefault(nid, node)
    return names, local


class Namer:
    def __init__(self, names: dict[str, str]) -> None:
        self.names = names

    def __call__(self, hid: str, with_id: bool = True) -> str:
        nm = self.names.get(hid)
        if nm is None:
            return f"host {hid}"
        return f"{nm} (host {hid})" if with_id else nm

    def short(self, hid: str) -> str:
        return self.names.get(hid, f"host {hid}")


def windows(stories: list[NodeStory]) -> list[tuple[datetime, datetime, list[NodeEpisode]]]:
    eps = sorted((ep for st in stories for ep in st.episodes if ep.start.ts is not None),
                 key=lambda ep: ep.start.ts)  # type: ignore[arg-type, return-value]
    out: list[tuple[datetime, datetime, list[NodeEpisode]]] = []
    for ep in eps:
        start = ep.start.ts
        end = ep.end.ts if ep.end is not None and ep.end.ts is not None else None
        end = end or max((e.ts for e in ep.events if e.ts is not None), default=start)
        assert start is not None and end is not None
        if out and (start - out[-1][1]).total_seconds() <= MERGE_SLACK_SECONDS \
                and ep.node not in {x.node for x in out[-1][2]}:
            s0, e0, group = out[-1]
            out[-1] = (s0, max(e0, end), group + [ep])
        else:
            out.append((start, end, [ep]))
    return out


def partitions(stories: dict[str, NodeStory], w0: datetime, w1: datetime) -> list[tuple[tuple[str, ...], list[str]]]:
    """Group the nodes by the smallest membership each saw inside the window."""
    seen: dict[str, tuple[str, ...]] = {}
    for node, st in stories.items():
        best: tuple[str, ...] | None = None
        for e, ids in st.member_lists:
            if e.ts is not None and w0 <= e.ts and (e.ts - w1).total_seconds() <= MERGE_SLACK_SECONDS:
                if best is None or len(ids) < len(best):
                    best = ids
        if best is not None:
            seen[node] = best
    groups: dict[tuple[str, ...], list[str]] = {}
    for node, ids in seen.items():
        groups.setdefault(tuple(sorted(ids, key=lambda x: int(x) if x.isdigit() else 0)), []).append(node)
    return sorted(groups.items(), key=lambda kv: (-len(kv[0]), kv[1]))


def common_factor(stories: dict[str, NodeStory], local: dict[str, str]) -> str | None:
    """A host that every other logging node lost, and that no other host shares that with."""
    lost = {node: {h for h, _ in st.downs} | {h for ep in st.episodes for h in ep.left_failed}
            for node, st in stories.items() if st.episodes}
    if len(lost) < 2:
        return None
    hosts = set().union(*lost.values())
    found = []
    for h in hosts:
        others = [n for n in lost if local.get(n) != h]
        if len(others) >= 2 - (0 if any(local.get(n) == h for n in lost) else 1) and \
                all(h in lost[n] for n in others):
            found.append(h)
    return found[0] if len(found) == 1 else None
