"""K8S104 calico-tunl0-left-after-bgp: Calico pools no longer use IPIP but tunl0 is still there."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts.context import Context
from forewarn.facts.host import LINK_KEYS, link_named
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import CouldNotCheck, NotApplicable
from forewarn.parse.k8s.calico_ippool import CALICO_IPPOOL

FIX = (
    step("ip -d link show tunl0"),
    step("ip addr flush dev tunl0", safe=False),
    step("ip link set tunl0 down", safe=False),
    note("The fallback tunl0 device cannot be deleted while the ipip module is loaded; unload it where "
         "nothing else uses IPIP (`modprobe -r ipip`), or reboot the node."),
    step("kubectl -n kube-system delete pod -l k8s-app=calico-node --field-selector spec.nodeName={node}",
         safe=False, on=None),
)


@rule(code="K8S104", reads=LINK_KEYS, platform="k8s", inputs=(), requires=(CALICO_IPPOOL,), fix=FIX)
def calico_tunl0_left_after_bgp(ctx: Context) -> Iterator[Hit]:
    pools = [f for f in ctx.facts(CALICO_IPPOOL)]
    modes = [f.value.bgp_only for f in pools]
    if any(m is False for m in modes):
        raise NotApplicable("a Calico pool still uses IPIP or VXLAN: tunl0 is expected")
    if not any(m is True for m in modes):
        raise CouldNotCheck("the Calico pools do not state their IPIP mode")
    pool_fact = pools[0]
    lines = [p.line for p in pool_fact.value.pools]
    checked = 0
    for node in ctx.nodes:
        found = link_named(ctx, node, "tunl0")
        if found is None:
            continue
        checked += 1
        present, flags, ref = found
        if not present:
            continue
        up = "UP" in flags
        cidrs = ", ".join(p.cidr for p in pool_fact.value.pools if p.cidr) or "the pools"
        yield Hit(
            f"{node}: Calico pools ({cidrs}) use BGP without IPIP, but tunl0 still exists"
            + (" and is UP" if up else "") + " — remove it so the old tunnel routes do not conflict",
            nodes=node, evidence=[pool_fact.ref(lines)] + ([ref] if ref is not None else []),
            details={"tunl0_flags": list(flags)},
        )
    if not checked:
        raise CouldNotCheck("no `ip -j addr` / `ip -j -d link` of any node to look for tunl0")
