"""`ip -j -d link`: every network device of a host with its kind, MTU and master, as iproute2's JSON.

    [{"ifindex":3,"link":"ens1f1-peer","ifname":"ens1f1","flags":["BROADCAST","MULTICAST","UP",
      "LOWER_UP"],"mtu":1500,...,"linkinfo":{"info_kind":"veth"},...},
     {"ifindex":4,"ifname":"vxlan0",...,"mtu":1450,"qdisc":"noqueue","master":"vmbr1",...,
      "linkinfo":{"info_kind":"vxlan","info_data":{"id":10,"group":"239.1.1.1","link":"ens1f1",
      "port":8472,...},"info_slave_kind":"bridge",...}}]

`-d` adds `linkinfo`: `info_kind` (vxlan, gretap, bridge, veth, bond, dummy, vlan, ...),
`info_slave_kind` for a port (bridge, bond), and `info_data` (for a vxlan: `id`, `link` = the
underlay device given with `dev`, `port`, `local`, `remote` or `group`). The top-level `link` is a
veth's peer or a vlan's lower device; `link_netnsid` says the peer lives in another namespace.

Pasted output is often cut short or wrapped in prose; every complete `{"ifindex": ...}` object in
the text is read, and a cut-off one is reported as a problem.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from forewarn.model.keys import Key
from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser
from forewarn.parse._text import int_value, lazy_compile

_OBJECT_START = lazy_compile(r'\{\s*"ifindex"\s*:')
_DECODER = json.JSONDecoder()


@dataclass(frozen=True, slots=True)
class Link:
    name: str
    index: int | None
    kind: str | None  # linkinfo.info_kind: vxlan, gretap, bridge, veth, bond, dummy, vlan ...; None = plain NIC/lo
    slave_kind: str | None  # linkinfo.info_slave_kind: "bridge" or "bond" for a port
    mtu: int | None
    master: str | None  # the bridge or bond this device is a port of
    operstate: str | None
    flags: tuple[str, ...]
    peer: str | None  # top-level `link`: a veth's peer, a vlan's lower device
    peer_netnsid: int | None  # `link_netnsid`: the peer is in another network namespace
    underlay: str | None  # info_data.link of a tunnel (vxlan/gretap `dev`)
    vxlan_id: int | None
    port: int | None  # vxlan UDP destination port
    local: str | None
    remote: str | None  # vxlan/gre remote, or the vxlan multicast group
    bond_mode: str | None
    line: int  # line of the text where this device's object starts
    shown: str = ""  # the start of this device's JSON object as printed, on one line (for evidence)


@dataclass(slots=True)
class IpLink:
    links: list[Link] = field(default_factory=list)

    def get(self, name: str) -> Link | None:
        return next((link for link in self.links if link.name == name), None)

    def ports_of(self, name: str) -> list[Link]:
        return [link for link in self.links if link.master == name]

    def of_kind(self, *kinds: str) -> list[Link]:
        return [link for link in self.links if link.kind in kinds]


def _str(v: Any) -> str | None:
    return v if isinstance(v, str) else None


def _shown(raw: str, limit: int = 240) -> str:
    raw = " ".join(raw.split()) if "\n" in raw else raw
    return raw if len(raw) <= limit else raw[:limit] + " …"


def _link(item: dict[str, Any], line: int, raw: str) -> Link:
    info = item.get("linkinfo") if isinstance(item.get("linkinfo"), dict) else {}
    data = info.get("info_data") if isinstance(info.get("info_data"), dict) else {}
    flags = item.get("flags")
    remote = _str(data.get("remote")) or _str(data.get("group")) or _str(data.get("remote6")) \
        or _str(data.get("group6"))
    return Link(
        name=item["ifname"],
        index=int_value(item.get("ifindex")),
        kind=_str(info.get("info_kind")),
        slave_kind=_str(info.get("info_slave_kind")),
        mtu=int_value(item.get("mtu")),
        master=_str(item.get("master")),
        operstate=_str(item.get("operstate")),
        flags=tuple(f for f in flags if isinstance(f, str)) if isinstance(flags, list) else (),
        peer=_str(item.get("link")),
        peer_netnsid=int_value(item.get("link_netnsid")),
        underlay=_str(data.get("link")),
        vxlan_id=int_value(data.get("id")) if info.get("info_kind") == "vxlan" else None,
        port=int_value(data.get("port")),
        local=_str(data.get("local")) or _str(data.get("local6")),
        remote=remote,
        bond_mode=_str(data.get("mode")) if info.get("info_kind") == "bond" else None,
        line=line,
        shown=_shown(raw),
    )


IP_LINK = Key("host.ip_link", IpLink)


@parser("host.ip_link")
def parse_ip_link(text: str) -> Parsed[IpLink]:
    """Parse `ip -j -d link` (or `ip -j link`, pretty-printed or not, or a paste cut short).

    >>> r = parse_ip_link('[{"ifindex":4,"ifname":"vxlan0","mtu":1450,"master":"vmbr1","linkinfo":'
    ...                   '{"info_kind":"vxlan","info_data":{"id":10,"link":"ens1f1","port":8472},'
    ...                   '"info_slave_kind":"bridge"}},{"ifindex":5,"ifname":"vmbr1","mtu":1450,'
    ...                   '"linkinfo":{"info_kind":"bridge"}}]')
    >>> v = r.value.get("vxlan0")
    >>> (v.kind, v.mtu, v.underlay, v.vxlan_id, v.master, [p.name for p in r.value.ports_of("vmbr1")])
    ('vxlan', 1450, 'ens1f1', 10, 'vmbr1', ['vxlan0'])
    """
    problems: list[ParseProblem] = []
    out = IpLink()
    # line starts, to turn an offset into a line number
    starts = [0] + [m.end() for m in re.finditer("\n", text)]
    end_of_last = 0
    addr_output = False
    for m in _OBJECT_START.finditer(text):
        start = m.start()
        if start < end_of_last:
            continue  # inside an object already read
        line = _line_of(starts, start)
        try:
            obj, end = _DECODER.raw_decode(text, start)
        except (ValueError, RecursionError):
            problems.append(ParseProblem("device object cut short or not valid JSON", line,
                                         text[start:start + 80].split("\n", 1)[0]))
            continue
        end_of_last = end
        if not isinstance(obj, dict) or not isinstance(obj.get("ifname"), str):
            problems.append(ParseProblem("object without an `ifname`", line))
            continue
        out.links.append(_link(obj, line, text[start:end]))
        if "addr_info" in obj and not addr_output:
            addr_output = True
            if "linkinfo" not in obj:
                problems.append(ParseProblem("this is `ip -j addr` output: without `-d` the device kinds are missing",
                                             line))
    if not out.links:
        stripped = text.lstrip()
        if stripped.startswith("[") and not problems:
            try:
                if json.loads(stripped) == []:
                    return Parsed(out, [])  # a namespace without devices prints []
            except (ValueError, RecursionError):
                pass
        why = "no `ip -j link` device objects found" + (
            " (this looks like plain `ip link` text: capture `ip -j -d link`)"
            if re.search(r"^\d+: \S+: <", text, re.M) else "")
        return Parsed(None, [ParseProblem(why), *problems])
    return Parsed(out, problems)


def _line_of(starts: list[int], offset: int) -> int:
    lo, hi = 0, len(starts) - 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if starts[mid] <= offset:
            lo = mid
        else:
            hi = mid - 1
    return lo + 1
