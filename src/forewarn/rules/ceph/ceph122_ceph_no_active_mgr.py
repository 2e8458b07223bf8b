"""CEPH122 ceph-no-active-mgr: no manager daemon is active (MGR_DOWN)."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts import ceph
from forewarn.facts.context import Context
from forewarn.model.findings import When
from forewarn.rules import Hit, note, rule, step


@rule(code="CEPH122", inputs=ceph.HEALTH_KEYS,
      fix=(step("ceph mgr stat", on=None), step("systemctl status 'ceph-mgr@*'"),
           step("journalctl -u 'ceph-mgr@*' -n 200"),
           note("Start a manager (`systemctl start ceph-mgr@<id>`), or create one on another monitor node "
                "(`pveceph mgr create` on Proxmox VE); run at least two, so that a standby takes over.")))
def ceph_no_active_mgr(ctx: Context) -> Iterator[Hit]:
    seen = ceph.found(ctx, ("MGR_DOWN",))
    why = ("since Luminous the manager collects PG and usage statistics, so `ceph -s` and `ceph df` show stale or no "
           "data, and the balancer, PG autoscaler, dashboard and orchestrator stop; client I/O still flows")
    if seen:
        for s in seen:
            yield Hit(f"ceph health MGR_DOWN: `{s.summary}`: {why}", nodes=s.nodes, evidence=s.evidence, when=When.NOW)
        return
    for f in ceph.health_facts(ctx):
        if f.value.mgr_available is False:
            yield Hit(f"ceph status: no manager daemon is active (`mgr: no daemons active`): {why}", nodes=f.node,
                      evidence=[f.ref([f.value.mgr_line]) if f.value.mgr_line else f.ref()], when=When.NOW)
            return
