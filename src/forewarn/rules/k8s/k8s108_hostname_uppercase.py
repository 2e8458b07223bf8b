"""K8S108 hostname-uppercase: a Kubernetes node whose host name has upper-case letters."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts import logs
from forewarn.facts.context import Context
from forewarn.rules import Hit, note, rule, step
from forewarn.parse.host.hostname import HOSTNAME

FIX = (
    step("hostnamectl set-hostname {lower}", safe=False),
    note("Then regenerate what was made from the old name: on a master re-run the kubeadm phase that "
         "writes kubelet.conf (`kubeadm init phase kubeconfig kubelet`), on a worker re-join it; or keep "
         "the name and pass kubelet `--hostname-override={lower}` everywhere the name is used."),
    step("systemctl restart kubelet", safe=False),
)

_KUBELET_KINDS = ("kubelet_node_registered", "kubelet_register_failed", "kubelet_no_podsandbox",
                  "kubelet_cgroup_subsystem_missing", "kubelet_csinode_init_failed")


@rule(code="K8S108", platform="k8s", inputs=(HOSTNAME,) + logs.LOG_SPECS, fix=FIX)
def hostname_uppercase(ctx: Context) -> Iterator[Hit]:
    done: set[str] = set()
    for f in ctx.facts(HOSTNAME):
        h = f.value
        if not h.has_upper:
            continue
        done.add(f.node)
        reg = [e for e in logs.events(ctx, f.node, ("kubelet_node_registered", "kubelet_register_failed"))]
        extra = f"; kubelet registered it as {reg[0].attrs.get('node')}" if reg and reg[0].kind == "kubelet_node_registered" else ""
        yield Hit(
            f"{f.node}: host name {h.name} has upper-case letters{extra}",
            nodes=f.node, evidence=[f.ref([h.line])] + logs.refs(reg, limit=3),
            params={"lower": h.name.lower()}, details={"hostname": h.name},
        )
    seen_hosts: dict[tuple[str, str], list[logs.NodeEvent]] = {}
    for e in logs.events(ctx, None, _KUBELET_KINDS):
        host = e.ev.host
        if e.node in done or not host or host == host.lower():
            continue
        seen_hosts.setdefault((e.node, host), []).append(e)
    for (node, host), evs in seen_hosts.items():
        reg = [e for e in evs if e.kind == "kubelet_node_registered"]
        failed = [e for e in evs if e.kind == "kubelet_register_failed"]
        detail = ""
        if reg:
            detail = f"; kubelet registered the node as {reg[0].attrs.get('node')}, which no longer matches the host name"
        elif failed:
            detail = f"; registration failed: {failed[0].attrs.get('err', '')[:120]}"
        shown = (reg + failed) or evs
        yield Hit(
            f"{node}: kubelet runs on host {host}, whose name has upper-case letters{detail}",
            nodes=node, evidence=logs.refs(shown, limit=3), params={"lower": host.lower()},
            details={"hostname": host},
        )
