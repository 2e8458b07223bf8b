"""CEPH101 ceph-health-not-ok: health checks that no specific CEPH rule reports; without `ceph -s`, the
checks the monitors' cluster log leaves raised that no rule reading that log reports."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts import ceph
from forewarn.facts.context import Context
from forewarn.model.findings import Severity, When
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import CouldNotCheck

# health-check codes another rule reports (so they are not said twice); a new CEPH rule adds its codes here
CLAIMED = {
    "MON_CLOCK_SKEW": "CEPH103",
    "OSD_FULL": "CEPH104", "OSD_NEARFULL": "CEPH104", "OSD_BACKFILLFULL": "CEPH104", "POOL_FULL": "CEPH104",
    "POOL_NEARFULL": "CEPH104", "POOL_BACKFILLFULL": "CEPH104",
    "PG_AVAILABILITY": "CEPH105",
    "PG_DEGRADED": "CEPH106", "PG_DEGRADED_FULL": "CEPH106",
    "SLOW_OPS": "CEPH110", "REQUEST_SLOW": "CEPH110", "REQUEST_STUCK": "CEPH110",
    "POOL_NO_REDUNDANCY": "CEPH108",
    "OSD_SCRUB_ERRORS": "CEPH112", "PG_DAMAGED": "CEPH112", "OSD_TOO_MANY_REPAIRS": "CEPH112",
    "AUTH_INSECURE_GLOBAL_ID_RECLAIM_ALLOWED": "CEPH119", "AUTH_INSECURE_GLOBAL_ID_RECLAIM": "CEPH119",
    "MON_DISK_LOW": "CEPH121", "MON_DISK_CRIT": "CEPH121",
    "MGR_DOWN": "CEPH122",
    "MON_DOWN": "CEPH102",
    "OSD_DOWN": "CEPH107", "OSD_HOST_DOWN": "CEPH107", "OSD_ROOT_DOWN": "CEPH107", "OSD_DATACENTER_DOWN": "CEPH107",
    "OSD_ROOM_DOWN": "CEPH107", "OSD_RACK_DOWN": "CEPH107", "OSD_CHASSIS_DOWN": "CEPH107",
    "RECENT_CRASH": "CEPH111", "RECENT_MGR_MODULE_CRASH": "CEPH111",
    "OSDMAP_FLAGS": "CEPH114", "OSD_FLAGS": "CEPH114",
    "POOL_TOO_FEW_PGS": "CEPH118", "POOL_TOO_MANY_PGS": "CEPH118", "TOO_FEW_PGS": "CEPH118", "TOO_MANY_PGS": "CEPH118",
    "BLUEFS_SPILLOVER": "CEPH120",
    "POOL_APP_NOT_ENABLED": "CEPH123",
    "MDS_ALL_DOWN": "CEPH124", "FS_DEGRADED": "CEPH124", "FS_WITH_FAILED_MDS": "CEPH124", "MDS_DAMAGE": "CEPH124",
    "MDS_UP_LESS_THAN_MAX": "CEPH124", "MDS_SLOW_METADATA_IO": "CEPH124",
    "OBJECT_UNFOUND": "CEPH125",
}


@rule(code="CEPH101", inputs=ceph.READS,
      fix=(step("ceph health detail", on=None),
           note("Each check's code is documented at https://docs.ceph.com/en/latest/rados/operations/health-checks/ "
                "with its cause and fix; `ceph health mute <CODE>` only while the cause is being fixed.")))
def ceph_health_not_ok(ctx: Context) -> Iterator[Hit]:
    if not ceph.have_health(ctx):
        raised = ceph.cluster_log_checks(ctx, None)
        if raised is None:
            raise CouldNotCheck(ceph.NO_HEALTH)
        for s in raised:
            if s.code in ceph.CLUSTER_LOG_RULES:
                continue
            also = f" ({CLAIMED[s.code]} reports it from `ceph -s`)" if s.code in CLAIMED else ""
            yield Hit(f"the cluster log leaves raised {s.code}: `{s.summary}`{also}: the check was still raised at the "
                      "log's last line about it; `ceph health detail` shows whether it still is", nodes=s.nodes,
                      evidence=s.evidence, severity=Severity.MEDIUM, when=When.PAST, details={"code": s.code})
        return
    err = any(st == "HEALTH_ERR" for st, _ in ceph.statuses(ctx))
    others = [s for s in ceph.checks(ctx) if s.code not in CLAIMED and not s.muted]
    for s in others:
        sev = {"HEALTH_ERR": Severity.CRITICAL, "HEALTH_WARN": Severity.MEDIUM}.get(s.severity, Severity.MEDIUM)
        level = s.severity or ("cluster in HEALTH_ERR" if err else "warning")
        yield Hit(f"ceph health {s.code or 'check'} ({level}): `{s.summary}`{ceph.detail_lines(s)}",
                  nodes=s.nodes, evidence=s.evidence, severity=sev, when=When.NOW, details={"code": s.code})
    if others or ceph.checks(ctx):
        return
    for st, f in ceph.statuses(ctx):  # a status without any check line (the paste was cut)
        if st != "HEALTH_OK":
            yield Hit(f"ceph health is {st}, and the evidence lists no check: run `ceph health detail`", nodes=f.node,
                      evidence=[f.ref([f.value.status_line]) if f.value.status_line else f.ref()],
                      severity=Severity.CRITICAL if st == "HEALTH_ERR" else Severity.MEDIUM, when=When.NOW)
            return
