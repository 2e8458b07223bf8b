"""K8S111 kubelet-no-podsandbox: kubelet dies with `no PodsandBox found with Id` on a Docker
storage driver other than overlay2."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts import logs
from forewarn.facts.context import Context
from forewarn.model.findings import Severity, When
from forewarn.rules import Hit, note, rule, step
from forewarn.rules.k8s._common import LOG_INPUTS, by_node, events

FIX = (
    step("docker info | grep -A3 'Storage Driver'"),
    note('Switch Docker to overlay2: `"storage-driver": "overlay2"` in /etc/docker/daemon.json (on XFS the '
         "file system needs ftype=1, see K8S101). Images and containers of the old driver are not "
         "carried over: drain the node first."),
    step("kubectl drain {node} --ignore-daemonsets --delete-emptydir-data", safe=False, on=None),
    step("systemctl restart docker kubelet", safe=False),
)


@rule(
    code="K8S111", platform="k8s", name="kubelet-no-podsandbox",
    title="kubelet dies with \"no PodsandBox found\" (non-overlay2 Docker storage driver)", severity="high",
    inputs=LOG_INPUTS, seed="seeds/004_3ae197d3b21d8357.txt:404", fix=FIX, when=When.PAST,
)
def kubelet_no_podsandbox(ctx: Context) -> Iterator[Hit]:
    """What it does: finds kubelet's fatal `Failed to start ContainerManager failed to build map of
    initial containers from runtime: no PodsandBox found with Id '...'` and reads `docker info` of
    the same node for its storage driver. With overlay2 the seed's cause does not apply and the rule
    stays quiet; with another driver it is a high finding; without `docker info` the driver is
    named as the thing to check.

    Why it matters: kubelet exits at start when it cannot map a sandbox container it finds in
    Docker; with a storage driver other than overlay2 (devicemapper, vfs, ...) such broken sandboxes
    were left behind, and kubelet crash-loops: the node goes NotReady.

    How to fix: switch Docker to overlay2 (seed 004 did), which recreates images and containers,
    then restart docker and kubelet.
    """
    for node, evs in by_node(events(ctx, ("kubelet_no_podsandbox",))).items():
        d = ctx.fact("k8s.docker_info", node)
        driver = d.value.storage_driver if d is not None else None
        if driver == "overlay2":
            continue
        ev = logs.refs(evs, limit=3)
        if driver:
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
