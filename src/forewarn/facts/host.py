"""What the rules of several families ask of a host: its running kernel, its global addresses,
whether a network device exists. Each function names the keys it reads (`*_KEYS`): a rule that
calls it declares them."""

from __future__ import annotations

import ipaddress
import re
from typing import TYPE_CHECKING

from forewarn.model.findings import EvidenceRef
from forewarn.parse.host.ip_addr import IP_ADDR, IpAddr
from forewarn.parse.host.ip_link import IP_LINK
from forewarn.parse.host.uname import UNAME
from forewarn.parse.k8s.docker_info import DOCKER_INFO

if TYPE_CHECKING:
    from forewarn.facts.context import Context, Fact

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

KERNEL_KEYS = (UNAME, DOCKER_INFO)
LINK_KEYS = (IP_ADDR, IP_LINK)
# container, overlay and CNI devices: their addresses are not the node's own
_NOT_NODE = ("docker", "cali", "tunl", "kube-ipvs", "flannel", "cni", "veth", "vxlan.calico")
_VER = re.compile(r"^(\d+)\.(\d+)(?:\.(\d+))?")


def kernel_of(ctx: "Context", node: str) -> tuple[str, tuple[int, int, int], EvidenceRef] | None:
    """The running kernel of `node`: from `uname`, else from `docker info`'s Kernel Version."""
    f = ctx.fact(UNAME, node)
    if f is not None:
        return f.value.release, f.value.version, f.ref([f.value.line])
    d = ctx.fact(DOCKER_INFO, node)
    if d is not None and d.value.kernel_version:
        m = _VER.match(d.value.kernel_version)
        if m:
            ver = (int(m.group(1)), int(m.group(2)), int(m.group(3) or 0))
            return d.value.kernel_version, ver, d.ref([d.value.lines.get("kernel_version", 0)])
    return None


def link_named(ctx: "Context", node: str, name: str) -> tuple[bool, tuple[str, ...], EvidenceRef | None] | None:
    """Whether device `name` exists on `node`, with its flags, from `ip addr` (JSON or text) or
    `ip -j -d link`. None: neither was collected or could be read."""
    seen = False
    a = ctx.fact(IP_ADDR, node)
    if a is not None:
        seen = True
        i = a.value.get(name)
        if i is not None:
            return True, i.flags, a.ref([i.line]) if i.line else a.ref()
    lk = ctx.fact(IP_LINK, node)
    if lk is not None:
        seen = True
        link = lk.value.get(name)
        if link is not None:
            return True, link.flags, lk.ref([link.line])
    return (False, (), None) if seen else None


def global_addresses(ctx: "Context", node: str) -> tuple[list[tuple[str, IpAddress]], "Fact[IpAddr] | None"]:
    """(interface, address) of the node's own global unicast addresses, from `ip addr`."""
    f = ctx.fact(IP_ADDR, node)
    out: list[tuple[str, IpAddress]] = []
    if f is None:
        return out, None
    for i in f.value.interfaces:
        if i.name == "lo" or i.name.startswith(_NOT_NODE):
            continue
        for a in i.addrs:
            try:
                ip = ipaddress.ip_address(a.address)
            except ValueError:
                continue
            if ip.is_loopback or ip.is_link_local or ip.is_multicast:
                continue
            out.append((i.name, ip))
    return out, f
