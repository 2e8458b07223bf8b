"""K8S124 node-disk-pressure: a node reports DiskPressure (nodefs/imagefs below the eviction
threshold), or kubelet's image garbage collection fails to free space; or kubelet's own log says it
met a disk eviction threshold (`Eviction manager: attempting to reclaim ephemeral-storage`)."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts import logs
from forewarn.facts.context import Context
from forewarn.facts.node_pressure import pressures
from forewarn.model.findings import When
from forewarn.parse.k8s.describe_node import DESCRIBE_NODE
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import CouldNotCheck

REASONS = ("NodeHasDiskPressure", "EvictionThresholdMet", "FreeDiskSpaceFailed", "ImageGCFailed")
FIX = (
    step("df -h /var/lib/kubelet /var/lib/containerd /var/lib/docker"),
    step("crictl rmi --prune"),
    note("Free the node file systems kubelet watches (nodefs: /var/lib/kubelet and logs; imagefs: the runtime's "
         "directory): prune unused images, remove old container logs and core dumps, or grow the disk. kubelet "
         "evicts pods and taints the node disk-pressure:NoSchedule until nodefs.available > 10 % and "
         "imagefs.available > 15 % (the defaults) again."),
    step("kubectl describe node {name}", on=None),
)


KINDS = ("kubelet_eviction_disk",)


@rule(code="K8S124", inputs=(DESCRIBE_NODE, *logs.LOG_SPECS), fix=FIX)
def node_disk_pressure(ctx: Context) -> Iterator[Hit]:
    found, seen = pressures(ctx, "DiskPressure", "node.kubernetes.io/disk-pressure", REASONS,
                            ("ephemeral-storage", "nodefs", "imagefs"))
    logged = logs.group_by_node(logs.events(ctx, None, KINDS))
    described = {p.node for p in found}
    for node, evs in logged.items():
        if node in described:
            continue
        what = ", ".join(dict.fromkeys(e.attrs.get("resource", "?") for e in evs))
        yield Hit(f"{node}: kubelet met its disk eviction threshold ({len(evs)} time(s), last at "
                  f"{logs.time_label(evs[-1])}: `Eviction manager: attempting to reclaim {what}`): it deleted unused "
                  "images and containers and evicted pods, and tainted the node disk-pressure:NoSchedule until space "
                  "was back above the threshold", nodes=node, evidence=logs.refs(evs), when=When.PAST,
                  params={"name": node})
    if not seen and not found:
        if not ctx.facts(DESCRIBE_NODE):
            if logged:
                return
            raise CouldNotCheck("needs k8s.describe_node")  # logs without an eviction line say nothing
        raise CouldNotCheck("the node description shows no DiskPressure condition or disk events")
    for p in found:
        parts = []
        if p.condition:
            parts.append(f"condition DiskPressure True ({p.condition.reason}: {p.condition.message})")
        if p.taint:
            parts.append(f"tainted {p.taint[0]}")
        gc = [e for e in p.events if e.reason in ("FreeDiskSpaceFailed", "ImageGCFailed")]
        ev = [e for e in p.events if e.reason == "EvictionThresholdMet"]
        if gc:
            parts.append(f"image garbage collection failed ({gc[0].message})")
        if ev:
            parts.append(f"kubelet evicts pods: {ev[0].message} ({ev[0].age})")
        if not p.condition and not gc and not ev:
            parts.append(f"kubelet reported NodeHasDiskPressure ({p.events[0].age} ago)")
        yield Hit(f"{p.label}: node disk pressure: " + "; ".join(parts) + ": pods are evicted and no new pod is "
                  "scheduled there until space is freed", nodes=p.node, evidence=[p.fact.ref(p.lines())],
                  params={"name": p.label}, when=None if p.condition else When.PAST)

