"""CEPH108 ceph-unsafe-replication: replicated pools with min_size 1, size 2 or size 1."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts import ceph
from forewarn.facts.context import Context
from forewarn.model.findings import Severity, When
from forewarn.parse.ceph.osd_pool_ls_detail import POOLS, CephPool
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import CouldNotCheck


def _risk(p: CephPool) -> tuple[Severity, str] | None:
    if p.type != "replicated" or p.size is None:
        return None
    if p.size <= 1:
        return Severity.CRITICAL, "one copy only: the loss of one disk loses the data"
    if p.min_size is not None and p.min_size <= 1:
        return Severity.HIGH, ("min_size 1 accepts writes with a single copy, so one more failure during recovery "
                               "loses them (PGs then stay incomplete)")
    if p.size == 2:
        return Severity.MEDIUM, ("two copies: while one is down or being recovered the other is the only one, and "
                                 "with min_size 2 I/O stops whenever a disk or host fails")
    return None


@rule(code="CEPH108", inputs=(POOLS, *ceph.HEALTH_KEYS),
      fix=(step("ceph osd pool set {pool} size 3", on=None), step("ceph osd pool set {pool} min_size 2", on=None),
           note("Size 3 needs three hosts (with the default host failure domain) and the raw space for a third copy: "
                "check `ceph df` first; Proxmox VE's pveceph defaults are size 3 / min_size 2.")))
def ceph_unsafe_replication(ctx: Context) -> Iterator[Hit]:
    pools = ctx.facts(POOLS)
    noredundancy = ceph.checks(ctx, ("POOL_NO_REDUNDANCY",)) if ceph.have_health(ctx) else []
    if not pools and not noredundancy:
        raise CouldNotCheck("no `ceph osd pool ls detail` output (health checks do not warn about min_size 1)")
    seen: set[str] = set()
    for f in pools:
        for p in f.value.pools:
            risk = _risk(p)
            if risk is None or p.name in seen:
                continue
            seen.add(p.name)
            sev, why = risk
            yield Hit(f"pool '{p.name}' is replicated with size {p.size}, min_size {p.min_size}: {why}",
                      nodes=f.node, evidence=[f.ref([p.line]) if p.line else f.ref()], severity=sev,
                      params={"pool": p.name}, when=When.CONFIG)
    if not seen:
        for s in noredundancy:
            yield Hit(f"ceph health POOL_NO_REDUNDANCY: `{s.summary}`{ceph.detail_lines(s)}: these pools keep one "
                      "copy only, so the loss of one disk loses their data",
                      nodes=s.nodes, evidence=s.evidence, severity=Severity.CRITICAL,
                      params={"pool": "<pool>"}, when=When.CONFIG)
