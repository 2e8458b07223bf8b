"""PCMK101 pacemaker-node-unclean: Pacemaker shows a node UNCLEAN: lost and not (yet) fenced."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts.context import Context
from forewarn.model.findings import Severity
from forewarn.parse.pcmk.crm_mon import (
    CRM_MON, ONLINE, UNCLEAN_OFFLINE, UNCLEAN_ONLINE, UNCLEAN_PENDING, CrmMon, View,
)
from forewarn.rules import Hit, note, rule, step

FIX = (
    step("corosync-cfgtool -s"),
    step("firewall-cmd --list-services"),
    note("Every node must reach every other on the corosync ports (UDP 5404-5405 with knet; "
         "`firewall-cmd --permanent --add-service=high-availability && firewall-cmd --reload` opens them "
         "and pcsd's 2224/tcp); then `crm_mon -1` on each node must show all of them Online in ONE partition."),
    step("stonith_admin --history '*'"),
)


def _names(nodes: list[str]) -> str:
    return ", ".join(nodes)


def _split(views: list[View]) -> list[tuple[View, View]]:
    """Pairs of views in which each sees itself Online and the other's node UNCLEAN (offline)."""
    pairs = []
    for i, a in enumerate(views):
        for b in views[i + 1:]:
            a_on, b_on = set(a.having(ONLINE)), set(b.having(ONLINE))
            if a_on and b_on and not a_on & b_on and b_on <= set(a.having(UNCLEAN_OFFLINE)) \
                    and a_on <= set(b.having(UNCLEAN_OFFLINE)):
                pairs.append((a, b))
    return pairs


@rule(code="PCMK101", inputs=(CRM_MON,), fix=FIX)
def pacemaker_node_unclean(ctx: Context) -> Iterator[Hit]:
    for f in ctx.facts(CRM_MON):
        mon: CrmMon = f.value
        in_split: set[int] = set()
        for a, b in _split(mon.views):
            in_split |= {id(a), id(b)}
            a_on, b_on = a.having(ONLINE), b.having(ONLINE)
            lines = [a.lines[n] for n in a.nodes] + [b.lines[n] for n in b.nodes]
            yield Hit(f"split cluster: one status shows {_names(a_on)} Online and {_names(b_on)} UNCLEAN (offline), "
                      f"another shows {_names(b_on)} Online and {_names(a_on)} UNCLEAN (offline): each side sees only "
                      "itself, so the nodes cannot hear each other (corosync traffic blocked or a network split) "
                      "and each side would fence the other",
                      nodes=f.node, evidence=[f.ref(lines)], severity=Severity.CRITICAL,
                      details={"partitions": [a_on, b_on]})
        for v in mon.views:
            if id(v) in in_split:
                continue
            lost = v.having(UNCLEAN_OFFLINE, UNCLEAN_PENDING)
            failing = v.having(UNCLEAN_ONLINE)
            online = v.having(ONLINE)
            ev = [f.ref([v.lines[n] for n in v.nodes])]
            if lost and online:
                yield Hit(f"{_names(online)} {'is' if len(online) == 1 else 'are'} Online but {_names(lost)} "
                          f"{'is' if len(lost) == 1 else 'are'} UNCLEAN (offline): Pacemaker lost "
                          f"{'it' if len(lost) == 1 else 'them'} and has not fenced "
                          f"{'it' if len(lost) == 1 else 'them'} (fencing failed, is disabled or is still running); "
                          "until then its resources cannot safely move",
                          nodes=f.node, evidence=ev, severity=Severity.HIGH,
                          details={"unclean": lost, "online": online})
            elif lost and not online:
                dc = f"Current DC: {v.dc}" if v.dc else "no DC shown"
                yield Hit(f"every node listed is UNCLEAN ({_names(lost)}; {dc}): the cluster has not formed — normal "
                          "for about a minute after `pcs cluster start`; if it lasts, the nodes cannot talk or "
                          "corosync quorum is not configured",
                          nodes=f.node, evidence=ev, severity=Severity.LOW,
                          details={"unclean": lost})
            if failing:
                yield Hit(f"{_names(failing)} {'is' if len(failing) == 1 else 'are'} UNCLEAN (online): fencing "
                          f"{'it' if len(failing) == 1 else 'them'} failed, so Pacemaker cannot trust that it "
                          "could fence if needed", nodes=f.node, evidence=ev, severity=Severity.MEDIUM,
                          details={"unclean_online": failing})
