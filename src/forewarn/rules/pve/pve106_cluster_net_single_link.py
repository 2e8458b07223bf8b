"""PVE106 cluster-net-single-link: the corosync network has one link, maybe shared with other traffic."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

from forewarn.facts.cluster_votes import CONF_KEYS, cluster_conf
from forewarn.facts.context import Context
from forewarn.model.findings import EvidenceRef, Severity, When
from forewarn.parse.host.ip_addr import IP_ADDR
from forewarn.parse.pve.corosync_conf import CorosyncConf
from forewarn.parse.pve.section_config import STORAGE_CFG
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import NotApplicable

# storage types whose `server` (or `portal`) property is a host the node talks to over the network
NETWORK_STORAGE = ("nfs", "cifs", "pbs", "glusterfs", "iscsi", "iscsidirect")

FIX = (
    step("corosync-cfgtool -s"),
    note("Give corosync a second, independent link (another NIC, ideally another switch) and, better "
         "still, a network of its own: corosync needs low latency, and storage or guest traffic on "
         "its only link ({subnet}) can cost the cluster quorum."),
    step("cp /etc/pve/corosync.conf /root/corosync.conf.bak"),
    note("Edit a copy of /etc/pve/corosync.conf: add `ring1_addr: <address on the new network>` to "
         "every node entry, an `interface { linknumber: 1 }` block in `totem`, and raise "
         "`config_version` by one; then move the copy over /etc/pve/corosync.conf in one step "
         "(`mv`), which pmxcfs distributes and corosync reloads (Proxmox admin guide, 'Adding "
         "Redundant Links To An Existing Cluster')."),
    step("corosync-cfgtool -s"),
)


def _addr_lines(conf: CorosyncConf) -> dict[str, int]:
    """node name -> line of its ring0_addr (for evidence)."""
    out: dict[str, int] = {}
    nodelist = conf.tree.child("nodelist")
    for nb in nodelist.all("node") if nodelist else []:
        line = nb.line_of("ring0_addr") or nb.line_of("ring1_addr") or nb.line
        out[nb.get("name") or str(nb.line)] = line
    return out


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None


@rule(code="PVE106", reads=(IP_ADDR, STORAGE_CFG), inputs=CONF_KEYS, fix=FIX, when=When.CONFIG)
def cluster_net_single_link(ctx: Context) -> Iterator[Hit]:
    cf = cluster_conf(ctx)
    if cf is None:
        raise NotApplicable("corosync.conf has no nodelist")
    conf: CorosyncConf = cf.value
    if len(conf.nodes) < 2:
        raise NotApplicable("single-node cluster: no cluster network to protect")
    lines = _addr_lines(conf)
    links = conf.link_numbers
    if len(links) >= 2:
        for n in conf.nodes:
            missing = [k for k in links if k not in n.addrs]
            if missing and n.addrs:
                yield Hit(f"{n.name}: has no address on corosync link {', '.join(map(str, missing))} "
                          f"(only {', '.join(f'ring{k}_addr' for k in sorted(n.addrs))}): it has a single link "
                          f"(low: the other nodes keep their redundancy)",
                          nodes=n.name or (), evidence=[cf.ref([lines.get(n.name or '', n.line)])],
                          params={"subnet": "its only link"}, severity=Severity.LOW)
        return

    link = links[0] if links else 0
    addrs = {n.name or str(n.nodeid): n.addrs.get(link, "") for n in conf.nodes}
    ips = {name: _ip(a) for name, a in addrs.items()}
    # the subnet: from the prefix length `ip -j addr` shows for that address, else assume /24
    net = None
    assumed = False
    ip_evidence: list[EvidenceRef] = []
    shared: list[str] = []
    for node, f in ctx.by_node(IP_ADDR).items():
        for name, ip in ips.items():
            if ip is None:
                continue
            iface = f.value.with_address(str(ip))
            if iface is None:
                continue
            for a in iface.addrs:
                if a.address == str(ip) and a.network is not None and net is None:
                    net = a.network
            if f.value.is_bridge(iface.name):
                ports = f.value.ports_of(iface.name)
                shared.append(f"on {node} it sits on bridge {iface.name}"
                              + (f" (ports {', '.join(ports)})" if ports else "")
                              + ", which also carries guest traffic")
                ip_evidence.append(EvidenceRef(spec=f.spec, node=node, artifact=f.artifact,
                                               excerpt=(f"{iface.name}: {ip}",)))
            break
    first = next((ip for ip in ips.values() if ip is not None), None)
    if net is None and first is not None:
        net = ipaddress.ip_network(f"{first}/{24 if first.version == 4 else 64}", strict=False)
        assumed = True
    subnet = f"{net}{' (assumed /24)' if assumed and net is not None and net.version == 4 else ''}" if net else \
        "host names: " + ", ".join(sorted(a for a in addrs.values() if a))

    storages: list[str] = []
    storage_evidence: list[EvidenceRef] = []
    if net is not None:
        for sf in ctx.facts(STORAGE_CFG):
            hits_lines = []
            for sec in sf.value.by_type(*NETWORK_STORAGE):
                host = sec.get("server") or (sec.get("portal") or "").split(":")[0]
                ip = _ip(host) if host else None
                if ip is not None and ip in net:
                    storages.append(f"{sec.type} storage '{sec.id}' (server {host})")
                    hits_lines.append(sec.line)
                    hits_lines.append(sec.prop_lines.get("server") or sec.prop_lines.get("portal") or sec.line)
            if hits_lines:
                storage_evidence.append(sf.ref(hits_lines))
            break  # storage.cfg is cluster-wide: one copy is enough

    nodes_txt = ", ".join(f"{name} {a}" for name, a in addrs.items())
    msg = (f"the cluster network has a single corosync link (link {link}, {subnet}) for "
           f"{len(conf.nodes)} nodes: {nodes_txt}; one NIC, cable or switch failure there costs quorum")
    if storages:
        msg += f"; the same subnet carries storage traffic: {', '.join(sorted(set(storages)))}"
    if shared:
        msg += "; " + "; ".join(shared)
    # One dedicated link is a redundancy gap many healthy clusters live with (low); other traffic
    # on that one link is what delays corosync's tokens until quorum is lost (medium).
    if not ctx.by_node(IP_ADDR):
        msg += "; no `ip addr` output to tell whether guest traffic shares that address"
    if storages or shared:
        msg += " (medium: other traffic on the only link can delay corosync until quorum is lost)"
    else:
        msg += " (low: no other traffic seen on that link; add a second link for redundancy)"
    yield Hit(msg, nodes=sorted(n.name for n in conf.nodes if n.name),
              evidence=[cf.ref(list(lines.values()))] + ip_evidence + storage_evidence,
              params={"subnet": str(net) if net else "the cluster network"},
              severity=Severity.MEDIUM if storages or shared else Severity.LOW,
              details={"link": link, "subnet": str(net) if net else None, "subnet_assumed": assumed,
                       "storages": storages, "bridge": bool(shared)})
