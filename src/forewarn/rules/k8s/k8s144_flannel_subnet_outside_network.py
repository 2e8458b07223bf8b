"""K8S144 flannel-subnet-outside-network: the node's flannel lease is not inside flannel's network
(kubeadm's pod CIDR and flannel's net-conf `Network` differ)."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts.context import Context
from forewarn.parse.k8s.flannel_subnet_env import FLANNEL_SUBNET_ENV
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import CouldNotCheck

FIX = (
    step("kubectl get nodes -o custom-columns=NAME:.metadata.name,PODCIDR:.spec.podCIDR", on=None),
    step("kubectl -n kube-flannel get configmap kube-flannel-cfg -o jsonpath='{.data.net-conf\\.json}'", on=None),
    note("Make the two agree: set net-conf.json `Network` in the kube-flannel ConfigMap to the cluster's pod "
         "CIDR ({subnet_net} lies in it, the `--pod-network-cidr` / `podSubnet` of kubeadm), then restart the "
         "flannel pods; or rebuild the cluster with `--pod-network-cidr={network}`."),
    step("kubectl -n kube-flannel rollout restart daemonset kube-flannel-ds", safe=False, on=None),
)


@rule(code="K8S144", inputs=(FLANNEL_SUBNET_ENV,), fix=FIX)
def flannel_subnet_outside_network(ctx: Context) -> Iterator[Hit]:
    facts = ctx.by_node(FLANNEL_SUBNET_ENV)
    checked = 0
    for node, f in sorted(facts.items()):
        env = f.value
        net, sub = env.network, env.subnet
        if net is None or sub is None:
            continue
        checked += 1
        lines = [env.lines.get("FLANNEL_NETWORK", 0), env.lines.get("FLANNEL_SUBNET", 0)]
        if sub.version != net.version or not sub.network.subnet_of(net):  # type: ignore[arg-type]
            yield Hit(
                f"{node}: flannel's subnet FLANNEL_SUBNET={sub} is not inside its network FLANNEL_NETWORK={net} "
                "(/run/flannel/subnet.env): the node's pod CIDR, given by the cluster (kubeadm "
                "--pod-network-cidr), differs from flannel's net-conf Network, so flanneld fails and pods on "
                "other nodes are unreachable",
                nodes=node, evidence=[f.ref(lines)],
                params={"subnet_net": str(sub.network), "network": str(net)},
                details={"subnet": str(sub), "network": str(net)},
            )
    if not checked:
        raise CouldNotCheck("subnet.env has no readable FLANNEL_NETWORK and FLANNEL_SUBNET")
