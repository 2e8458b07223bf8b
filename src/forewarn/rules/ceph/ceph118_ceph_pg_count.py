"""CEPH118 ceph-pg-count: a pool has too few or too many placement groups (autoscaler off or overridden)."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts import ceph
from forewarn.facts.context import Context
from forewarn.model.findings import When
from forewarn.rules import Hit, note, rule, step

CODES = ("POOL_TOO_FEW_PGS", "POOL_TOO_MANY_PGS", "TOO_FEW_PGS", "TOO_MANY_PGS")


@rule(code="CEPH118", inputs=ceph.HEALTH_KEYS,
      fix=(step("ceph osd pool autoscale-status", on=None),
           note("Let the autoscaler manage the pool (`ceph osd pool set <pool> pg_autoscale_mode on`) or set "
                "`pg_num` to its suggestion (a power of two); `target_size_ratio` tells it how full the pool will "
                "become.")))
def ceph_pg_count(ctx: Context) -> Iterator[Hit]:
    seen = ceph.found(ctx, CODES)
    for s in seen:
        many = "MANY" in s.code
        yield Hit(f"ceph health {s.code}: `{s.summary}`{ceph.detail_lines(s)}: "
                  + ("too many PGs per OSD cost memory and CPU on every OSD, and above mon_max_pg_per_osd new PGs "
                     "are refused (pools stay incomplete)" if many else
                     "too few PGs spread data unevenly, so some OSDs fill first (nearfull earlier) and parallelism "
                     "is lower"), nodes=s.nodes, evidence=s.evidence, when=When.NOW)
