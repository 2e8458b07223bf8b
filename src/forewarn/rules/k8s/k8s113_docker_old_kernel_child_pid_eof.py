"""K8S113 docker-old-kernel-child-pid-eof: runc's `getting the final child's pid from pipe caused
"EOF"` on a 3.10 kernel."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts import logs
from forewarn.facts.context import Context
from forewarn.facts.host import KERNEL_KEYS, kernel_of
from forewarn.model.findings import Severity, When
from forewarn.rules import Hit, note, rule, step

FIX = (
    step("uname -r"),
    note("Upgrade the kernel (seed 004 did; CentOS 7's 3.10 kernels are affected, moby issue 40835) and "
         "reboot. A reboot alone clears it for a while."),
)


@rule(code="K8S113", reads=KERNEL_KEYS, platform="k8s", inputs=logs.LOG_SPECS, fix=FIX, when=When.PAST)
def docker_old_kernel_child_pid_eof(ctx: Context) -> Iterator[Hit]:
    for node, evs in logs.group_by_node(logs.events(ctx, None, ("runc_child_pid_eof",))).items():
        k = kernel_of(ctx, node)
        base = f"{node}: runc could not start a container ({len(evs)} time(s)): getting the final child's pid from pipe caused EOF"
        if k is not None and k[1] < (4, 0, 0):
            yield Hit(f"{base}, on kernel {k[0]}", nodes=node, evidence=logs.refs(evs, limit=4) + [k[2]],
                      details={"kernel": k[0]})
        elif k is not None:
            yield Hit(f"{base}; the kernel is {k[0]}, not the 3.10 of the known cause: check memory and "
                      "the runc version", nodes=node, evidence=logs.refs(evs, limit=4) + [k[2]],
                      severity=Severity.MEDIUM, details={"kernel": k[0]})
        else:
            yield Hit(f"{base}; the kernel is not known here (collect `uname -r`): a 3.10 kernel is the known cause",
                      nodes=node, evidence=logs.refs(evs, limit=4), severity=Severity.MEDIUM)
