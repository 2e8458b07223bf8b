"""`ip -j addr`: the interfaces of a host and their addresses, as iproute2's JSON.

    [{"ifindex":2,"ifname":"eth0","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1500,
      "master":"vmbr0","operstate":"UP",...,"addr_info":[]},
     {"ifindex":3,"ifname":"vmbr0",...,"addr_info":[{"family":"inet","local":"10.77.0.11",
      "prefixlen":24,"scope":"global","label":"vmbr0",...}]}]

`ip addr` text (`ip a`, often pasted in place of the JSON) is read too: a header line per interface
(`4: tunl0@NONE: <NOARP,UP,LOWER_UP> mtu 1440 qdisc noqueue state UNKNOWN`) and its `inet`/`inet6`
lines, indented or not.

`ip -j addr` does not say which interfaces are bridges; an interface that is another's `master`
is one, and so is one that `ip -j -d addr` reports with `linkinfo.info_kind: bridge`.
"""

from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import dataclass, field

from forewarn.model.keys import Key
from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser
from forewarn.parse._text import lazy_compile


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
    line: int = 0  # the header line of `ip addr` text (JSON: 0, the whole output is cited)


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


_TEXT_HEADER = lazy_compile(r"^\s*(?P<index>\d+):\s+(?P<name>[^\s:@]+)(?:@\S+)?:\s+<(?P<flags>[^>]*)>(?P<rest>.*)$")
_TEXT_ADDR = lazy_compile(r"^\s*(?P<family>inet6?)\s+(?P<address>[0-9A-Fa-f.:]+)(?:/(?P<plen>\d+))?\s")
_TEXT_WORD = lazy_compile(r"\b(?P<key>master|state)\s+(?P<value>\S+)")


def _parse_text(text: str) -> IpAddr | None:
    """`ip addr` text: None when no line looks like an interface header."""
    heads: list[tuple[int, re.Match[str], list[IfAddr]]] = []
    for no, line in enumerate(text.splitlines(), 1):
        m = _TEXT_HEADER.match(line)
        if m:
            heads.append((no, m, []))
            continue
        a = _TEXT_ADDR.match(line + " ")
        if a and heads:
            plen = a.group("plen")
            heads[-1][2].append(IfAddr(a.group("family"), a.group("address"), int(plen) if plen else None))
    out = IpAddr()
    for no, m, addrs in heads:
        words = {w.group("key"): w.group("value") for w in _TEXT_WORD.finditer(m.group("rest"))}
        out.interfaces.append(Interface(m.group("name"), int(m.group("index")), words.get("master"),
                                        words.get("state"), tuple(f for f in m.group("flags").split(",") if f),
                                        None, tuple(addrs), no))
    return out if out.interfaces else None


IP_ADDR = Key("host.ip_addr", IpAddr)


@parser("host.ip_addr")
def parse_ip_addr(text: str) -> Parsed[IpAddr]:
    """Parse `ip -j addr` (or `ip -j -d addr`).

    >>> r = parse_ip_addr('[{"ifindex":2,"ifname":"eth0","flags":["UP"],"master":"vmbr0","addr_info":[]},'
    ...                   '{"ifindex":3,"ifname":"vmbr0","flags":["UP"],"addr_info":[{"family":"inet",'
    ...                   '"local":"10.77.0.11","prefixlen":24}]}]')
    >>> v = r.value
    >>> (v.with_address("10.77.0.11").name, v.is_bridge("vmbr0"), v.ports_of("vmbr0"))
    ('vmbr0', True, ['eth0'])

    `ip addr` text as pasted (projectcalico/node issue 12, indentation lost):

    >>> t = parse_ip_addr("[root@10-110-25-205 ~]# ip a\\n"
    ...     "4: tunl0@NONE: <NOARP,UP,LOWER_UP> mtu 1440 qdisc noqueue state UNKNOWN\\n"
    ...     "link/ipip 0.0.0.0 brd 0.0.0.0\\n"
    ...     "inet 10.253.252.128/32 scope global tunl0\\n").value
    >>> i = t.get("tunl0"); (i.flags, i.operstate, i.addrs[0].address, i.addrs[0].prefixlen)
    (('NOARP', 'UP', 'LOWER_UP'), 'UNKNOWN', '10.253.252.128', 32)
    """
    problems: list[ParseProblem] = []
    as_text = _parse_text(text)
    if as_text is not None:
        return Parsed(as_text, [])
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
