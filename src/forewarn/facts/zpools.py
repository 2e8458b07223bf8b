"""ZFS pools of every node, from `zpool status`, for the ZFS rules.

`zpool status -x` prints only the pools with a problem (or `all pools are healthy`), so a pool
missing from it is not a missing pool; the rules only judge what is printed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from forewarn.parse.pve.zpool_status import ZPOOL_STATUS, Member, Pool, ZpoolStatus

if TYPE_CHECKING:
    from forewarn.facts.context import Context, Fact

# vdev member states that mean the device gives no data (openzfs include/sys/fs/zfs.h vdev_state)
DOWN = ("FAULTED", "UNAVAIL", "OFFLINE", "REMOVED")
BAD_POOL = ("FAULTED", "UNAVAIL", "SUSPENDED")


@dataclass(frozen=True, slots=True)
class NodePool:
    node: str
    fact: "Fact[ZpoolStatus]"
    pool: Pool


def no_pools(ctx: "Context") -> bool:
    """Every node that answered said `no pools available`."""
    facts = ctx.by_node(ZPOOL_STATUS)
    return bool(facts) and all(f.value.no_pools for f in facts.values())


def node_pools(ctx: "Context") -> Iterator[NodePool]:
    """Every pool of every node, in node order."""
    for node, f in sorted(ctx.by_node(ZPOOL_STATUS).items()):
        for p in f.value.pools:
            yield NodePool(node, f, p)


def redundancy_left(pool: Pool, group: str) -> int | None:
    """How many more member failures the group `group` survives now (None: not a redundant group)."""
    members = [m for m in pool.members if m.parent == group]
    v = next((v for v in pool.vdevs if v.name == group), None)
    if v is None or not members:
        return None
    down = sum(1 for m in members if m.state in DOWN)
    if v.kind.startswith(("raidz", "draid")):
        return max(int(v.kind[-1]) - down, 0)
    if v.kind == "mirror":
        return max(len(members) - 1 - down, 0)
    return None


def describe(m: Member) -> str:
    note = f" ({m.note})" if m.note else ""
    return f"{m.name} {m.state}{note}"
