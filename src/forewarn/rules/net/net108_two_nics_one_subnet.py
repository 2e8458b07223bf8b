"""NET108 two-nics-one-subnet: two interfaces with addresses in one subnet."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

from forewarn.facts.context import Context
from forewarn.parse.host.ip_addr import IfAddr, Interface, IpAddr
from forewarn.rules import Hit, note, rule, step
from forewarn.parse.host.ip_addr import IP_ADDR

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _counted(a: IfAddr) -> Network | None:
    """The subnet of an address worth comparing: not loopback, not link-local, not a host route."""
    net = a.network
    if net is None or net.prefixlen >= net.max_prefixlen:
        return None
    ip = net.network_address
    if ip.is_loopback or ip.is_link_local or ip.is_multicast:
        return None
    return net


def shared_subnets(addr: IpAddr) -> list[tuple[Network, list[tuple[Interface, list[IfAddr]]]]]:
    """Subnets that addresses on two or more different interfaces belong to (exactly the same
    network and prefix). Secondary addresses of one interface count once; lo never counts."""
    by_net: dict[Network, dict[str, tuple[Interface, list[IfAddr]]]] = {}
    for iface in addr.interfaces:
        if iface.name == "lo" or "LOOPBACK" in iface.flags:
            continue
        for a in iface.addrs:
            net = _counted(a)
            if net is None:
                continue
            slot = by_net.setdefault(net, {})
            slot.setdefault(iface.name, (iface, []))[1].append(a)
    return [(net, list(ifs.values())) for net, ifs in by_net.items() if len(ifs) > 1]


@rule(
    code="NET108",
    inputs=(IP_ADDR,),
    fix=(
            note("Give each NIC its own subnet, or keep the address on one of them only (then also in "
                 "/etc/network/interfaces, netplan or NetworkManager, or it comes back at boot)."),
            step("ip addr del {drop_cidr} dev {drop_iface}", safe=False),
            note("Pin the traffic that must use one NIC to its address: OpenStack `live_migration_inbound_addr = "
                 "{keep_ip}` in nova.conf [libvirt]; Proxmox `migration: secure,network={subnet}` in "
                 "/etc/pve/datacenter.cfg only after the subnet is on one NIC; corosync `ringX_addr`."),
            step("ip -br addr"),
            step("ip route get {probe}"),
        ),
)
def two_nics_one_subnet(ctx: Context) -> Iterator[Hit]:
    for node, f in sorted(ctx.by_node(IP_ADDR).items()):
        addr: IpAddr = f.value
        for net, members in shared_subnets(addr):
            desc = " and ".join(
                f"{i.name} ({', '.join(a.address for a in addrs)}"
                + (f", {i.operstate}" if i.operstate and i.operstate not in ("UP", "UNKNOWN") else "") + ")"
                for i, addrs in members)
            keep_iface, keep_addrs = members[0]
            drop_iface, drop_addrs = members[-1]
            probe = next((h for h in net.hosts() if str(h) not in
                          {a.address for _, addrs in members for a in addrs}), net.network_address)
            excerpt = [f"{i.name}: " + ", ".join(f"{a.address}/{a.prefixlen}" for a in i.addrs
                                                  if a.family in ("inet", "inet6") and not ipaddress.ip_address(
                                                      a.address.split('%')[0]).is_link_local)
                       for i, _ in members]
            yield Hit(
                f"{node}: {desc} are {'both' if len(members) == 2 else 'all'} in {net}: traffic to {net} may leave by "
                f"{' or '.join(i.name for i, _ in members)}",
                nodes=node, evidence=[f.ref((), excerpt=excerpt)],
                params={"subnet": str(net), "keep_ip": keep_addrs[0].address,
                        "drop_cidr": f"{drop_addrs[0].address}/{drop_addrs[0].prefixlen}",
                        "drop_iface": drop_iface.name, "probe": str(probe)},
                details={"subnet": str(net), "interfaces": {i.name: [a.address for a in addrs]
                                                            for i, addrs in members}},
            )
