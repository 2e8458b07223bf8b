"""PVE149 node-name-no-local-ip: the node name resolves to loopback or to an address the node lacks."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts import logs
from forewarn.facts.context import Context
from forewarn.facts.node_address import configured_addresses, is_loopback, own_names_on_loopback
from forewarn.model.findings import Severity, When
from forewarn.parse.host.hostname import HOSTNAME
from forewarn.parse.host.hosts import HOSTS
from forewarn.parse.host.interfaces import INTERFACES
from forewarn.parse.host.ip_addr import IP_ADDR
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import CouldNotCheck, NotApplicable

KINDS = ("pmxcfs_no_local_ip",)
FIX = (
    step("hostname --ip-address"),
    note("In /etc/hosts, map the node name to the node's own cluster/management address, as the "
         "Proxmox install guide shows (`<node IP> <fqdn> <hostname>`), and remove or change the "
         "`127.0.1.1 {name}` style line that maps it to loopback{detail}."),
    step("systemctl restart pve-cluster"),
)
CRIT = "critical: pmxcfs will not start, so /etc/pve stays empty and every PVE service that needs it fails"


@rule(code="PVE149", inputs=(HOSTS,) + logs.LOG_SPECS, reads=(HOSTNAME, IP_ADDR, INTERFACES), fix=FIX,
      when=When.CONFIG)
def node_name_no_local_ip(ctx: Context) -> Iterator[Hit]:
    hits = 0
    unsure: list[str] = []
    for node, hf in sorted(ctx.by_node(HOSTS).items()):
        hosts = hf.value
        hn = ctx.fact(HOSTNAME, node)
        if hn is None:
            looped = own_names_on_loopback(hosts)
            if looped:
                hits += 1
                names = ", ".join(f"{n} -> {ip}" for n, _, ip in looped)
                yield Hit(f"{node}: /etc/hosts maps {names} (loopback); the node name was not read, but the "
                          f"Debian installer writes the machine's own name there: if it is this node's name, "
                          f"pmxcfs cannot find a non-loopback address (high: {CRIT} if so)",
                          nodes=node, evidence=[hf.ref([ln for _, ln, _ in looped])], severity=Severity.HIGH,
                          params={"name": looped[0][0], "detail": ""})
            else:
                unsure.append(f"{node}: no `hostname` output")
            continue
        name = hn.value.name
        short = name.split(".", 1)[0]
        entry = hosts.lookup(name) or hosts.lookup(short)
        if entry is None:
            unsure.append(f"{node}: {name} is not in /etc/hosts (DNS may resolve it; not read)")
            continue
        if is_loopback(entry.ip):
            hits += 1
            yield Hit(f"{node}: /etc/hosts line {entry.line} maps the node name {name} to {entry.ip} (loopback) "
                      f"({CRIT})", nodes=node, evidence=[hf.ref([entry.line]), hn.ref([hn.value.line])],
                      severity=Severity.CRITICAL, params={"name": name, "detail": ""})
            continue
        have, spec = configured_addresses(ctx, node)
        if spec is None:
            unsure.append(f"{node}: {name} -> {entry.ip}, but neither `ip addr` nor /etc/network/interfaces "
                          f"was read to see whether the node has it")
            continue
        if entry.ip not in have:
            hits += 1
            yield Hit(f"{node}: /etc/hosts line {entry.line} maps the node name {name} to {entry.ip}, an address "
                      f"the node does not have ({spec} shows {', '.join(sorted(have - {'127.0.0.1', '::1'})) or 'none'}) "
                      f"({CRIT})", nodes=node, evidence=[hf.ref([entry.line]), hn.ref([hn.value.line])],
                      severity=Severity.CRITICAL,
                      params={"name": name, "detail": f"; {entry.ip} is not configured on the node"})
    for node in ctx.nodes:
        evs = logs.events(ctx, node, KINDS)
        if evs:
            hits += 1
            who = evs[-1].attrs.get("node")
            yield Hit(f"{node}: pmxcfs could not find the node's own IP address{f' for {who}' if who else ''} "
                      f"({len(evs)} time(s), last {logs.time_label(evs[-1])}) ({CRIT})",
                      nodes=node, evidence=logs.refs(evs), severity=Severity.CRITICAL, when=When.PAST,
                      params={"name": who or "<hostname>", "detail": ""})
    if not hits and unsure:
        raise CouldNotCheck("; ".join(unsure))
    if not hits and not ctx.by_node(HOSTS):
        raise NotApplicable("no /etc/hosts and no pmxcfs line about the node's address")
