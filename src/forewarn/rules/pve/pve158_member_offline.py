"""PVE158 member-offline: a configured cluster member is missing while the others are quorate."""

from __future__ import annotations

import re
from collections.abc import Iterator

from forewarn.facts.cluster_votes import CONF_KEYS, QUORUM_KEYS, cluster_conf, quorum_by_node
from forewarn.facts.context import Context
from forewarn.model.findings import When
from forewarn.parse.pve.quorum_status import QuorumStatus
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import CouldNotCheck, NotApplicable

FIX = (
    step("pvecm nodes"),
    step("corosync-cfgtool -s"),
    note("Check the missing node ({missing}): power, network link of the cluster network, and "
         "`systemctl status corosync pve-cluster` on it. While it is away the cluster has one failure "
         "less in reserve."),
    note("If the node is gone for good, remove it from a quorate member with `pvecm delnode <name>` "
         "(Proxmox admin guide, 'Remove a Cluster Node'), never by editing corosync.conf alone."),
)

_QDEV_VOTES = re.compile(r"\(votes (\d+)\)")


def _qdevice_deficit(st: QuorumStatus) -> int:
    """Votes a configured QDevice is not casting: its row shows 0 votes and `(votes N)`."""
    for m in st.members:
        if m.is_qdevice:
            mm = _QDEV_VOTES.search(m.name)
            if mm and not m.votes:
                return int(mm.group(1))
    return 0


@rule(code="PVE158", inputs=QUORUM_KEYS, reads=CONF_KEYS, fix=FIX, when=When.NOW)
def member_offline(ctx: Context) -> Iterator[Hit]:
    statuses = {n: f for n, f in quorum_by_node(ctx).items() if f.value.quorate}
    if not statuses:
        raise NotApplicable("no node reports a quorate cluster (a lost quorum is PVE101)")
    cf = cluster_conf(ctx)
    node, f = sorted(statuses.items())[0]
    st = f.value
    members = [m for m in st.members if not m.is_qdevice]
    if not members:
        raise CouldNotCheck(f"{node}: the quorum status lists no members")
    ev = [f.ref([st.lines.get(k, 0) for k in ("quorate", "expected_votes", "total_votes")])]
    if cf is not None and cf.value.nodes:
        ids = {m.nodeid for m in members}
        names = {m.name for m in members}
        missing = [n for n in cf.value.nodes if n.nodeid not in ids and n.name not in names]
        if not missing:
            return
        miss = ", ".join(f"{n.name} (nodeid {n.nodeid})" for n in missing)
        yield Hit(f"{len(missing)} of {len(cf.value.nodes)} configured nodes not in the membership that {node} "
                  f"sees, while it is quorate: {miss}; the cluster runs with one failure less in reserve",
                  nodes=sorted(n.name for n in missing if n.name),
                  evidence=ev + [cf.ref([n.line for n in missing])],
                  params={"missing": ", ".join(n.name or str(n.nodeid) for n in missing)},
                  details={"missing": [n.name for n in missing]})
        return
    if st.expected_votes is None or st.total_votes is None:
        raise CouldNotCheck(f"{node}: no corosync.conf and no vote counts to compare")
    deficit = st.expected_votes - st.total_votes - _qdevice_deficit(st)
    if deficit <= 0:
        return
    yield Hit(f"{node} is quorate with {st.total_votes} of {st.expected_votes} expected votes: {deficit} "
              f"vote(s) of configured members are missing (members seen: {', '.join(m.name for m in members)})",
              nodes=node, evidence=ev, params={"missing": f"{deficit} member(s)"},
              details={"missing_votes": deficit})
