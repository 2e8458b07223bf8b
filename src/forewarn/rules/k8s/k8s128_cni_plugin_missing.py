"""K8S128 cni-not-initialised: the node's CNI configuration cannot work: a plugin it chains has no
executable in /opt/cni/bin (or the directory is missing), so pod networking never becomes ready."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import PurePosixPath

from forewarn.facts import logs
from forewarn.facts.context import Context, Fact
from forewarn.model.findings import Severity, When
from forewarn.parse.k8s.cni import CNI_BIN, CNI_CONF, CniConf
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import CouldNotCheck, NotApplicable

FIX = (
    step("ls -l /opt/cni/bin"),
    note("Install the standard CNI plugins (containernetworking/plugins: portmap, loopback, host-local, "
         "bridge, ...) into /opt/cni/bin on every node: the kubernetes-cni package, or the cni-plugins tarball "
         "of https://github.com/containernetworking/plugins/releases; the network add-on's own installer only "
         "copies its own binaries."),
    step("systemctl restart kubelet", safe=False),
)


def _active(ctx: Context, node: str) -> list[Fact[CniConf]]:
    # libcni (kubelet, containerd, CRI-O) loads the configurations in file-name order and uses the first
    facts = [f for f in ctx.facts(CNI_CONF) if f.node == node]
    return sorted(facts, key=lambda f: PurePosixPath(f.artifact or "").name)


@rule(code="K8S128", inputs=(CNI_CONF, *logs.LOG_SPECS), reads=(CNI_BIN,),
      # the runtime's error line alone shows containers with CNI; it carries no kubelet program name
      platform="linux", fix=FIX)
def cni_plugin_missing(ctx: Context) -> Iterator[Hit]:
    checked = False
    confs_nodes = sorted({f.node for f in ctx.facts(CNI_CONF)})
    for node in confs_nodes:
        conf = _active(ctx, node)[0]
        bins = ctx.fact(CNI_BIN, node)
        if bins is None:
            continue
        checked = True
        present = bins.value
        wanted = conf.value.plugins
        where = conf.artifact or "the CNI configuration"
        if present.missing_line:
            yield Hit(f"{node}: the CNI bin directory /opt/cni/bin does not exist, but {where} needs the plugins "
                      f"{', '.join(conf.value.binaries)}: no pod on this node gets a network",
                      nodes=node, evidence=[conf.ref([p.line for p in wanted]), bins.ref([present.missing_line])],
                      details={"missing": conf.value.binaries})
            continue
        missing = [p for p in wanted if not present.has(p.type)]
        if not missing:
            continue
        names = list(dict.fromkeys(p.type for p in missing))
        have = ", ".join(e.name for e in present.entries) or "nothing"
        yield Hit(
            f"{node}: {where} chains the CNI plugin(s) {', '.join(names)}, but /opt/cni/bin has no such "
            f"executable (it holds {have}): the runtime cannot set up pod networks, the node stays NotReady "
            "and pods stay in ContainerCreating",
            nodes=node, evidence=[conf.ref([p.line for p in missing]), bins.ref([e.line for e in present.entries])],
            details={"missing": names, "present": [e.name for e in present.entries]},
        )
    # the runtime's own words, where no listing was collected
    for node, evs in _by_node(logs.events(ctx, None, ("cni_plugin_not_found",))).items():
        if node in confs_nodes and ctx.fact(CNI_BIN, node) is not None:
            continue
        checked = True
        names = list(dict.fromkeys(e.attrs.get("plugin", "?") for e in evs))
        path = evs[-1].attrs.get("path", "/opt/cni/bin")
        yield Hit(f"{node}: the container runtime could not find the CNI plugin(s) {', '.join(names)} in {path} "
                  f"({len(evs)} time(s)): pod network setup fails", nodes=node, evidence=logs.refs(evs, limit=3),
                  when=When.PAST, details={"missing": names})
    # kubelet's own status line: no usable CNI configuration at all (normal for a minute during installs)
    hit_nodes = {n for n in confs_nodes if ctx.fact(CNI_BIN, n) is not None}
    for node, evs in _by_node(logs.events(ctx, None, ("cni_not_ready",))).items():
        checked = True
        if node in hit_nodes:
            continue
        yield Hit(f"{node}: kubelet reported the pod network not ready {len(evs)} time(s) "
                  f"(`{evs[-1].attrs.get('detail', '')}`): no CNI configuration could be loaded, so the node stays "
                  "NotReady and pods stay in ContainerCreating. A minute of this while the network add-on starts is "
                  "normal; lasting, the add-on is not deployed or its configuration never reached /etc/cni/net.d",
                  nodes=node, evidence=logs.refs(evs, limit=3), when=When.PAST, severity=Severity.MEDIUM,
                  fix=[step("ls -l /etc/cni/net.d /opt/cni/bin"),
                       step("kubectl get pods -A -o wide | grep -i -e calico -e flannel -e cilium -e weave", on=None),
                       note("Deploy the network add-on (or repair its DaemonSet on this node) so it writes its "
                            "configuration into /etc/cni/net.d; with containerd < 1.7, restart containerd if the "
                            "configuration appeared after it started (containerd/containerd#8419).")],
                  details={"detail": evs[-1].attrs.get("detail", "")})
    if not checked and not confs_nodes:
        raise NotApplicable("no CNI configuration and no CNI error here")
    if not checked:
        raise CouldNotCheck("needs `ls -l /opt/cni/bin` next to the CNI configuration")


def _by_node(evs: list[logs.NodeEvent]) -> dict[str, list[logs.NodeEvent]]:
    out: dict[str, list[logs.NodeEvent]] = {}
    for e in evs:
        out.setdefault(e.node, []).append(e)
    return out
