"""PVE145 expected-votes-lowered: votequorum's expected votes are below what corosync.conf gives
(an emergency `pvecm expected N` / `corosync-quorumtool -e N` still in effect)."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts.cluster_votes import CONF_KEYS, QUORUM_KEYS, cluster_conf, conf_votes, quorum_by_node
from forewarn.facts.context import Context
from forewarn.model.findings import When
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import CouldNotCheck

FIX = (
    step("pvecm status"),
    note("Bring the missing nodes back (or remove the ones gone for good with `pvecm delnode`); votequorum "
         "then takes the configured expected votes again by itself. If they stay away, set the expected "
         "votes back to the configured total (`pvecm expected {configured}`) as soon as the emergency is over."),
    note("While the value is lowered make no cluster configuration changes, and keep the missing nodes off "
         "the network: started together elsewhere they can form a second quorate partition."),
)


@rule(code="PVE145", inputs=QUORUM_KEYS, reads=CONF_KEYS, fix=FIX, when=When.NOW)
def expected_votes_lowered(ctx: Context) -> Iterator[Hit]:
    statuses = {n: f for n, f in quorum_by_node(ctx).items() if f.value.expected_votes is not None}
    if not statuses:
        raise CouldNotCheck("no answering `pvecm status` / `corosync-quorumtool -s` with expected votes")
    conf = cluster_conf(ctx)
    if conf is None:
        raise CouldNotCheck("corosync.conf was not read: the configured votes are unknown")
    configured = conf_votes(conf.value).total
    for node, f in sorted(statuses.items()):
        st = f.value
        if st.expected_votes is None or st.expected_votes >= configured:
            continue
        quorate = "quorate" if st.quorate else "not quorate"
        yield Hit(
            f"{node}: votequorum expects {st.expected_votes} vote(s) (quorum {st.quorum}) while corosync.conf "
            f"gives {configured} ({len(conf.value.nodes)} node(s)"
            f"{' + QDevice' if conf_votes(conf.value).qdevice_votes else ''}); {node} is {quorate} with "
            f"{st.total_votes} vote(s): an emergency `pvecm expected` is still in effect, and the nodes now "
            f"missing could form a second quorate partition of their own (high: a cluster left as configured "
            f"never expects fewer votes than it has)",
            nodes=node,
            evidence=[f.ref([st.lines.get(k, 0) for k in ("expected_votes", "highest_expected", "total_votes")]),
                      conf.ref([n.line for n in conf.value.nodes])],
            params={"configured": str(configured)},
            details={"expected_votes": st.expected_votes, "configured_votes": configured})
