"""PVE101 quorum-lost: the cluster (or this node's part of it) is not quorate."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts import logs
from forewarn.facts.context import Context
from forewarn.model.findings import Severity, When
from forewarn.rules import Hit, note, rule, step
from forewarn.parse.pve.quorum_status import COROSYNC_QUORUMTOOL, PVECM_STATUS

QUORUM_SPECS = (PVECM_STATUS, COROSYNC_QUORUMTOOL)

FIX = (
    step("pvecm status"),
    step("corosync-cfgtool -s"),
    step("journalctl -b -u corosync -u pve-cluster --since -2h"),
    note("Bring the missing nodes or links back (see PVE102 for link flaps); quorum returns by itself "
         "once more than half of the votes see each other."),
    note("Seed 001: after long network trouble, restarting the cluster services on a node that IS in the "
         "quorate part once helped: `systemctl restart pve-cluster corosync` there."),
    step("pvecm expected {quorum_if_alone}", safe=False),
)


# pve_no_quorum, pve_etc_readonly: what a PVE tool or daemon says without quorum (`cluster not ready - no
# quorum?`; a write to /etc/pve refused with `Permission denied`, pmxcfs' answer while not quorate);
# pmxcfs_write_not_quorate: pmxcfs refusing a write that came over the cluster while the node is not quorate
TOOLS = ("pve_no_quorum", "pve_etc_readonly", "pmxcfs_write_not_quorate")
LOST = ("non_primary", "pmxcfs_lost_quorum", *TOOLS)
# A tool's `no quorum?` alone is no episode when quorum follows within BRIEF (a node booting: pvesr or
# pvescheduler run before corosync has joined), nor when it comes within STALE of quorum coming back (a
# task that began while the node was without quorum reports it late).
BRIEF, STALE = 180, 60


def _secs(a: logs.NodeEvent, b: logs.NodeEvent) -> float | None:
    return (b.ts - a.ts).total_seconds() if a.ts is not None and b.ts is not None else None


def _brief(lost: logs.NodeEvent, back: logs.NodeEvent) -> bool:
    d = _secs(lost, back)
    return d is not None and 0 <= d <= BRIEF


def _stale(back: logs.NodeEvent | None, e: logs.NodeEvent) -> bool:
    d = _secs(back, e) if back is not None else None
    return d is not None and 0 <= d <= STALE


@rule(code="PVE101", inputs=QUORUM_SPECS + logs.LOG_SPECS, fix=FIX)
def quorum_lost(ctx: Context) -> Iterator[Hit]:
    seen_now: set[str] = set()
    for spec in QUORUM_SPECS:
        for node, f in ctx.by_node(spec).items():
            if node in seen_now:
                continue
            st = f.value
            if st.service_error or st.quorate is None:
                continue
            seen_now.add(node)
            if st.quorate:
                continue
            votes = f"{st.total_votes} of {st.expected_votes} votes" if st.total_votes is not None else "votes unknown"
            needs = f", quorum needs {st.quorum}" if st.quorum is not None else ""
            blocked = " — Activity blocked" if st.activity_blocked else ""
            missing = ""
            if st.expected_votes and st.total_votes is not None and st.members:
                present = ", ".join(m.name or str(m.nodeid) for m in st.members if not m.is_qdevice)
                missing = f"; members seen: {present}"
            yield Hit(
                f"{node}: {votes}{needs}{blocked}{missing}",
                nodes=node,
                evidence=[f.ref([st.lines.get(k, 0) for k in ("quorate", "total_votes", "quorum", "flags")])],
                params={"quorum_if_alone": st.total_votes or 1},
                when=When.NOW,
                details={"total_votes": st.total_votes, "expected_votes": st.expected_votes,
                         "quorum": st.quorum, "activity_blocked": st.activity_blocked},
            )

    # TOOLS: a PVE daemon or tool found the node without quorum when it ran; such a line opens an episode
    # when corosync's or pmxcfs' own loss line is not in the log
    kinds = (*LOST, "primary", "pmxcfs_quorum")
    for node in ctx.nodes:
        evs = logs.events(ctx, node, kinds)
        if not evs:
            continue
        episodes: list[tuple[logs.NodeEvent, logs.NodeEvent | None]] = []
        lost_at: logs.NodeEvent | None = None
        # pmxcfs refusing cluster writes while an episode that corosync or pmxcfs opened lasts: cited with that
        # episode (its first 3), pmxcfs' own word that the node was not quorate
        inside: dict[int, list[logs.NodeEvent]] = {}
        back_at: logs.NodeEvent | None = None
        for e in evs:
            if e.kind in LOST:
                if lost_at is None and not (e.kind in TOOLS and _stale(back_at, e)):
                    lost_at = e
                elif lost_at is not None and lost_at.kind not in TOOLS and e.kind == "pmxcfs_write_not_quorate":
                    seen = inside.setdefault(id(lost_at), [])
                    if len(seen) < 3:
                        seen.append(e)
            elif lost_at is not None:
                if not (lost_at.kind in TOOLS and _brief(lost_at, e)):
                    episodes.append((lost_at, e))
                lost_at = None
                back_at = e
            else:
                back_at = e
        if lost_at is not None:
            episodes.append((lost_at, None))
        if not episodes:
            continue
        parts = []
        for lost, back in episodes:
            if lost.kind in TOOLS:
                said = [e for e in evs if e.kind in TOOLS and e.ts is not None and lost.ts is not None
                        and e.ts >= lost.ts and (back is None or back.ts is None or e.ts <= back.ts)]
                progs = sorted({e.ev.prog for e in said if e.ev.prog} | ({lost.ev.prog} if lost.ev.prog else set()))
                who = f" by {', '.join(progs)}" if progs else ""
                lines = [e for e in said if e.kind == lost.kind] or [lost]
                what = ("`cluster not ready - no quorum?`" if lost.kind == "pve_no_quorum" else
                        "pmxcfs' `received write while not quorate - trigger resync`"
                        if lost.kind == "pmxcfs_write_not_quorate" else
                        f"writes to /etc/pve refused with `Permission denied` ({lost.attrs.get('file', '')}), "
                        f"pmxcfs' answer while the node is not quorate")
                parts.append(f"reported not quorate at {logs.time_label(lost)}{who} ({what}, {len(lines)} line(s))"
                             + ("" if back is None else f", quorum back at {logs.time_label(back)}"))
                continue
            if back is None:
                parts.append(f"lost at {logs.time_label(lost)}, not regained by the end of the log")
            elif lost.ts and back.ts:
                parts.append(f"lost at {logs.time_label(lost)}, regained after {int((back.ts - lost.ts).total_seconds())} s")
            else:
                parts.append(f"lost at {logs.time_label(lost)}, regained at {logs.time_label(back)}")
        recovered = episodes[-1][1] is not None
        # a tool's report alone (no corosync or pmxcfs line) shows the node without quorum, not for how long
        tools_only = all(lost.kind in TOOLS for lost, _ in episodes)
        if node in seen_now and recovered:
            state = " (quorate now)"
        else:
            state = ""
        lines_ev = [e for lost, back in episodes
                    for e in (lost, *inside.get(id(lost), []), back) if e is not None]
        yield Hit(
            f"{node}: lost quorum {len(episodes)} time(s) in the log{logs.sampled(ctx, node, kinds)}{state}: "
            + "; ".join(parts[:5])
            + (f"; … {len(parts) - 5} more" if len(parts) > 5 else ""),
            nodes=node,
            evidence=logs.refs(lines_ev),
            params={"quorum_if_alone": 1},
            fix=list(FIX[:5]),
            when=When.PAST,
            severity=Severity.HIGH if recovered or tools_only else Severity.CRITICAL,
            details={"episodes": len(episodes), "recovered": recovered},
        )
