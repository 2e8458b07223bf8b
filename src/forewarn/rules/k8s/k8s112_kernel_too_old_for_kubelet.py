"""K8S112 kernel-too-old-for-kubelet: kubelet cannot find the pids cgroup on a kernel < 4.14."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts import logs
from forewarn.facts.context import Context
from forewarn.facts.host import KERNEL_KEYS, kernel_of
from forewarn.model.findings import Severity, When
from forewarn.rules import Hit, note, rule, step

FIX = (
    step("uname -r"),
    step("grep pids /proc/cgroups"),
    note("Upgrade the kernel to 4.14 or later (seed 004; on CentOS 7 e.g. an elrepo kernel-lt), reboot, "
         "then restart kubelet."),
    step("systemctl restart kubelet", safe=False),
)


@rule(code="K8S112", reads=KERNEL_KEYS, platform="k8s", inputs=logs.LOG_SPECS, fix=FIX, when=When.PAST)
def kernel_too_old_for_kubelet(ctx: Context) -> Iterator[Hit]:
    for node, evs in logs.group_by_node(logs.events(ctx, None, ("kubelet_cgroup_subsystem_missing",))).items():
        evs = [e for e in evs if e.attrs.get("subsystem") == "pids"]
        if not evs:
            continue
        k = kernel_of(ctx, node)
        if k is not None and k[1] >= (4, 14, 0):
            continue
        if k is None:
            yield Hit(
                f"{node}: kubelet cannot find the pids cgroup ({len(evs)} time(s), first at {logs.time_label(evs[0])}); "
                "the kernel version is not known here (collect `uname -r`): below 4.14 this is the known cause",
                nodes=node, evidence=logs.refs(evs, limit=4), severity=Severity.MEDIUM,
            )
            continue
        yield Hit(
            f"{node}: kubelet cannot find the pids cgroup ({len(evs)} time(s), first at {logs.time_label(evs[0])}) "
            f"on kernel {k[0]}, older than 4.14",
            nodes=node, evidence=logs.refs(evs, limit=4) + [k[2]], details={"kernel": k[0]},
        )
