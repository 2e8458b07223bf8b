"""CEPH124 ceph-cephfs-unavailable: a CephFS file system is offline, degraded or short of active MDS daemons."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts import ceph
from forewarn.facts.context import Context
from forewarn.model.findings import Severity, When
from forewarn.rules import Hit, note, rule, step

# code -> (severity, what it means for the clients)
CODES: dict[str, tuple[Severity, str]] = {
    "MDS_ALL_DOWN": (Severity.CRITICAL, "no MDS is active for the file system: every CephFS mount (PVE's cephfs "
                                        "storage: ISOs, templates, backups) hangs"),
    "FS_DEGRADED": (Severity.HIGH, "an MDS rank is failed or damaged: clients of that part of the tree hang"),
    "FS_WITH_FAILED_MDS": (Severity.HIGH, "a rank's MDS failed and no standby took over"),
    "MDS_DAMAGE": (Severity.HIGH, "the MDS found damaged metadata: parts of the tree may be unreadable"),
    "MDS_UP_LESS_THAN_MAX": (Severity.MEDIUM, "fewer MDS daemons are active than max_mds asks for"),
    "MDS_SLOW_METADATA_IO": (Severity.MEDIUM, "the MDS waits on slow metadata-pool I/O: file operations stall"),
}


@rule(code="CEPH124", inputs=ceph.HEALTH_KEYS,
      fix=(step("ceph fs status", on=None),
           step("ceph health detail", on=None),
           note("Start or add MDS daemons (`pveceph mds create`, `systemctl start ceph-mds@<id>`) and keep a standby; "
                "an MDS that cannot go active usually waits on its metadata pool: fix inactive PGs (CEPH105) and "
                "slow OSDs (CEPH110) first.")))
def ceph_cephfs_unavailable(ctx: Context) -> Iterator[Hit]:
    seen = ceph.found(ctx, tuple(CODES))
    if not seen:
        return
    worst = max(CODES[s.code][0] for s in seen)
    head = "; ".join(f"{s.code}: `{s.summary}`{ceph.detail_lines(s, 3)} ({CODES[s.code][1]})" for s in seen)
    yield Hit(f"ceph health {head}", nodes=list(dict.fromkeys(n for s in seen for n in s.nodes)),
              evidence=[r for s in seen for r in s.evidence], severity=worst, when=When.NOW)
