"""K8S105 cluster-dns-outside-service-range: kubelet's clusterDNS is not in the Service CIDR."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

from typing import Any

from forewarn.facts.context import Context, Fact
from forewarn.model.findings import EvidenceRef
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import CouldNotCheck
from forewarn.parse.k8s.apiserver_manifest import APISERVER_MANIFEST
from forewarn.parse.k8s.kubeadm_config import KUBEADM_CONFIG
from forewarn.parse.k8s.kubelet_config import KUBELET_CONFIG
from forewarn.parse.k8s.kubelet_dropin import KUBELET_DROPIN

FIX = (
    note("Give the DNS Service a clusterIP inside the new range first: "
         "`kubectl -n kube-system get svc kube-dns -o yaml` (clusterIP is immutable: recreate the Service "
         "with clusterIP {new})."),
    step("sed -i 's/{old}/{new}/g' /etc/systemd/system/kubelet.service.d/10-kubelet.conf", safe=False),
    step("sed -i 's/{old}/{new}/g' /var/lib/kubelet/config.yaml", safe=False),
    step("systemctl daemon-reload"),
    step("systemctl restart kubelet", safe=False),
    note("Do this on every node; pods get the new nameserver when they are recreated."),
)


def _ranges(ctx: Context) -> tuple[list[ipaddress.IPv4Network | ipaddress.IPv6Network], list[EvidenceRef], str]:
    """The Service range: the API server's own flag wins; kubeadm's ClusterConfiguration is what
    it was made from."""
    apiserver = [(f.value.service_cidrs, "--service-cluster-ip-range", f.ref([f.value.flag_lines.get(
        "service-cluster-ip-range", 0)])) for f in ctx.facts(APISERVER_MANIFEST)]
    kubeadm = [(f.value.service_cidrs, "serviceSubnet", f.ref([f.value.lines.get("serviceSubnet", 0)]))
               for f in ctx.facts(KUBEADM_CONFIG)]
    for sources in (apiserver, kubeadm):
        nets: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        refs: list[EvidenceRef] = []
        where = ""
        for cidrs, name, ref in sources:
            for c in cidrs:
                try:
                    nets.append(ipaddress.ip_network(c, strict=False))
                except ValueError:
                    continue
            if cidrs:
                refs.append(ref)
                where = where or f"{name}={','.join(cidrs)}"
        if nets:
            return nets, refs, where
    return [], [], ""


@rule(code="K8S105", reads=(APISERVER_MANIFEST, KUBEADM_CONFIG), platform="k8s", inputs=(KUBELET_CONFIG, KUBELET_DROPIN), fix=FIX)
def cluster_dns_outside_service_range(ctx: Context) -> Iterator[Hit]:
    nets, range_refs, where = _ranges(ctx)
    if not nets:
        raise CouldNotCheck("no Service range: needs kube-apiserver's manifest "
                            "(k8s.apiserver_manifest) or kubeadm's ClusterConfiguration (k8s.kubeadm_config)")
    suggest = str(nets[0].network_address + 10) if nets[0].num_addresses > 10 else "<an address in the range>"
    found: list[tuple[Fact[Any], str, list[tuple[str, int]]]] = []
    for kc in ctx.facts(KUBELET_CONFIG):
        found.append((kc, "clusterDNS in " + kc.artifact,
                      [(ip, kc.value.lines.get(f"clusterDNS.{i}", 0)) for i, ip in enumerate(kc.value.cluster_dns)]))
    for kd in ctx.facts(KUBELET_DROPIN):
        line = kd.value.flag_lines.get("cluster-dns", 0)
        found.append((kd, "--cluster-dns in " + kd.artifact, [(ip, line) for ip in kd.value.cluster_dns]))
    for f, what, pairs in found:
        for ip_s, line in pairs:
            try:
                ip = ipaddress.ip_address(ip_s)
            except ValueError:
                continue
            if any(ip.version == n.version and ip in n for n in nets):
                continue
            yield Hit(
                f"{f.node}: kubelet {what} is {ip_s}, outside the Service range ({where}): pods get "
                f"a DNS server no Service can answer on",
                nodes=f.node, evidence=[f.ref([line]), *range_refs],
                params={"old": ip_s, "new": suggest},
                details={"dns": ip_s, "service_ranges": [str(n) for n in nets]},
            )
