"""`/var/lib/kubelet/config.yaml`: the kubelet's KubeletConfiguration.

    apiVersion: kubelet.config.k8s.io/v1beta1
    kind: KubeletConfiguration
    clusterDNS:
    - 10.96.0.10
    featureGates:
      CSIMigration: false

Also found inside a multi-document kubeadm configuration, or in the `kubelet-config` ConfigMap
(its `kubelet` key). A fragment without `kind` (a paste of a few keys) is read too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from forewarn.model.keys import Key
from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser
from forewarn.parse.k8s._yaml import find_kind

_KEYS = ("clusterDNS", "clusterDomain", "featureGates", "cgroupDriver", "staticPodPath", "resolvConf",
         "containerRuntimeEndpoint", "address", "failSwapOn")


@dataclass(slots=True)
class KubeletConfig:
    cluster_dns: list[str] = field(default_factory=list)
    cluster_domain: str | None = None
    feature_gates: dict[str, bool] = field(default_factory=dict)
    cgroup_driver: str | None = None
    static_pod_path: str | None = None
    resolv_conf: str | None = None
    runtime_endpoint: str | None = None
    fail_swap_on: bool | None = None  # None: not set (kubelet's default is true)
    kind: str | None = None
    lines: dict[str, int] = field(default_factory=dict)  # top-level key (or "clusterDNS.0", "featureGates.X") -> line


KUBELET_CONFIG = Key("k8s.kubelet_config", KubeletConfig)


@parser("k8s.kubelet_config")
def parse_kubelet_config(text: str) -> Parsed[KubeletConfig]:
    """Parse a KubeletConfiguration.

    >>> r = parse_kubelet_config("kind: KubeletConfiguration\\nclusterDNS:\\n- 10.96.0.10\\n"
    ...                          "featureGates:\\n  CSIMigration: false\\n")
    >>> c = r.value
    >>> (c.cluster_dns, c.feature_gates, c.lines["clusterDNS.0"], c.lines["featureGates.CSIMigration"])
    (['10.96.0.10'], {'CSIMigration': False}, 3, 5)
    """
    doc, every, problems = find_kind(text, ("KubeletConfiguration",), ("kubelet",))
    if doc is None:  # a fragment: the first mapping that has kubelet keys
        doc = next((d for d in every if isinstance(d.data, dict) and d.kind is None
                    and any(k in d.data for k in _KEYS)), None)
    if doc is None or not isinstance(doc.data, dict):
        return Parsed(None, [ParseProblem("no KubeletConfiguration found"), *problems])
    out = KubeletConfig(kind=doc.kind)
    d = doc.data
    dns = d.get("clusterDNS")
    if isinstance(dns, str):
        dns = [dns]
    if isinstance(dns, list):
        for i, v in enumerate(dns):
            if isinstance(v, (str, int)) and str(v).strip():
                out.cluster_dns.append(str(v).strip())
                out.lines[f"clusterDNS.{i}"] = doc.line("clusterDNS", str(i)) or 0
    elif dns is not None:
        problems.append(ParseProblem("clusterDNS is not a list", doc.line("clusterDNS")))
    gates = d.get("featureGates")
    if isinstance(gates, dict):
        for k, v in gates.items():
            if isinstance(v, bool):
                out.feature_gates[str(k)] = v
                out.lines[f"featureGates.{k}"] = doc.line("featureGates", str(k)) or 0
            else:
                problems.append(ParseProblem(f"feature gate {k} is not true/false", doc.line("featureGates", str(k))))
    for key, attr in (("clusterDomain", "cluster_domain"), ("cgroupDriver", "cgroup_driver"),
                      ("staticPodPath", "static_pod_path"), ("resolvConf", "resolv_conf"),
                      ("containerRuntimeEndpoint", "runtime_endpoint")):
        v = d.get(key)
        if isinstance(v, (str, int, float)) and not isinstance(v, bool):
            setattr(out, attr, str(v))
    if isinstance(d.get("failSwapOn"), bool):
        out.fail_swap_on = d["failSwapOn"]
    for key in d:
        line = doc.line(str(key))
        if line:
            out.lines.setdefault(str(key), line)
    return Parsed(out, problems)
