"""CEPH109 ceph-too-few-monitors: fewer than three monitors (no failure tolerated), or an even number."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts.context import Context
from forewarn.model.findings import Severity, When
from forewarn.parse.ceph.health import STATUS
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import CouldNotCheck


def tolerated(mons: int) -> int:
    """How many monitors may fail with quorum kept (a majority of the monmap must stay).

    >>> [tolerated(n) for n in (1, 2, 3, 4, 5)]
    [0, 0, 1, 1, 2]
    """
    return mons - (mons // 2 + 1)


@rule(code="CEPH109", inputs=(STATUS,),
      fix=(step("ceph mon stat", on=None),
           note("Run three monitors (five on large clusters), each on its own node: `pveceph mon create` on two more "
                "Proxmox VE nodes (or `ceph orch apply mon 3`). An odd count gives the most failures per monitor.")))
def ceph_too_few_monitors(ctx: Context) -> Iterator[Hit]:
    facts = [f for f in ctx.facts(STATUS) if f.value.num_mons is not None]
    if not facts:
        raise CouldNotCheck("no `ceph -s` output that lists the monitors (`mon: N daemons`)")
    f = facts[0]  # every node reports the same monmap
    n = f.value.num_mons or 0
    ref = f.ref([f.value.mons_line]) if f.value.mons_line else f.ref()
    if n < 3:
        yield Hit(f"ceph -s lists {n} monitor{'s' if n != 1 else ''}: "
                  + ("the only monitor is a single point of failure: if it or its node goes down, no client, OSD or "
                     "manager can reach the cluster" if n == 1 else
                     "two monitors need both for a majority, so losing either one stops the cluster (no better than "
                     "one)"), nodes=[x.node for x in facts], evidence=[ref], when=When.NOW)
    elif n % 2 == 0:
        yield Hit(f"ceph -s lists {n} monitors: an even count tolerates no more failures than {n - 1} "
                  f"({tolerated(n)}), but adds one more daemon that can fail", nodes=[x.node for x in facts],
                  evidence=[ref], severity=Severity.LOW, when=When.NOW)
