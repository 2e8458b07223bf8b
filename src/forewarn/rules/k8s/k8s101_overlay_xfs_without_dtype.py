"""K8S101 overlay-xfs-without-dtype: overlay storage on an XFS formatted without ftype=1."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts import logs
from forewarn.facts.context import Context
from forewarn.model.findings import Severity, When
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import CouldNotCheck
from forewarn.parse.host.xfs_info import XFS_INFO
from forewarn.parse.k8s.docker_info import DOCKER_INFO

FIX = (
    note("Move the runtime's data away first (or drain the node): reformatting destroys the file system."),
    step("systemctl stop kubelet docker containerd", safe=False),
    step("mkfs.xfs -f -n ftype=1 {device}", safe=False),
    step("xfs_info {device} | grep ftype"),
    note("Mount it back at the runtime root (/var/lib/docker or /var/lib/containerd), start the "
         "runtime and kubelet; images are pulled again."),
)


@rule(
    code="K8S101",
    platform="k8s",
    inputs=(XFS_INFO, DOCKER_INFO) + logs.LOG_SPECS,
    fix=FIX,
)
def overlay_xfs_without_dtype(ctx: Context) -> Iterator[Hit]:
    flagged: set[str] = set()
    for f in ctx.facts(DOCKER_INFO):
        d = f.value
        if d.storage_driver and d.storage_driver.startswith("overlay") and d.supports_d_type is False:
            flagged.add(f.node)
            backing = d.backing_filesystem or "its backing file system"
            yield Hit(
                f"{f.node}: Docker uses {d.storage_driver} on {backing} without d_type "
                f"(`Supports d_type: false`, root {d.docker_root_dir or 'not shown'})",
                nodes=f.node,
                evidence=[f.ref([d.lines.get(k, 0) for k in ("storage_driver", "backing_filesystem",
                                                               "supports_d_type", "docker_root_dir", "warning")])],
                params={"device": "<device of " + (d.docker_root_dir or "/var/lib/docker") + ">"},
                details={"driver": d.storage_driver, "backing_filesystem": d.backing_filesystem},
            )
    for xf in ctx.facts(XFS_INFO):
        docker = ctx.fact(DOCKER_INFO, xf.node)
        driver = docker.value.storage_driver if docker is not None else None
        for fs in xf.value.filesystems:
            if fs.ftype != 0:
                continue
            other = driver is not None and not driver.startswith("overlay")
            flagged.add(xf.node)
            yield Hit(
                f"{xf.node}: XFS {fs.device} has ftype=0 (no d_type); overlay/overlay2 and containerd's "
                f"overlayfs snapshotter cannot run on it"
                + (f" (Docker uses {driver} now, which hides the problem until it is switched to overlay2)"
                   if other else ""),
                nodes=xf.node,
                evidence=[xf.ref([fs.line, fs.ftype_line or 0])]
                + ([docker.ref([docker.value.lines.get("storage_driver", 0)])] if docker is not None else []),
                params={"device": fs.device},
                severity=Severity.MEDIUM if other else None,
                details={"device": fs.device, "crc": fs.crc},
            )
    for node, evs in logs.group_by_node(logs.events(ctx, None, ("overlay_no_dtype",))).items():
        if node in flagged:
            continue
        yield Hit(
            f"{node}: the runtime logged {len(evs)} time(s) that its overlay file system lacks d_type "
            f"(first at {logs.time_label(evs[0])})",
            nodes=node, evidence=logs.refs(evs), params={"device": "<device of the runtime root>"},
            when=When.PAST,
        )
    if not flagged and not ctx.has(DOCKER_INFO) and not ctx.has(XFS_INFO):
        raise CouldNotCheck("no `docker info` or `xfs_info` of the runtime's file system; logs without a "
                            "d_type warning prove nothing")
