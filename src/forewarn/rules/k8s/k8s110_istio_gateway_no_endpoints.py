"""K8S110 istio-gateway-no-endpoints: IPVS reports `no destination available` for a service."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts import logs
from forewarn.facts.context import Context
from forewarn.model.findings import When
from forewarn.rules import Hit, note, rule, step
from forewarn.rules.k8s._common import LOG_INPUTS, by_node, events

FIX = (
    step("kubectl get svc -A -o wide | grep {port}", on=None),
    step("kubectl -n istio-system get endpoints", on=None),
    step("kubectl rollout restart deployment/<gateway> -n istio-system", on=None),
    note("Or scale it up: `kubectl scale deployment/<gateway> -n istio-system --replicas=3`. Manage the "
         "gateways in an IstioOperator resource and change them with `istioctl upgrade -f <file>`: "
         "re-running `istioctl manifest install` overwrites gateways configured by hand."),
)


@rule(
    code="K8S110", platform="k8s", name="istio-gateway-no-endpoints",
    title="Istio ingress gateway without endpoints: IPVS no destination available", severity="medium",
    inputs=LOG_INPUTS, seed="seeds/004_3ae197d3b21d8357.txt:289", fix=FIX, when=When.PAST,
)
def istio_gateway_no_endpoints(ctx: Context) -> Iterator[Hit]:
    """What it does: finds the kernel's `IPVS: rr: TCP <ip>:<port> - no destination available`
    lines (kube-proxy in IPVS mode) and reports each virtual service that had no real server, with
    how often.

    Why it matters: traffic to that NodePort or ClusterIP is dropped because the Service has no
    ready endpoint. In seed 004 it was an Istio ingress gateway (NodePort 44693 → https) whose
    deployment had lost its pods after `istioctl` re-installed the gateways.

    How to fix: find the Service by its port, check its endpoints, restart or scale the gateway
    deployment (`kubectl rollout restart deployment/<gw> -n istio-system`); keep gateways in an
    IstioOperator and use `istioctl upgrade`.
    """
    for node, evs in by_node(events(ctx, ("ipvs_no_destination",))).items():
        groups: dict[str, list[logs.NodeEvent]] = {}
        for e in evs:
            groups.setdefault(f"{e.attrs.get('proto')} {e.attrs.get('vip')}:{e.attrs.get('port')}", []).append(e)
        for target, group in groups.items():
            port = group[0].attrs.get("port", "")
            yield Hit(
                f"{node}: IPVS had no destination for {target} ({len(group)} time(s), first at "
                f"{logs.when(group[0])}): the Service on port {port} has no ready endpoints",
                nodes=node, evidence=logs.refs(group), params={"port": port},
                details={"target": target, "count": len(group)},
            )
