"""K8S109 istio-init-pruned: istio-init fails with `iptables-restore: line 2 failed`."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts import logs
from forewarn.facts.context import Context
from forewarn.model.findings import When
from forewarn.rules import Hit, note, rule, step

FIX = (
    note("Find the prune job (crontab -l, /etc/cron.*, systemd timers) that runs `docker system prune` "
         "or `docker container prune` and make it keep istio-init containers:"),
    step('docker system prune -af --volumes --filter "label!=io.kubernetes.container.name=istio-init"', safe=False),
    note("Delete the affected pods so they start with fresh network namespaces: `kubectl delete pod <pod> -n <ns>`."),
    note("Skip Istio 1.6.6, where pods hit by this do not recover (seed 004)."),
)


@rule(code="K8S109", platform="k8s", inputs=logs.LOG_SPECS, fix=FIX, when=When.PAST)
def istio_init_pruned(ctx: Context) -> Iterator[Hit]:
    for node, evs in logs.group_by_node(logs.events(ctx, None, ("istio_iptables_restore_failed",))).items():
        lines = sorted({e.attrs.get("line", "?") for e in evs})
        yield Hit(
            f"{node}: istio-init failed {len(evs)} time(s): `iptables-restore: line {', '.join(lines)} failed` "
            f"(its ISTIO_* chains already existed: the exited istio-init container was pruned and re-run)",
            nodes=node, evidence=logs.refs(evs), details={"count": len(evs)},
        )
