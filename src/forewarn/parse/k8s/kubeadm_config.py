"""kubeadm's ClusterConfiguration: `kubectl -n kube-system get configmap kubeadm-config -o yaml`,
or the kubeadm config file given to `kubeadm init --config`.

    kind: ClusterConfiguration
    kubernetesVersion: v1.13.0
    networking:
      serviceSubnet: 10.196.0.0/12

`networking.serviceSubnet` is what kubeadm writes into kube-apiserver's
`--service-cluster-ip-range`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from forewarn.model.keys import Key
from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser
from forewarn.parse.k8s._yaml import find_kind


@dataclass(slots=True)
class ClusterConfig:
    service_subnet: str | None = None
    pod_subnet: str | None = None
    dns_domain: str | None = None
    kubernetes_version: str | None = None
    lines: dict[str, int] = field(default_factory=dict)

    @property
    def service_cidrs(self) -> list[str]:
        return [x.strip() for x in (self.service_subnet or "").split(",") if x.strip()]


KUBEADM_CONFIG = Key("k8s.kubeadm_config", ClusterConfig)


@parser("k8s.kubeadm_config")
def parse_kubeadm_config(text: str) -> Parsed[ClusterConfig]:
    """Parse a kubeadm ClusterConfiguration.

    >>> r = parse_kubeadm_config("kind: ClusterConfiguration\\nkubernetesVersion: v1.13.0\\n"
    ...                          "networking:\\n  serviceSubnet: 10.196.0.0/12\\n")
    >>> (r.value.service_cidrs, r.value.lines["serviceSubnet"], r.value.kubernetes_version)
    (['10.196.0.0/12'], 4, 'v1.13.0')
    """
    doc, _every, problems = find_kind(text, ("ClusterConfiguration",), ("ClusterConfiguration",))
    if doc is None or not isinstance(doc.data, dict):
        return Parsed(None, [ParseProblem("no kubeadm ClusterConfiguration found"), *problems])
    out = ClusterConfig()
    net = doc.get("networking")
    if isinstance(net, dict):
        for key, attr in (("serviceSubnet", "service_subnet"), ("podSubnet", "pod_subnet"),
                          ("dnsDomain", "dns_domain")):
            v = net.get(key)
            if isinstance(v, str):
                setattr(out, attr, v.strip())
                out.lines[key] = doc.line("networking", key) or 0
    v = doc.get("kubernetesVersion")
    if isinstance(v, str):
        out.kubernetes_version = v
        out.lines["kubernetesVersion"] = doc.line("kubernetesVersion") or 0
    return Parsed(out, problems)
