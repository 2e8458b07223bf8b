"""NET107 hosts-duplicate-name: one host name mapped to different addresses in /etc/hosts."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

from forewarn.facts.context import Context, Fact
from forewarn.parse.host.hosts import HostsDuplicate, HostsFile
from forewarn.parse.host.ip_addr import IpAddr
from forewarn.model.findings import EvidenceRef
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import StepTemplate
from forewarn.parse.host.hosts import HOSTS
from forewarn.parse.host.ip_addr import IP_ADDR

MARKER = "ANSIBLE GENERATED HOSTS"


def _where(ip: str, addr: IpAddr | None) -> str:
    """Which NIC of this node the address is on, or which NICs reach its subnet."""
    if addr is None:
        return ""
    iface = addr.with_address(ip)
    if iface is not None:
        return f"this node's {iface.name}"
    try:
        target = ipaddress.ip_address(ip.split("%", 1)[0])
    except ValueError:
        return ""
    via = []
    for i in addr.interfaces:
        if i.name == "lo":
            continue
        for a in i.addrs:
            net = a.network
            if net is not None and net.prefixlen < net.max_prefixlen and target in net and i.name not in via:
                via.append(i.name)
    if len(via) == 1:
        return f"reached via {via[0]}"
    if via:
        return f"reached via {' or '.join(via)} (one subnet on {len(via)} NICs, see NET108)"
    return "on no subnet of this node"


def _describe(d: HostsDuplicate, hosts: HostsFile, addr: IpAddr | None) -> str:
    parts = []
    seen: set[str] = set()
    for k, e in enumerate(d.entries):
        if e.ip in seen:
            continue
        seen.add(e.ip)
        lines = [x.line for x in d.entries if x.ip == e.ip]
        where = [f"line{'s' if len(lines) > 1 else ''} {', '.join(map(str, lines[:4]))}{'…' if len(lines) > 4 else ''}"]
        if k == 0:
            where.append("used: the first line wins")
        if hosts.in_block(e, MARKER):
            where.append("Ansible-generated")
        loc = _where(e.ip, addr)
        if loc:
            where.append(loc)
        parts.append(f"{e.ip} ({'; '.join(where)})")
    return f"{d.name} → " + " and ".join(parts)


@rule(
    code="NET107", reads=(IP_ADDR,),
    inputs=(HOSTS,),
    fix=(
            note("Keep one line per host name: the address of the network the cluster should use. For Kolla/"
                 "OpenStack that is the one Ansible writes from `network_interface` (between the `# BEGIN/END "
                 "ANSIBLE GENERATED HOSTS` markers); delete lines written by hand before the install."),
            step("getent ahosts {name}"),
        ),
)
def hosts_duplicate_name(ctx: Context) -> Iterator[Hit]:
    for node, f in sorted(ctx.by_node(HOSTS).items()):
        hosts: HostsFile = f.value
        dups = hosts.duplicates()
        if not dups:
            continue
        a = ctx.fact(IP_ADDR, node)
        addr: IpAddr | None = a.value if a is not None else None
        shown = "; ".join(_describe(d, hosts, addr) for d in dups[:3])
        more = f"; … {len(dups) - 3} more name(s)" if len(dups) > 3 else ""
        lines = sorted({e.line for d in dups for e in d.entries})
        evidence = [f.ref(lines)]
        if a is not None:
            evidence.append(_addr_ref(a, [e.ip for d in dups for e in d.entries]))
        block = hosts.blocks.get(MARKER)
        fix = list(ctx_fix(hosts, dups, block is not None))
        yield Hit(
            f"{node}: /etc/hosts gives {len(dups)} name(s) more than one address: {shown}{more}",
            nodes=node, evidence=evidence, fix=fix,
            params={"name": dups[0].name},
            details={"names": {d.name: list(d.ips) for d in dups},
                     "winning": {d.name: d.entries[0].ip for d in dups}},
        )


def ctx_fix(hosts: HostsFile, dups: list[HostsDuplicate], has_block: bool) -> Iterator[StepTemplate]:
    """Fix steps with the real line numbers: drop the hand-written lines when Ansible wrote a block."""
    if has_block:
        stale = sorted({e.line for d in dups for e in d.entries if not hosts.in_block(e, MARKER)
                        and any(hosts.in_block(x, MARKER) for x in d.entries)})
        if stale:
            script = ";".join(f"{n}d" for n in stale)
            yield note("Ansible generated these names too: keep its block and delete the hand-written "
                       f"line(s) {', '.join(map(str, stale))} that shadow it (a backup is kept as /etc/hosts.bak).")
            yield step(f"sed -i.bak '{script}' /etc/hosts", safe=False)
    else:
        yield note("Decide which network each name must resolve to (the cluster or migration network) and "
                   "delete the other line(s) for that name.")
    names = " ".join(d.name for d in dups[:5])
    yield step(f"getent ahosts {names}")
    yield note("Restart what resolved the old address: for OpenStack `docker restart nova_compute nova_libvirt` "
               "(Kolla) on compute nodes; on Proxmox `systemctl restart pve-cluster corosync` only after checking "
               "/etc/corosync/corosync.conf uses the intended addresses.")


def _addr_ref(a: Fact[IpAddr], ips: list[str]) -> EvidenceRef:
    addr: IpAddr = a.value
    names = []
    for ip in ips:
        i = addr.with_address(ip)
        if i is not None and i.name not in names:
            names.append(i.name)
    excerpt = [f"{i.name}: " + ", ".join(f"{x.address}/{x.prefixlen}" for x in i.addrs if x.family == "inet")
               for i in addr.interfaces if i.name != "lo" and any(x.family == "inet" for x in i.addrs)]
    return a.ref((), excerpt=excerpt)
