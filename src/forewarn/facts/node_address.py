"""Helpers for "which address does this node's name resolve to, and does the node
have it" (PVE149): /etc/hosts, `hostname`, `ip -j addr`, /etc/network/interfaces."""

from __future__ import annotations

import ipaddress

from forewarn.facts.context import Context
from forewarn.parse.host.hosts import HostsFile
from forewarn.parse.host.interfaces import INTERFACES
from forewarn.parse.host.ip_addr import IP_ADDR

_LOCAL_NAMES = ("localhost", "ip6-localhost", "ip6-loopback")


def is_loopback(ip: str) -> bool:
    try:
        return ipaddress.ip_address(ip.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def own_names_on_loopback(hosts: HostsFile) -> list[tuple[str, int, str]]:
    """(name, line, ip) of host names mapped to a loopback address that are not `localhost`:
    Debian's installer writes the machine's own name there (`127.0.1.1 <fqdn> <name>`)."""
    out = []
    for e in hosts.entries:
        if is_loopback(e.ip):
            for n in e.names:
                if not n.lower().startswith(_LOCAL_NAMES) and n.lower() != "localhost.localdomain":
                    out.append((n, e.line, e.ip))
    return out


def configured_addresses(ctx: Context, node: str) -> tuple[set[str], str | None]:
    """Addresses the node has (from `ip -j addr`, else the static ones in /etc/network/interfaces)
    and which spec said so; (set(), None) when neither was read."""
    f = ctx.fact(IP_ADDR, node)
    if f is not None:
        return {a.address for i in f.value.interfaces for a in i.addrs}, IP_ADDR.spec
    facts = [x for x in ctx.facts(INTERFACES) if x.node == node]
    if facts:
        out: set[str] = set()
        for x in facts:
            for st in x.value.stanzas:
                for v in st.values("address"):
                    out.add(v.split("/", 1)[0])
        return out, INTERFACES.spec
    return set(), None
