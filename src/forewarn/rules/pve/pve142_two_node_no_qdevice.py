"""PVE142 two-node-no-qdevice: fewer than three quorum votes, so either node's stop costs quorum."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts.cluster_votes import (CONF_KEYS, QUORUM_KEYS, cluster_conf, conf_votes, ha_resource_count,
                                          qdevice_in_status, quorum_by_node)
from forewarn.facts.context import Context
from forewarn.model.findings import Severity, When
from forewarn.parse.pve.section_config import HA_RESOURCES_CFG
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import NotApplicable

FIX = (
    step("pvecm status"),
    note("Give the cluster a third vote: a QDevice on a host outside the cluster (a small VM or "
         "board elsewhere): `apt install corosync-qnetd` there, `apt install corosync-qdevice` on "
         "every node, then `pvecm qdevice setup <qnetd-ip>` (Proxmox admin guide, 'Corosync "
         "External Vote Support'); or add a third node."),
    note("Until then, never restart both nodes' cluster stack at once, and expect /etc/pve to turn "
         "read-only whenever one node is down."),
)


def _severity(ha: int | None) -> tuple[Severity, str]:
    if ha:
        return Severity.CRITICAL, (f"critical: {ha} HA resource(s) are configured, so a lost quorum makes "
                                   "the surviving node fence itself too and both nodes go down")
    if ha is None:
        return Severity.HIGH, ("high: HA resources were not read; with HA the surviving node fences itself "
                               "when its peer stops")
    return Severity.MEDIUM, ("medium: no HA resources, so nothing fences, but /etc/pve turns read-only and "
                             "guests cannot be started or changed while either node is down")


@rule(code="PVE142", inputs=CONF_KEYS + QUORUM_KEYS, reads=(HA_RESOURCES_CFG,), fix=FIX, when=When.CONFIG)
def two_node_no_qdevice(ctx: Context) -> Iterator[Hit]:
    sev, why = _severity(ha_resource_count(ctx))
    cf = cluster_conf(ctx)
    if cf is not None:
        conf = cf.value
        if len(conf.nodes) < 2:
            raise NotApplicable("single-node cluster")
        votes = conf_votes(conf)
        if votes.two_node or votes.total >= 3:
            return
        names = ", ".join(n.name or str(n.nodeid) for n in conf.nodes)
        yield Hit(f"the cluster has {votes.total} quorum votes ({len(conf.nodes)} nodes: {names}) and no "
                  f"QDevice or two_node option: quorum needs {votes.total // 2 + 1}, so stopping or losing "
                  f"either node costs quorum ({why})",
                  nodes=sorted(n.name for n in conf.nodes if n.name),
                  evidence=[cf.ref([n.line for n in conf.nodes] + [cf.value.tree.line])], severity=sev,
                  details={"votes": votes.total, "nodes": len(conf.nodes)})
        return
    statuses = quorum_by_node(ctx)
    for node, f in sorted(statuses.items()):
        st = f.value
        expected = st.highest_expected or st.expected_votes
        if expected is None:
            continue
        if expected < 2:
            raise NotApplicable("single-vote cluster")
        if expected >= 3 or qdevice_in_status(st) or "2Node" in st.flags:
            return
        yield Hit(f"{node}: votequorum expects {expected} votes and shows no QDevice: stopping or losing either "
                  f"node costs quorum ({why})",
                  nodes=node, evidence=[f.ref([st.lines.get(k, 0) for k in ("expected_votes", "highest_expected", "flags")])],
                  severity=sev, details={"votes": expected})
        return
