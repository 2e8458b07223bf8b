"""ZFS103 pool-capacity-high: a pool is nearly full (slow writes, then writes stop)."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts.context import Context
from forewarn.model.findings import Severity, When
from forewarn.parse.zfs.zpool_list import ZPOOL_LIST
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import NotApplicable

# CATALOGUE-NEXT ZFS103 says >= 80 % medium; a pool at 80-89 % still works (slower), so that band is low
LOW, HIGH, CRITICAL = 80, 90, 95
FIX = (
    step("zfs list -o space -r {pool}"),
    step("zfs list -t snapshot -o name,used -s used -r {pool} | tail -n 20"),
    note("Free space first: old snapshots (replication and backup tools leave many), orphaned guest volumes "
         "(PVE186/PVE187), data that belongs elsewhere. Deleting files that snapshots still hold frees nothing."),
    note("Or add capacity: `zpool add {pool} <new vdev of the same layout>` (a vdev cannot be removed from a raidz "
         "pool again), or replace the disks with larger ones one by one with `autoexpand=on`."),
)


@rule(code="ZFS103", inputs=(ZPOOL_LIST,), fix=FIX)
def pool_capacity_high(ctx: Context) -> Iterator[Hit]:
    facts = ctx.by_node(ZPOOL_LIST)
    if facts and all(f.value.no_pools for f in facts.values()):
        raise NotApplicable("zpool list: no pools available")
    for node, f in sorted(facts.items()):
        for p in f.value.pools:
            cap = p.capacity
            if cap is None or cap < LOW:
                continue
            if cap >= CRITICAL:
                sev, why = Severity.CRITICAL, "writes are about to fail, and deleting needs space too (copy-on-write)"
            elif cap >= HIGH:
                sev, why = Severity.HIGH, "allocation gets slow and fragmentation grows; writes stop when it is full"
            else:
                sev, why = Severity.LOW, "ZFS slows down as free space gets scarce"
            frag = f", fragmentation {p.fragmentation} %" if p.fragmentation is not None else ""
            yield Hit(f"{node}: pool {p.name} is {cap} % full ({p.free or '?'} free{frag}): {why}",
                      nodes=node, evidence=[f.ref([p.lines.get("capacity", p.line), p.lines.get("free", 0)])],
                      severity=sev, when=When.NOW, params={"pool": p.name},
                      details={"pool": p.name, "capacity": cap, "free": p.free, "fragmentation": p.fragmentation})
