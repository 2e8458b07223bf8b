"""CEPH120 ceph-bluefs-spillover: RocksDB metadata spilled from the fast DB device onto the slow one."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts import ceph
from forewarn.facts.context import Context
from forewarn.model.findings import When
from forewarn.rules import Hit, note, rule, step


@rule(code="CEPH120", inputs=ceph.HEALTH_KEYS,
      fix=(step("ceph health detail", on=None),
           note("Give the OSD a larger DB device (`ceph-bluestore-tool bluefs-bdev-expand` after growing the LV), or "
                "compact it (`ceph tell osd.<id> compact`) when the spill was temporary; size DB devices for the "
                "OSD's metadata, not a fixed small partition.")))
def ceph_bluefs_spillover(ctx: Context) -> Iterator[Hit]:
    seen = ceph.found(ctx, ("BLUEFS_SPILLOVER",))
    for s in seen:
        yield Hit(f"ceph health {s.code}: `{s.summary}`{ceph.detail_lines(s)}: the OSDs' DB partition is full and "
                  "part of their metadata now lives on the slow data device, so metadata reads and writes there are "
                  "as slow as that device", nodes=s.nodes, evidence=s.evidence, when=When.NOW)
