"""K8S110 istio-gateway-no-endpoints: IPVS reports `no destination available` for a service."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts import logs
from forewarn.facts.context import Context
from forewarn.model.findings import When
from forewarn.rules import Hit, note, rule, step

FIX = (
    step("kubectl get svc -A -o wide | grep {port}", on=None),
    step("kubectl -n istio-system get endpoints", on=None),
    step("kubectl rollout restart deployment/<gateway> -n istio-system", on=None),
    note("Or scale it up: `kubectl scale deployment/<gateway> -n istio-system --replicas=3`. Manage the "
         "gateways in an IstioOperator resource and change them with `istioctl upgrade -f <file>`: "
         "re-running `istioctl manifest install` overwrites gateways configured by hand."),
)


@rule(code="K8S110", platform="k8s", inputs=logs.LOG_SPECS, fix=FIX, when=When.PAST)
def istio_gateway_no_endpoints(ctx: Context) -> Iterator[Hit]:
    for node, evs in logs.group_by_node(logs.events(ctx, None, ("ipvs_no_destination",))).items():
        groups: dict[str, list[logs.NodeEvent]] = {}
        for e in evs:
            groups.setdefault(f"{e.attrs.get('proto')} {e.attrs.get('vip')}:{e.attrs.get('port')}", []).append(e)
        for target, group in groups.items():
            port = group[0].attrs.get("port", "")
            yield Hit(
                f"{node}: IPVS had no destination for {target} ({len(group)} time(s), first at "
                f"{logs.time_label(group[0])}): the Service on port {port} has no ready endpoints",
                nodes=node, evidence=logs.refs(group), params={"port": port},
                details={"target": target, "count": len(group)},
            )
