"""K8S120 cgroup-driver-mismatch: kubelet's cgroup driver (KubeletConfiguration `cgroupDriver`,
`--cgroup-driver`) differs from the container runtime's (containerd `SystemdCgroup`, Docker
`Cgroup Driver`), or kubelet said so itself at start."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts import logs
from forewarn.facts.context import Context
from forewarn.model.findings import EvidenceRef, When
from forewarn.model.keys import Key
from forewarn.parse.k8s.containerd_config import ContainerdConfig
from forewarn.parse.k8s.docker_info import DockerInfo
from forewarn.parse.k8s.kubelet_config import KubeletConfig
from forewarn.parse.k8s.kubelet_dropin import KubeletDropin
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import CouldNotCheck, NotApplicable

KUBELET_CONFIG = Key("k8s.kubelet_config", KubeletConfig)
KUBELET_DROPIN = Key("k8s.kubelet_dropin", KubeletDropin)
CONTAINERD_CONFIG = Key("k8s.containerd_config", ContainerdConfig)
DOCKER_INFO = Key("k8s.docker_info", DockerInfo)

FIX = (
    note("Use the same driver on both sides; systemd is the one kubeadm (since 1.22) and the Kubernetes "
         "documentation recommend when systemd is the init system: `SystemdCgroup = true` under "
         "[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc.options] in /etc/containerd/config.toml, "
         "or `\"exec-opts\": [\"native.cgroupdriver=systemd\"]` in /etc/docker/daemon.json; and `cgroupDriver: "
         "systemd` in /var/lib/kubelet/config.yaml. Drain the node first: running pods are recreated."),
    step("systemctl restart containerd kubelet", safe=False),
)


def _kubelet_driver(ctx: Context, node: str) -> tuple[str, str, list[EvidenceRef]] | None:
    """(driver, where it comes from, evidence) of kubelet on `node`."""
    for d in ctx.facts(KUBELET_DROPIN):
        if d.node == node and d.value.flags.get("cgroup-driver"):
            return (str(d.value.flags["cgroup-driver"]), "the kubelet flag --cgroup-driver",
                    [d.ref([d.value.flag_lines.get("cgroup-driver", 0)])])
    kc = ctx.fact(KUBELET_CONFIG, node)
    if kc is None or kc.value.kind not in (None, "KubeletConfiguration"):
        return None
    if kc.value.cgroup_driver:
        return kc.value.cgroup_driver, "kubelet's cgroupDriver", [kc.ref([kc.value.lines.get("cgroupDriver", 0)])]
    return "cgroupfs", "kubelet's default (no cgroupDriver in its configuration)", [kc.ref()]


def _runtime_driver(ctx: Context, node: str) -> tuple[str, str, list[EvidenceRef]] | None:
    di = ctx.fact(DOCKER_INFO, node)
    if di is not None and di.value.cgroup_driver:
        return di.value.cgroup_driver, "Docker", [di.ref([di.value.lines.get("cgroup_driver", 0)])]
    cc = ctx.fact(CONTAINERD_CONFIG, node)
    if cc is not None and (cc.value.version is not None or cc.value.systemd_cgroup is not None):
        if cc.value.systemd_cgroup:
            return "systemd", "containerd (SystemdCgroup = true)", [cc.ref([cc.value.lines.get("SystemdCgroup", 0)])]
        said = "SystemdCgroup = false" if cc.value.systemd_cgroup is False else "SystemdCgroup not set"
        return "cgroupfs", f"containerd's runc ({said})", [cc.ref([cc.value.lines.get("SystemdCgroup", 0)])]
    return None


@rule(code="K8S120", inputs=(KUBELET_CONFIG, KUBELET_DROPIN, *logs.LOG_SPECS),
      # kubelet's own line may come from a wrapper (localkube, k3s) that names no kubelet program
      reads=(CONTAINERD_CONFIG, DOCKER_INFO), platform="linux", fix=FIX)
def cgroup_driver_mismatch(ctx: Context) -> Iterator[Hit]:
    compared = False
    reported: set[str] = set()
    nodes = sorted({f.node for f in ctx.facts(KUBELET_CONFIG)} | {f.node for f in ctx.facts(KUBELET_DROPIN)})
    for node in nodes:
        kube, run = _kubelet_driver(ctx, node), _runtime_driver(ctx, node)
        if kube is None or run is None:
            continue
        compared = True
        if kube[0] == run[0]:
            continue
        reported.add(node)
        yield Hit(f"{node}: kubelet uses the {kube[0]} cgroup driver ({kube[1]}) but {run[1]} uses {run[0]}: "
                  "kubelet and the runtime manage pod cgroups differently, so kubelet refuses to start (Docker) or "
                  "pods and sandboxes fail and restart (containerd)", nodes=node, evidence=kube[2] + run[2],
                  details={"kubelet": kube[0], "runtime": run[0]})
    for e in logs.events(ctx, None, ("kubelet_cgroup_driver_mismatch",)):
        compared = True
        if e.node in reported:
            continue
        reported.add(e.node)
        yield Hit(f"{e.node}: kubelet refused to start: its cgroup driver ({e.attrs.get('kubelet')}) differs from "
                  f"Docker's ({e.attrs.get('docker')})", nodes=e.node, evidence=logs.refs([e]), when=When.PAST,
                  details={"kubelet": e.attrs.get("kubelet"), "runtime": e.attrs.get("docker")})
    if not compared and not nodes:
        raise NotApplicable("no kubelet configuration and no cgroup-driver error here")
    if not compared:
        raise CouldNotCheck("needs kubelet's configuration and `docker info` or /etc/containerd/config.toml")
