"""PVE123 docker-lxc-cgroup-v2: old Docker in a container fails with `Devices cgroup isn't
mounted` on a host that boots the unified cgroup hierarchy (cgroup v2)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from forewarn.facts import logs
from forewarn.facts.context import Context, Fact
from forewarn.model.findings import When
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import StepTemplate
from forewarn.parse.host.cmdline import CMDLINE, KernelCmdline
from forewarn.parse.pve.pveversion import PVEVERSION

# Default kernel series of each release, to guess the major version from `-pve` kernels.
_KERNEL_SERIES = ((r"^5\.4\.", 6), (r"^5\.(11|13|15)\.", 7), (r"^6\.(2|5|8)\.", 8), (r"^6\.(14|17)\.", 9))


def pve_major(ctx: Context, node: str) -> tuple[int | None, str]:
    """PVE major version of a node: from its `pveversion` (else another node's: a cluster runs one
    release), else guessed from the running `-pve` kernel."""
    pv = ctx.fact(PVEVERSION, node) or next(iter(ctx.facts(PVEVERSION)), None)
    if pv is not None and pv.value.major is not None:
        return pv.value.major, "pveversion"
    cf = ctx.fact(CMDLINE, node)
    kv = cf.value.kernel_version if cf else None
    if kv and kv.endswith("-pve"):
        for pattern, major in _KERNEL_SERIES:
            if re.match(pattern, kv):
                return major, f"kernel {kv}"
    return None, ""


def _cmdline_for(ctx: Context, node: str) -> Fact[KernelCmdline] | None:
    f = ctx.fact(CMDLINE, node)
    if f is not None:
        return f
    all_ = ctx.facts(CMDLINE)
    return all_[0] if len(all_) == 1 else None


@rule(code="PVE123", reads=(CMDLINE, PVEVERSION), inputs=logs.LOG_SPECS)
def docker_cgroup2(ctx: Context) -> Iterator[Hit]:
    evs = logs.events(ctx, None, ("cgroup_devices_missing",))
    by_node: dict[str, list[logs.NodeEvent]] = {}
    for e in evs:
        by_node.setdefault(e.node, []).append(e)
    for node, group in by_node.items():
        cf = _cmdline_for(ctx, node)
        unified = cf.value.unified_cgroup if cf else None
        if cf is not None and unified is False:
            continue  # legacy hierarchy booted: not the cgroup v2 problem
        major, how = pve_major(ctx, cf.node if cf else node)
        if major is not None and major < 7 and unified is None:
            continue  # PVE 6 boots the hybrid (v1) hierarchy by default: not this problem
        if cf is None:
            host = "if the host boots the unified cgroup hierarchy (no /proc/cmdline in the evidence)"
        else:
            host = (f"{cf.node} boots the unified cgroup hierarchy (cgroup v2: "
                    "no `systemd.unified_cgroup_hierarchy=0` in /proc/cmdline)")
        ver = f", PVE {major} ({how})" if major else ""
        evidence = logs.refs(group) + ([cf.ref([cf.value.line])] if cf else [])
        fix: list[StepTemplate] = [
            note("Preferred, no host reboot: inside the container run Docker >= 20.10 (cgroup v2 aware), "
                 "e.g. from Docker's own repository, or move to a newer container distribution."),
        ]
        host_node = cf.node if cf else node
        if major is None or major <= 8:
            fix += [
                note(f"Or, PVE <= 8 only{'' if major else ' (check `pveversion`)'}: boot {host_node} with the "
                     "legacy hierarchy: in /etc/default/grub append `systemd.unified_cgroup_hierarchy=0` to "
                     "GRUB_CMDLINE_LINUX_DEFAULT (hosts booting with systemd-boot: to /etc/kernel/cmdline, then "
                     "`proxmox-boot-tool refresh` instead of update-grub)."),
                step("update-grub", on=host_node),
                step("reboot", safe=False, on=host_node),
                note("The reboot stops every guest of the node, and cgroup v1 is deprecated: prefer the "
                     "Docker upgrade."),
            ]
        else:
            fix.append(note(f"PVE {major} no longer boots the legacy cgroup hierarchy: "
                            "`systemd.unified_cgroup_hierarchy=0` does not help there."))
        yield Hit(
            f"{node}: Docker in a container failed with `Devices cgroup isn't mounted` ({len(group)} line(s), "
            f"first at {logs.time_label(group[0])}); {host}{ver}: Docker < 20.10 needs cgroup v1",
            nodes=node, evidence=evidence, fix=fix, when=When.PAST,
            details={"unified": unified, "pve_major": major, "count": len(group)},
        )
