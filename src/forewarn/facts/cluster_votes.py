"""Vote arithmetic for the corosync cluster rules (PVE142, PVE158).

Reads corosync.conf (what is configured) and `pvecm status` / `corosync-quorumtool -s` (what the
running votequorum sees). Kept here, not in a rule, so both rules count votes the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

from forewarn.facts.context import Context, Fact
from forewarn.parse.pve.corosync_conf import COROSYNC_CONF, COROSYNC_CONF_LOCAL, CorosyncConf
from forewarn.parse.pve.quorum_status import COROSYNC_QUORUMTOOL, PVECM_STATUS, QuorumStatus
from forewarn.parse.pve.section_config import HA_RESOURCES_CFG

CONF_KEYS = (COROSYNC_CONF, COROSYNC_CONF_LOCAL)
QUORUM_KEYS = (PVECM_STATUS, COROSYNC_QUORUMTOOL)


def cluster_conf(ctx: Context) -> Fact[CorosyncConf] | None:
    """The cluster's corosync.conf: the pmxcfs copy first, the highest config_version first."""
    for key in CONF_KEYS:
        facts = [f for f in ctx.facts(key) if f.value.nodes]
        if facts:
            return max(facts, key=lambda f: f.value.config_version or 0)
    return None


def conf_size(ctx: Context) -> int:
    """Nodes corosync.conf lists (the larger of the pmxcfs and the local copy), 0 when neither was read."""
    return max((len(f.value.nodes) for key in CONF_KEYS for f in ctx.facts(key)), default=0)


def quorum_by_node(ctx: Context) -> dict[str, Fact[QuorumStatus]]:
    """Each node's answering quorum status (pvecm status preferred), skipping service errors."""
    out: dict[str, Fact[QuorumStatus]] = {}
    for key in QUORUM_KEYS:
        for node, f in ctx.by_node(key).items():
            if node not in out and not f.value.service_error and not f.value.standalone:
                out[node] = f
    return out


@dataclass(frozen=True, slots=True)
class ConfVotes:
    node_votes: int
    qdevice_votes: int
    two_node: bool

    @property
    def total(self) -> int:
        return self.node_votes + self.qdevice_votes


def conf_votes(conf: CorosyncConf) -> ConfVotes:
    """Votes corosync.conf provides: nodes' quorum_votes plus the QDevice's.

    A QDevice without `votes:` gets (number of nodes - 1) votes from votequorum for the ffsplit
    and lms algorithms; on the two-node clusters Proxmox supports that is 1.
    """
    node_votes = sum(n.votes for n in conf.nodes)
    qd = 0
    if conf.qdevice:
        raw = conf.qdevice.get("votes", "")
        qd = int(raw) if raw.isdigit() else max(len(conf.nodes) - 1, 1)
    return ConfVotes(node_votes, qd, conf.quorum.get("two_node", "0").strip() == "1")


def qdevice_in_status(st: QuorumStatus) -> bool:
    """Whether the running cluster has a QDevice (the Qdevice flag, column or row)."""
    return "Qdevice" in st.flags or any(m.is_qdevice or m.qdevice for m in st.members)


def ha_resource_count(ctx: Context) -> int | None:
    """HA resources configured (vm:/ct: sections), None when resources.cfg was not read."""
    facts = ctx.facts(HA_RESOURCES_CFG)
    if not facts:
        return None
    return max(len(f.value.by_type("vm", "ct")) for f in facts)
