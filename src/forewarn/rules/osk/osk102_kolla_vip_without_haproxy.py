"""OSK102 kolla-vip-without-haproxy: the internal VIP is not the controller's address while nothing
(haproxy + keepalived) serves a VIP."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts.context import Context
from forewarn.model.findings import EvidenceRef
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import CouldNotCheck, NotApplicable
from forewarn.facts.openstack import controller_hosts, endpoints, first_refs, globals_fact
from forewarn.parse.host.hosts import HOSTS
from forewarn.parse.host.ip_addr import IP_ADDR
from forewarn.parse.osk.chrony_conf import CHRONY_CONF
from forewarn.parse.osk.kolla_globals import KOLLA_GLOBALS
from forewarn.parse.osk.oslo_conf import NEUTRON_CONF, NOVA_CONF, PLACEMENT_CONF, SERVICE_CONF

FIX = (
    note("Without haproxy/keepalived there is no VIP: in /etc/kolla/globals.yml set "
         "`kolla_internal_vip_address: \"{controller}\"` (the controller's {interface} address) and keep "
         "`enable_haproxy: \"no\"` (and `enable_keepalived: \"no\"`); or turn haproxy/keepalived on so the "
         "VIP {vip} is really held."),
    step("kolla-ansible -i multinode reconfigure", on=None),
    step("grep -rn '{vip}' /etc/kolla", on=None),
)


@rule(code="OSK102", reads=(HOSTS, IP_ADDR, CHRONY_CONF, NEUTRON_CONF, NOVA_CONF, PLACEMENT_CONF, SERVICE_CONF), inputs=(KOLLA_GLOBALS,), fix=FIX)
def kolla_vip_without_haproxy(ctx: Context) -> Iterator[Hit]:
    gf = globals_fact(ctx)
    if gf is None:
        raise CouldNotCheck("no globals.yml")
    g = gf.value
    vip = g.literal("kolla_internal_vip_address")
    if not g.is_set("kolla_internal_vip_address"):
        raise NotApplicable("kolla_internal_vip_address is not set in globals.yml")
    if vip is None:
        raise CouldNotCheck("kolla_internal_vip_address is a template; its value is not known here")
    haproxy, keepalived = g.flag("enable_haproxy"), g.flag("enable_keepalived")
    if haproxy is None or keepalived is None:
        raise CouldNotCheck("enable_haproxy / enable_keepalived is a template; cannot tell if a VIP is served")
    if haproxy and keepalived:
        return
    iface = g.literal("api_interface") or g.literal("network_interface") or "eth0"
    glines = [g.line(k) or 0 for k in ("kolla_internal_vip_address", "network_interface",
                                       "enable_haproxy", "enable_keepalived")]

    # where the controller really is
    nic_addrs: dict[str, str] = {}  # address -> "node iface"
    all_addrs: dict[str, str] = {}
    ip_evidence: list[EvidenceRef] = []
    for f in ctx.facts(IP_ADDR):
        for i in f.value.interfaces:
            for addr in i.addrs:
                if addr.family != "inet":
                    continue
                all_addrs[addr.address] = f"{f.node} {i.name}"
                if i.name == iface:
                    nic_addrs[addr.address] = f"{f.node} {i.name}"
        ip_evidence.append(f.ref())
    ctl = controller_hosts(endpoints(ctx))
    hosts_block: dict[str, str] = {}
    hosts_any: set[str] = set()
    hosts_evidence: list[EvidenceRef] = []
    for hf in ctx.facts(HOSTS):
        hosts_any.update(e.ip for e in hf.value.entries)
        block = [e for e in hf.value.entries if hf.value.in_block(e)]
        for e in block:
            hosts_block[e.ip] = f"{' '.join(e.names)} (/etc/hosts line {e.line})"
        if block:
            hosts_evidence.append(hf.ref([e.line for e in block]))

    if haproxy and not keepalived:
        # haproxy without Kolla's keepalived: something else must hold the VIP; only `ip addr` tells
        if not all_addrs:
            raise CouldNotCheck("enable_keepalived is \"no\": whether something else holds the VIP needs "
                                "`ip -j addr` of the haproxy hosts")
        if vip in all_addrs:
            return
        yield Hit(f"{gf.node}: enable_keepalived is \"no\" and no node given holds kolla_internal_vip_address "
                  f"{vip} (addresses seen: {', '.join(sorted(all_addrs)[:8])})",
                  nodes=gf.node, evidence=[gf.ref(glines)] + ip_evidence[:3],
                  params={"vip": vip, "controller": next(iter(nic_addrs), "<controller address>"),
                          "interface": iface})
        return
    # haproxy off: the VIP must be the controller's own address
    if vip in all_addrs or vip in ctl or vip in hosts_any:
        return  # the all-in-one recipe: the VIP is the controller's own (named) address
    candidates: list[tuple[str, str]] = []
    candidates += [(a, f"{w}, the network_interface") for a, w in nic_addrs.items()]
    candidates += [(h, "where the configs reach " + ", ".join(sorted({e.service for e in eps})))
                   for h, eps in ctl.items()]
    candidates += [(a, w) for a, w in hosts_block.items()]
    if not candidates and not all_addrs:
        raise CouldNotCheck("haproxy is off but no controller address is known: give `ip -j addr` of the "
                            "controller, its /etc/hosts, or a compute's nova.conf")
    seen: dict[str, str] = {}
    for a, w in candidates:
        seen.setdefault(a, w)
    listed = "; ".join(f"{a} ({w})" for a, w in list(seen.items())[:4]) or \
        "addresses " + ", ".join(sorted(all_addrs)[:6])
    controller = next(iter(seen), "<controller address>")
    msg = (f"{gf.node}: kolla_internal_vip_address {vip} (globals.yml line {g.line('kolla_internal_vip_address')}) "
           f"is not the controller's address while enable_haproxy is \"no\": nothing holds {vip}, yet every "
           f"service config will reach keystone, placement and the database there; the controller is at {listed}")
    evidence = [gf.ref(glines)] + ip_evidence[:3] + first_refs(
        [e for eps in ctl.values() for e in eps], 3) + hosts_evidence[:2]
    yield Hit(msg, nodes=gf.node, evidence=evidence,
              params={"vip": vip, "controller": controller, "interface": iface},
              details={"vip": vip, "controller_addresses": list(seen), "haproxy": haproxy,
                       "keepalived": keepalived})
