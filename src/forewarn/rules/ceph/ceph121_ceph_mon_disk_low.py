"""CEPH121 ceph-mon-disk-low: the filesystem holding a monitor's store is low on space."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts import ceph
from forewarn.facts.context import Context
from forewarn.model.findings import Severity, When
from forewarn.rules import Hit, note, rule, step


@rule(code="CEPH121", inputs=ceph.READS,
      fix=(step("df -h /var/lib/ceph/mon"),
           note("Free space on the filesystem that holds the mon store (usually `/`: logs, old kernels, images, "
                "container layers) or move the store to a larger one; lowering mon_data_avail_warn only hides it.")))
def ceph_mon_disk_low(ctx: Context) -> Iterator[Hit]:
    seen = ceph.found(ctx, ("MON_DISK_LOW", "MON_DISK_CRIT"), ("ceph_mon_disk_low",), "MON_DISK_LOW",
                      "mons are low on available space",
                      missing="no `ceph -s` / `ceph health detail` output, and no log line about monitor disk space")
    for s in seen:
        crit = s.code == "MON_DISK_CRIT" or "very low" in s.summary or any("very low" in d for d in s.detail)
        yield Hit(f"ceph health {s.code}: `{s.summary}`{ceph.detail_lines(s)}: "
                  + ("below mon_data_avail_crit (5 % free) a monitor shuts down to protect its store"
                     if crit else "the monitors' own filesystem has less than mon_data_avail_warn (30 %) free; at "
                     "5 % they shut down, and quorum with them (the OSDs' usage does not matter here)"),
                  nodes=s.nodes, evidence=s.evidence, severity=Severity.HIGH if crit else None,
                  when=When.PAST if s.from_logs else When.NOW)
