"""K8S114 docker-setns-exit-40: runc's `running exec setns process for init caused "exit status 40"`."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts import logs
from forewarn.facts.context import Context
from forewarn.model.findings import When
from forewarn.rules import Hit, note, rule, step

FIX = (
    step("grep -E 'Normal|DMA32' /proc/buddyinfo"),
    step("sync"),
    step("echo 1 > /proc/sys/vm/drop_caches"),
    note("Dropping the page cache is safe but costs I/O while it refills. If it comes back often, give the "
         "node more memory headroom or a newer kernel and Docker/runc."),
)


@rule(code="K8S114", platform="k8s", inputs=logs.LOG_SPECS, fix=FIX, when=When.PAST)
def docker_setns_exit_40(ctx: Context) -> Iterator[Hit]:
    for node, evs in logs.group_by_node(logs.events(ctx, None, ("runc_setns_exit",))).items():
        evs = [e for e in evs if e.attrs.get("status") == "40"]
        if not evs:
            continue
        yield Hit(
            f"{node}: runc could not start a container ({len(evs)} time(s)): running exec setns process "
            "for init caused \"exit status 40\" (memory fragmentation)",
            nodes=node, evidence=logs.refs(evs, limit=4),
        )
