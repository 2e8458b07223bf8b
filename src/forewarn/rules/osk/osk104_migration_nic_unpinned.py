"""OSK104 migration-nic-unpinned: live-migration traffic takes whatever NIC a host name resolves to."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

from forewarn.facts.context import Context, Fact
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import CouldNotCheck
from forewarn.facts.openstack import compute_conf, globals_fact
from forewarn.parse.host.hosts import HOSTS, HostsFile
from forewarn.parse.host.ip_addr import IP_ADDR, IpAddr
from forewarn.parse.osk.kolla_globals import KOLLA_GLOBALS
from forewarn.parse.osk.oslo_conf import NOVA_CONF, OsloConf

FIX = (
    note("Pin the migration network: `[libvirt] live_migration_inbound_addr = <this compute's address "
         "on the migration network>` (Kolla: /etc/kolla/config/nova/{node}/nova.conf, then "
         "`kolla-ansible -i multinode reconfigure --tags nova`)."),
    note("{hosts_fix}"),
    step("getent hosts {name}"),
)


def _same_subnet_nics(ipf: Fact[IpAddr]) -> list[tuple[str, list[tuple[str, str]]]]:
    """[(network, [(iface, address)...])] for IPv4 networks that more than one interface is on."""
    nets: dict[str, list[tuple[str, str]]] = {}
    for i in ipf.value.interfaces:
        if i.name == "lo":
            continue
        for a in i.addrs:
            if a.family != "inet" or a.prefixlen is None or a.prefixlen >= 32:
                continue
            try:
                net = ipaddress.ip_interface(f"{a.address}/{a.prefixlen}").network
            except ValueError:
                continue
            if net.is_loopback or net.is_link_local:
                continue
            nets.setdefault(str(net), []).append((i.name, a.address))
    return [(n, m) for n, m in nets.items() if len({iface for iface, _ in m}) > 1]


def _duplicate_names(node: str, unset: str, hosts: Fact[HostsFile], conf: Fact[OsloConf] | None,
                     computes: set[str]) -> Iterator[Hit]:
    for dup in hosts.value.duplicates():
        first, rest = dup.entries[0], [e for e in dup.entries[1:] if e.ip != dup.entries[0].ip]
        gen = [e for e in rest if hosts.value.in_block(e)]
        why = " (the later one is Kolla's Ansible-generated entry)" if gen else ""
        yield Hit(f"{node}: {unset}, and /etc/hosts gives {dup.name} two addresses: {first.ip} (line "
                  f"{first.line}, the one the resolver uses) and "
                  + ", ".join(f"{e.ip} (line {e.line})" for e in rest) + why
                  + f": migrations to {dup.name} go to {first.ip}, not necessarily over the migration network",
                  nodes=node, evidence=[hosts.ref([e.line for e in dup.entries])]
                  + ([conf.ref([])] if conf is not None else []),
                  params={"name": dup.name,
                          "hosts_fix": f"Delete /etc/hosts line {first.line} ({first.ip} {dup.name}) on {node} "
                                       f"so {dup.name} resolves to {rest[0].ip}" if rest else ""},
                  details={"name": dup.name, "addresses": list(dup.ips), "node_is_compute": node in computes})


def _shared_subnets(node: str, unset: str, ipf: Fact[IpAddr], conf: Fact[OsloConf] | None,
                    iface: str | None) -> Iterator[Hit]:
    for net, members in _same_subnet_nics(ipf):
        listed = ", ".join(f"{i} {a}" for i, a in members)
        pinned = f"; network_interface is {iface}" if iface else ""
        yield Hit(f"{node}: {unset}, and {len({i for i, _ in members})} interfaces are in {net} ({listed}): "
                  f"traffic to that subnet, migrations included, may leave by any of them{pinned}",
                  nodes=node, evidence=[ipf.ref()] + ([conf.ref([])] if conf is not None else []),
                  params={"name": node, "hosts_fix": f"Keep one interface per subnet on {node} (NET108)."},
                  details={"network": net, "interfaces": [i for i, _ in members]})


@rule(
    code="OSK104",
    inputs=(NOVA_CONF, KOLLA_GLOBALS, HOSTS, IP_ADDR),
    fix=FIX,
)
def migration_nic_unpinned(ctx: Context) -> Iterator[Hit]:
    computes = {n for n in ctx.nodes if compute_conf(ctx, n) is not None}
    gf = globals_fact(ctx)
    iface = gf.value.literal("network_interface") if gf is not None else None
    checked = False
    for node in ctx.nodes:
        conf = compute_conf(ctx, node)
        hosts = ctx.fact(HOSTS, node)
        ipf = ctx.fact(IP_ADDR, node)
        if conf is None and hosts is None and ipf is None:
            continue
        inbound = conf.value.entry("libvirt", "live_migration_inbound_addr") if conf is not None else None
        if conf is not None and inbound is not None and inbound.value.strip():
            checked = True
            addr = inbound.value.strip()
            if ipf is not None and ipf.value.with_address(addr) is None and not addr.startswith("{"):
                have = sorted({a.address for i in ipf.value.interfaces for a in i.addrs if a.family == "inet"})
                yield Hit(f"{node}: live_migration_inbound_addr = {addr} (nova.conf line {inbound.line}) is not an "
                          f"address of this node ({', '.join(have)}): incoming migrations cannot land there",
                          nodes=node, evidence=[conf.ref([inbound.line]), ipf.ref()],
                          params={"name": node, "hosts_fix": "Use one of this node's addresses."})
            continue
        if hosts is None and ipf is None:
            continue
        checked = True
        unknown = "" if conf is not None else " (no nova.conf of this node was given, so it may be set there)"
        unset = "live_migration_inbound_addr is not set" + unknown
        if hosts is not None:
            yield from _duplicate_names(node, unset, hosts, conf, computes)
        if ipf is not None:
            yield from _shared_subnets(node, unset, ipf, conf, iface)
    if not checked:
        raise CouldNotCheck("needs /etc/hosts or `ip -j addr` of the computes, or their nova.conf with "
                            "live_migration_inbound_addr")
