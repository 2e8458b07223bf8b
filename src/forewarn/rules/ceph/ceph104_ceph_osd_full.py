"""CEPH104 ceph-osd-full: OSDs or pools full (writes blocked) or nearfull (about to be)."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts import ceph
from forewarn.facts.context import Context
from forewarn.model.findings import Severity, When
from forewarn.rules import Hit, note, rule, step

FULL = ("OSD_FULL", "POOL_FULL")
NEAR = ("OSD_NEARFULL", "OSD_BACKFILLFULL", "POOL_NEARFULL", "POOL_BACKFILLFULL")


@rule(code="CEPH104", inputs=ceph.READS,
      fix=(step("ceph osd df tree", on=None), step("ceph df", on=None),
           note("Add OSDs or capacity, or delete data (snapshots, trash: `rbd trash ls`); even out the OSDs with the "
                "balancer (`ceph balancer status`) or `ceph osd reweight-by-utilization`."),
           note("Raise the full ratio only as a short emergency step so that deletes can run "
                "(`ceph osd set-full-ratio 0.96`), and set it back afterwards: it is not the fix.")))
def ceph_osd_full(ctx: Context) -> Iterator[Hit]:
    seen = ceph.found(ctx, FULL + NEAR, ("ceph_osd_full",), "OSD_FULL", "full OSDs or pools",
                      missing="no `ceph -s` / `ceph health detail` output, and no log line about full OSDs")
    for s in seen:
        full = s.code in FULL
        why = ("Ceph blocks writes to every pool with PGs on a full OSD (mon_osd_full_ratio, 95 % by default): "
               "guests on those pools hang on I/O" if full else
               "writes stop cluster-wide for these pools once an OSD reaches the full ratio; recovery and backfill "
               "into nearfull OSDs already slow down or stop")
        yield Hit(f"ceph health {s.code or 'check'}: `{s.summary}`{ceph.detail_lines(s)}: {why}",
                  nodes=s.nodes, evidence=s.evidence, severity=Severity.CRITICAL if full else Severity.HIGH,
                  when=When.PAST if s.from_logs else When.NOW, details={"code": s.code})
