"""The cluster as /etc/pve shows it: a cluster-wide file (every node's bundle has a copy), the node
a file under /etc/pve/nodes/<node>/ belongs to, and the cluster's member list. A rule that calls
`cluster_nodes` declares NODES_KEYS."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, TypeVar

from forewarn.facts.guests import guests
from forewarn.model.keys import Key
from forewarn.parse.pve.corosync_conf import COROSYNC_CONF
from forewarn.parse.pve.guest_config import GUEST_CONFIG
from forewarn.parse.pve.ha_manager_status import HA_MANAGER_STATUS

if TYPE_CHECKING:
    from forewarn.facts.context import Context, Fact

T = TypeVar("T")
NODES_KEYS = (COROSYNC_CONF, GUEST_CONFIG, HA_MANAGER_STATUS)
_NODE_PATH = re.compile(r"nodes/(?P<node>[^/]+)/")


def first_fact(ctx: "Context", key: Key[T]) -> "Fact[T] | None":
    """A cluster-wide /etc/pve file (pmxcfs): the first copy found stands for all nodes."""
    for f in ctx.facts(key):
        return f
    return None


def owner_node(fact: "Fact[Any]") -> str:
    """The node a file under /etc/pve/nodes/<node>/ belongs to (every node's bundle has a copy)."""
    m = _NODE_PATH.search(fact.record.source or "") or _NODE_PATH.search(fact.artifact)
    return m.group("node") if m else fact.node


def cluster_nodes(ctx: "Context") -> tuple[list[str], str]:
    """Every node of the cluster and where that list came from."""
    f = first_fact(ctx, COROSYNC_CONF)
    if f is not None:
        listed = [n.name for n in f.value.nodes if n.name]
        if listed:
            return sorted(listed), "corosync.conf"
    names: set[str] = set()
    for g in guests(ctx):
        if g.owner:
            names.add(g.owner)
    for f2 in ctx.facts(HA_MANAGER_STATUS):
        names.update(d.node for d in f2.value.lrms)
    names.update(n for n in ctx.nodes if n != "node")
    return sorted(names), "the nodes seen in the evidence (no corosync.conf)"
