"""kube-proxy's configuration: a KubeProxyConfiguration, or the `kube-proxy` ConfigMap that
carries it in `data.config.conf` (what `kubectl -n kube-system get cm kube-proxy -o yaml` shows).

    apiVersion: kubeproxy.config.k8s.io/v1alpha1
    kind: KubeProxyConfiguration
    mode: "ipvs"
    nodePortAddresses: ["192.168.101.0/24"]

`nodePortAddresses: null` (or absent) means every local address serves NodePorts; a list of
CIDRs limits them to the addresses inside; `primary` means the node's primary IPs. A paste of
just a few keys of `config.conf` (no `kind`) is read too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from forewarn.model.keys import Key
from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser
from forewarn.parse.k8s._yaml import find_kind

_KEYS = ("nodePortAddresses", "mode", "clusterCIDR", "bindAddress")


@dataclass(slots=True)
class KubeProxyConfig:
    mode: str | None = None  # "" means the default (iptables on Linux)
    node_port_addresses: list[str] | None = None  # None: all local addresses
    cluster_cidr: str | None = None
    feature_gates: dict[str, bool] = field(default_factory=dict)
    kind: str | None = None
    lines: dict[str, int] = field(default_factory=dict)


KUBE_PROXY_CONFIG = Key("k8s.kube_proxy_config", KubeProxyConfig)


@parser("k8s.kube_proxy_config")
def parse_kube_proxy_config(text: str) -> Parsed[KubeProxyConfig]:
    """Parse kube-proxy's configuration.

    >>> r = parse_kube_proxy_config('apiVersion: v1\\ndata:\\n  config.conf: |-\\n'
    ...     '    kind: KubeProxyConfiguration\\n    nodePortAddresses: ["192.168.101.53/24"]\\n')
    >>> (r.value.node_port_addresses, r.value.lines["nodePortAddresses"], r.problems)
    (['192.168.101.53/24'], 5, [])
    """
    doc, every, problems = find_kind(text, ("KubeProxyConfiguration",), ("config.conf",))
    if doc is None:
        doc = next((d for d in every if isinstance(d.data, dict) and d.kind is None
                    and any(k in d.data for k in _KEYS)), None)
    if doc is None or not isinstance(doc.data, dict):
        return Parsed(None, [ParseProblem("no KubeProxyConfiguration found"), *problems])
    d = doc.data
    out = KubeProxyConfig(kind=doc.kind)
    mode = d.get("mode")
    out.mode = str(mode) if isinstance(mode, str) else None
    npa = d.get("nodePortAddresses")
    if isinstance(npa, str):
        npa = [x.strip() for x in npa.split(",")]
    if isinstance(npa, list):
        out.node_port_addresses = [str(x).strip() for x in npa if str(x).strip()] or None
    elif npa is not None:
        problems.append(ParseProblem("nodePortAddresses is not a list", doc.line("nodePortAddresses")))
    cidr = d.get("clusterCIDR")
    out.cluster_cidr = str(cidr) if isinstance(cidr, str) else None
    gates = d.get("featureGates")
    if isinstance(gates, dict):
        out.feature_gates = {str(k): v for k, v in gates.items() if isinstance(v, bool)}
    for key in d:
        line = doc.line(str(key))
        if line:
            out.lines.setdefault(str(key), line)
    return Parsed(out, problems)
