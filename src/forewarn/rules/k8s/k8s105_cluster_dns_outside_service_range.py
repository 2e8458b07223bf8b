"""K8S105 cluster-dns-outside-service-range: kubelet's clusterDNS is not in the Service CIDR."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

from forewarn.facts.context import Context
from forewarn.model.findings import EvidenceRef
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import CouldNotCheck

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
    nets: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
    refs: list[EvidenceRef] = []
    where = ""
    for spec, line_key in (("k8s.apiserver_manifest", "service-cluster-ip-range"), ("k8s.kubeadm_config", "serviceSubnet")):
        for f in ctx.facts(spec):
            cidrs = f.value.service_cidrs
            for c in cidrs:
                try:
                    nets.append(ipaddress.ip_network(c, strict=False))
                except ValueError:
                    continue
            if cidrs:
                line = (f.value.flag_lines if spec == "k8s.apiserver_manifest" else f.value.lines).get(line_key, 0)
                refs.append(f.ref([line]))
                where = where or f"{'--service-cluster-ip-range' if spec == 'k8s.apiserver_manifest' else 'serviceSubnet'}={','.join(cidrs)}"
        if nets:
            break
    return nets, refs, where


@rule(code="K8S105", reads=("k8s.apiserver_manifest", "k8s.kubeadm_config"), platform="k8s", inputs=("k8s.kubelet_config", "k8s.kubelet_dropin"), fix=FIX)
def cluster_dns_outside_service_range(ctx: Context) -> Iterator[Hit]:
    nets, range_refs, where = _ranges(ctx)
    if not nets:
        raise CouldNotCheck("no Service range: needs kube-apiserver's manifest "
                            "(k8s.apiserver_manifest) or kubeadm's ClusterConfiguration (k8s.kubeadm_config)")
    suggest = str(nets[0].network_address + 10) if nets[0].num_addresses > 10 else "<an address in the range>"
    for spec in ("k8s.kubelet_config", "k8s.kubelet_dropin"):
        for f in ctx.facts(spec):
            if spec == "k8s.kubelet_config":
                pairs = [(ip, f.value.lines.get(f"clusterDNS.{i}", 0)) for i, ip in enumerate(f.value.cluster_dns)]
                what = "clusterDNS in " + f.artifact
            else:
                line = f.value.flag_lines.get("cluster-dns", 0)
                pairs = [(ip, line) for ip in f.value.cluster_dns]
                what = "--cluster-dns in " + f.artifact
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
