"""OSK106 kolla-logs-volume-missing: a Kolla container cannot start, its Docker volume path is gone."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts.context import Context
from forewarn.model.findings import When
from forewarn.rules import Hit, note, rule, step
from forewarn.parse.osk.nova_compute_log import NOVA_COMPUTE_LOG
from forewarn.facts.openstack import log_ref

# Named volumes Kolla-Ansible creates on a compute or controller.
KOLLA_VOLUMES = frozenset({
    "kolla_logs", "nova_compute", "nova_libvirt", "nova_libvirt_qemu", "nova_libvirt_secrets",
    "libvirtd", "mariadb", "rabbitmq", "glance", "haproxy_socket", "openvswitch_db",
    "neutron_metadata_socket", "fluentd_data", "kolla_certificates", "iscsi_info",
})

FIX = (
    step("docker volume ls --filter name={volume}"),
    step("docker volume create {volume}"),
    note("Directories made by hand under /var/lib/docker/volumes are not a Docker volume (seed 003 tried "
         "that). If more volumes are gone, redeploy the node instead."),
    step("kolla-ansible -i multinode deploy --limit {node}", on=None, safe=False),
)


@rule(code="OSK106", inputs=(NOVA_COMPUTE_LOG,), fix=FIX, when=When.PAST)
def kolla_logs_volume_missing(ctx: Context) -> Iterator[Hit]:
    for f in ctx.facts(NOVA_COMPUTE_LOG):
        evs = [e for e in f.value.of("volume_missing") if e.detail in KOLLA_VOLUMES]
        if not evs:
            continue
        vols = list(dict.fromkeys(e.detail for e in evs if e.detail))
        first = evs[0]
        when = f" at {first.ts:%Y-%m-%d %H:%M:%S}" if first.ts else f" (line {first.line})"
        yield Hit(f"{f.node}: Docker volume {', '.join(vols)} is missing{when}: "
                  f"/var/lib/docker/volumes/{vols[0]}/_data does not exist, so nova_compute and the other "
                  "Kolla containers that mount it cannot start",
                  nodes=f.node, evidence=[log_ref(f, evs)], params={"volume": vols[0]},
                  details={"volumes": vols, "events": len(evs)})
