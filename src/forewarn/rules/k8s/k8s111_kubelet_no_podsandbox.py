"""K8S111 kubelet-no-podsandbox: kubelet dies with `no PodsandBox found with Id` on a Docker
storage driver other than overlay2."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts import logs
from forewarn.facts.context import Context
from forewarn.model.findings import Severity, When
from forewarn.rules import Hit, note, rule, step
from forewarn.parse.k8s.docker_info import DOCKER_INFO

FIX = (
    step("docker info | grep -A3 'Storage Driver'"),
    note('Switch Docker to overlay2: `"storage-driver": "overlay2"` in /etc/docker/daemon.json (on XFS the '
         "file system needs ftype=1, see K8S101). Images and containers of the old driver are not "
         "carried over: drain the node first."),
    step("kubectl drain {node} --ignore-daemonsets --delete-emptydir-data", safe=False, on=None),
    step("systemctl restart docker kubelet", safe=False),
)


@rule(code="K8S111", reads=(DOCKER_INFO,), platform="k8s", inputs=logs.LOG_SPECS, fix=FIX, when=When.PAST)
def kubelet_no_podsandbox(ctx: Context) -> Iterator[Hit]:
    for node, evs in logs.group_by_node(logs.events(ctx, None, ("kubelet_no_podsandbox",))).items():
        d = ctx.fact(DOCKER_INFO, node)
        driver = d.value.storage_driver if d is not None else None
        if driver == "overlay2":
            continue
        ev = logs.refs(evs, limit=3)
        if d is not None and driver:
            yield Hit(
                f"{node}: kubelet failed to start ({len(evs)} time(s)): no PodsandBox found with Id "
                f"{evs[0].attrs.get('sandbox', '?')[:12]}…, and Docker uses the {driver} storage driver, not overlay2",
                nodes=node, evidence=ev + [d.ref([d.value.lines.get("storage_driver", 0)])],
                details={"driver": driver},
            )
        else:
            yield Hit(
                f"{node}: kubelet failed to start ({len(evs)} time(s)): no PodsandBox found with Id "
                f"{evs[0].attrs.get('sandbox', '?')[:12]}…; Docker's storage driver is not known here "
                "(collect `docker info`): anything but overlay2 is the known cause",
                nodes=node, evidence=ev, severity=Severity.MEDIUM,
            )
