"""CEPH107 ceph-osd-down: OSDs (or all OSDs of a host) are down."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts import ceph
from forewarn.facts.context import Context
from forewarn.model.findings import When
from forewarn.rules import Hit, note, rule, step

CODES = ("OSD_DOWN", "OSD_HOST_DOWN", "OSD_ROOT_DOWN", "OSD_DATACENTER_DOWN", "OSD_ROOM_DOWN", "OSD_RACK_DOWN",
         "OSD_CHASSIS_DOWN")


@rule(code="CEPH107", inputs=ceph.READS,
      fix=(step("ceph osd tree down", on=None),
           step("journalctl -u ceph-osd@<id> -n 200"),
           note("A whole host down is the host or its network (check it before the disks); a single OSD is usually "
                "its disk: read the kernel log and SMART of the OSD's device (HW101-HW108) before starting it again "
                "with `systemctl start ceph-osd@<id>`; a dead disk is replaced with `pveceph osd destroy` / `create`.")))
def ceph_osd_down(ctx: Context) -> Iterator[Hit]:
    seen = ceph.found(ctx, CODES, cluster_log=True)
    if not seen:
        return
    head = "; ".join(f"{s.code}: `{s.summary}`{ceph.detail_lines(s, 4)}" for s in seen)
    logged = all(s.from_logs for s in seen)
    src = "the cluster log leaves raised" if logged else "ceph health"
    yield Hit(f"{src} {head}: the PGs these OSDs held run with fewer copies (degraded, or inactive where "
              "fewer than min_size are left) until they come back or, after mon_osd_down_out_interval, their data is "
              "recovered elsewhere", nodes=list(dict.fromkeys(n for s in seen for n in s.nodes)),
              evidence=[r for s in seen for r in s.evidence], when=When.PAST if logged else When.NOW)
