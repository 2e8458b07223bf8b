"""K8S117 kube-proxy-fails-after-1-17-upgrade: 1.17 kubelets against a 1.16 control plane."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts import logs
from forewarn.facts.context import Context
from forewarn.model.findings import Severity
from forewarn.rules import Hit, note, rule, step
from forewarn.parse.k8s.kubelet_config import KUBELET_CONFIG
from forewarn.parse.k8s.nodes import K8S_NODES

FIX = (
    note("Add to the kubelet configuration (/var/lib/kubelet/config.yaml) of the 1.17 nodes:\n"
         "featureGates:\n  CSIMigration: false"),
    step("systemctl restart kubelet", safe=False),
    note("Then finish the upgrade in the right order: control plane first (`kubeadm upgrade apply`), "
         "kubelets after; remove the feature gate once the API servers run 1.17."),
)


def _csimigration_off(ctx: Context, node: str) -> bool:
    f = ctx.fact(KUBELET_CONFIG, node)
    return f is not None and f.value.feature_gates.get("CSIMigration") is False


@rule(code="K8S117", reads=(KUBELET_CONFIG,), platform="k8s", inputs=(K8S_NODES,) + logs.LOG_SPECS, fix=FIX)
def kube_proxy_fails_after_1_17_upgrade(ctx: Context) -> Iterator[Hit]:
    skewed: dict[str, str] = {}
    old_cp: list[str] = []
    nodes_fact = None
    for f in ctx.facts(K8S_NODES):
        nodes_fact = f
        nodes = f.value.nodes
        cps = [n for n in nodes if n.control_plane] or nodes
        if any(n.minor == (1, 16) for n in cps):
            old_cp = [f"{n.name} {n.version}" for n in cps if n.minor == (1, 16)]
            for n in nodes:
                if n.minor is not None and n.minor >= (1, 17):
                    skewed[n.name] = n.version
    csi = [e for e in logs.events(ctx, None, ("kubelet_csinode_init_failed",)) if "forbidden" not in e.attrs.get("err", "")]
    reported: set[str] = set()
    for node, evs in logs.group_by_node(csi).items():
        if _csimigration_off(ctx, node):
            continue
        reported.add(node)
        versions = ""
        if skewed:
            versions = f"; kubelets {', '.join(f'{k} {v}' for k, v in skewed.items())} against control plane {', '.join(old_cp)}"
        yield Hit(
            f"{node}: kubelet cannot initialise CSINode ({len(evs)} time(s), first at {logs.time_label(evs[0])}): "
            f"the API server lacks the 1.17 CSINode API{versions}",
            nodes=node, evidence=logs.refs(evs, limit=4)
            + ([nodes_fact.ref([n.line for n in nodes_fact.value.nodes])] if nodes_fact and skewed else []),
            details={"skewed": skewed},
        )
    if skewed and not reported and nodes_fact is not None:
        pending = [k for k in skewed if not _csimigration_off(ctx, k)]
        if pending:
            yield Hit(
                f"kubelets {', '.join(f'{k} {skewed[k]}' for k in pending)} run 1.17 against control plane "
                f"{', '.join(old_cp)}: without `CSIMigration: false` they cannot initialise CSINode",
                nodes=pending, evidence=[nodes_fact.ref([n.line for n in nodes_fact.value.nodes])],
                severity=Severity.MEDIUM, details={"skewed": skewed},
            )
