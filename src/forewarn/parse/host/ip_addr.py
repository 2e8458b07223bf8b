"""`ip -j addr`: the interfaces of a host and their addresses, as iproute2's JSON.

    [{"ifindex":2,"ifname":"eth0","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1500,
      "master":"vmbr0","operstate":"UP",...,"addr_info":[]},
     {"ifindex":3,"ifname":"vmbr0",...,"addr_info":[{"family":"inet","local":"10.77.0.11",
      "prefixlen":24,"scope":"global","label":"vmbr0",...}]}]

`ip -j addr` does not say which interfaces are bridges; an interface that is another's `master`
is one, and so is one that `ip -j -d addr` reports with `linkinfo.info_kind: bridge`.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass, field

from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser


@dataclass(frozen=True, slots=True)
class IfAddr:
    family: str  # "inet" | "inet6"
    address: str
    prefixlen: int | None

    @property
    def network(self) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
        try:
            return ipaddress.ip_interface(f"{self.address}/{self.prefixlen}").network
        except ValueError:
            return None


@dataclass(frozen=True, slots=True)
class Interface:
    name: str
    index: int | None
    master: str | None  # the bridge or bond this interface is a port of
    operstate: str | None
    flags: tuple[str, ...]
    kind: str | None  # linkinfo.info_kind with `ip -d`: bridge, bond, vlan, veth, ...
    addrs: tuple[IfAddr, ...]


@dataclass(slots=True)
class IpAddr:
    interfaces: list[Interface] = field(default_factory=list)

    def get(self, name: str) -> Interface | None:
        return next((i for i in self.interfaces if i.name == name), None)

    def with_address(self, address: str) -> Interface | None:
        """The interface that carries `address`."""
        return next((i for i in self.interfaces if any(a.address == address for a in i.addrs)), None)

    def ports_of(self, name: str) -> list[str]:
        return [i.name for i in self.interfaces if i.master == name]

    def is_bridge(self, name: str) -> bool:
        iface = self.get(name)
        return bool(iface is not None and (iface.kind == "bridge" or self.ports_of(name)
                                           or (iface.kind is None and name.startswith("vmbr"))))


@parser("host.ip_addr")
def parse_ip_addr(text: str) -> Parsed[IpAddr]:
    """Parse `ip -j addr` (or `ip -j -d addr`).

    >>> r = parse_ip_addr('[{"ifindex":2,"ifname":"eth0","flags":["UP"],"master":"vmbr0","addr_info":[]},'
    ...                   '{"ifindex":3,"ifname":"vmbr0","flags":["UP"],"addr_info":[{"family":"inet",'
    ...                   '"local":"10.77.0.11","prefixlen":24}]}]')
    >>> v = r.value
    >>> (v.with_address("10.77.0.11").name, v.is_bridge("vmbr0"), v.ports_of("vmbr0"))
    ('vmbr0', True, ['eth0'])
    """
    problems: list[ParseProblem] = []
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        # a paste with a prompt line or trailing text: try the outermost [...]
        start, end = text.find("["), text.rfind("]")
        data = None
        if 0 <= start < end:
            try:
                data = json.loads(text[start:end + 1])
                problems.append(ParseProblem("text around the JSON was ignored"))
            except (ValueError, RecursionError):
                data = None
        if data is None:
            return Parsed(None, [ParseProblem(f"not JSON: {exc}")])
    if not isinstance(data, list):
        return Parsed(None, [ParseProblem("not a JSON list of interfaces")])
    out = IpAddr()
    for i, item in enumerate(data):
        if not isinstance(item, dict) or not isinstance(item.get("ifname"), str):
            problems.append(ParseProblem(f"entry {i} is not an interface"))
            continue
        addrs = []
        for a in item.get("addr_info") or []:
            if isinstance(a, dict) and isinstance(a.get("local"), str):
                plen = a.get("prefixlen")
                addrs.append(IfAddr(str(a.get("family", "")), a["local"], plen if isinstance(plen, int) else None))
        linkinfo = item.get("linkinfo")
        kind = linkinfo.get("info_kind") if isinstance(linkinfo, dict) else None
        flags = item.get("flags")
        master = item.get("master")
        index = item.get("ifindex")
        state = item.get("operstate")
        out.interfaces.append(Interface(
            item["ifname"], index if isinstance(index, int) else None,
            master if isinstance(master, str) else None, state if isinstance(state, str) else None,
            tuple(f for f in flags if isinstance(f, str)) if isinstance(flags, list) else (),
            kind if isinstance(kind, str) else None, tuple(addrs)))
    if not out.interfaces:
        problems.insert(0, ParseProblem("no interfaces in the JSON"))
        return Parsed(None, problems)
    return Parsed(out, problems)
