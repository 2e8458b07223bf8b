"""K8S102 nodeport-addresses-exclude-node: kube-proxy's nodePortAddresses leave out a node."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

from forewarn.facts.context import Context
from forewarn.facts.host import global_addresses
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import CouldNotCheck, NotApplicable
from forewarn.parse.host.ip_addr import IP_ADDR
from forewarn.parse.k8s.kube_proxy_config import KUBE_PROXY_CONFIG

FIX = (
    step("kubectl -n kube-system get configmap kube-proxy -o yaml | grep -A3 nodePortAddresses"),
    note("Edit the kube-proxy ConfigMap (`kubectl -n kube-system edit configmap kube-proxy`) so that "
         "`nodePortAddresses` includes the nodes' networks, e.g. [\"{suggest}\"], or set it to null "
         "(all addresses); with an installer, change its setting (Crane: kube_proxy_node_port_addresses)."),
    step("kubectl -n kube-system rollout restart daemonset kube-proxy", on=None),
)


@rule(
    code="K8S102",
    platform="k8s",
    inputs=(IP_ADDR,),
    requires=(KUBE_PROXY_CONFIG,),
    fix=FIX,
)
def nodeport_addresses_exclude_node(ctx: Context) -> Iterator[Hit]:
    configs = ctx.facts(KUBE_PROXY_CONFIG)
    lists = [c for c in configs if c.value.node_port_addresses]
    if not lists:
        raise NotApplicable("nodePortAddresses is not set: NodePorts are served on every address")
    checked = 0
    for node in ctx.nodes:
        addrs, af = global_addresses(ctx, node)
        if af is None:
            continue
        cfg = ctx.fact(KUBE_PROXY_CONFIG, node) or lists[0]
        ranges = cfg.value.node_port_addresses or []
        if any(r.lower() == "primary" for r in ranges):
            continue
        nets: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for r in ranges:
            try:
                nets.append(ipaddress.ip_network(r, strict=False))
            except ValueError:
                continue
        if not nets:
            continue
        checked += 1
        if not addrs:
            continue
        covered = [a for _, a in addrs if any(a.version == n.version and a in n for n in nets)]
        if covered:
            continue
        shown = ", ".join(f"{a} ({i})" for i, a in addrs[:6])
        first4 = next((ipaddress.ip_interface(f"{a.address}/{a.prefixlen}").network for i in af.value.interfaces
                       for a in i.addrs if str(a.address) == str(addrs[0][1])), None)
        yield Hit(
            f"{node}: kube-proxy nodePortAddresses {ranges} covers none of the node's addresses "
            f"({shown}): NodePort Services are unreachable on this node",
            nodes=node,
            evidence=[cfg.ref([cfg.value.lines.get("nodePortAddresses", 0)]), af.ref()],
            params={"suggest": str(first4) if first4 else f"{addrs[0][1]}/32"},
            details={"nodePortAddresses": ranges, "addresses": [str(a) for _, a in addrs]},
        )
    if not checked:
        raise CouldNotCheck("no node's addresses (`ip -j addr`) to compare nodePortAddresses with")
