"""`/proc/net/bonding/<bond>`: the Linux bonding driver's state of one bond and its slaves.

    Bonding Mode: IEEE 802.3ad Dynamic link aggregation
    MII Status: up
    Active Aggregator Info:
            Aggregator ID: 2
            Number of ports: 1
            Partner Mac Address: 00:1b:21:aa:bb:6e
    Slave Interface: enp7s0
    MII Status: up
    Aggregator ID: 1

(drivers/net/bonding/bond_procfs.c). Keys repeat per section: the bond's, the active
aggregator's (indented), then each slave's from its `Slave Interface:` line on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from forewarn.model.keys import Key
from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser
from forewarn.parse._text import lazy_compile, to_int

_KV = lazy_compile(r"^(?P<indent>\s*)(?P<key>[A-Za-z][\w .()/-]*?):\s*(?P<value>.*?)\s*$")


@dataclass(slots=True)
class BondSlave:
    name: str
    line: int
    mii_status: str | None = None
    speed: str | None = None
    link_failures: int | None = None
    aggregator_id: str | None = None
    lines: dict[str, int] = field(default_factory=dict)


@dataclass(slots=True)
class Bond:
    mode: str | None = None
    mii_status: str | None = None
    active_slave: str | None = None
    active_aggregator: str | None = None  # its ID
    aggregator_ports: int | None = None
    partner_mac: str | None = None
    no_active_aggregator: int = 0  # line of `bond X has no active aggregator`
    slaves: list[BondSlave] = field(default_factory=list)
    lines: dict[str, int] = field(default_factory=dict)

    @property
    def lacp(self) -> bool:
        return bool(self.mode and "802.3ad" in self.mode)


BONDING = Key("host.proc_net_bonding", Bond)


@parser("host.proc_net_bonding")
def parse_proc_net_bonding(text: str) -> Parsed[Bond]:
    """Parse one `/proc/net/bonding/<bond>` file.

    >>> r = parse_proc_net_bonding("Bonding Mode: IEEE 802.3ad Dynamic link aggregation\\nActive Aggregator Info:\\n"
    ...     "        Aggregator ID: 2\\n        Number of ports: 1\\n\\nSlave Interface: enp7s0\\nMII Status: up\\n"
    ...     "Aggregator ID: 1\\n")
    >>> b = r.value
    >>> (b.lacp, b.active_aggregator, b.aggregator_ports, [(s.name, s.aggregator_id) for s in b.slaves])
    (True, '2', 1, [('enp7s0', '1')])
    """
    out = Bond()
    slave: BondSlave | None = None
    in_agg = False
    for no, raw in enumerate(text.splitlines(), 1):
        if "has no active aggregator" in raw:
            out.no_active_aggregator = no
            continue
        m = _KV.match(raw)
        if m is None:
            in_agg = False
            continue
        key, value, indented = m.group("key"), m.group("value"), bool(m.group("indent"))
        if key == "Slave Interface":
            slave = BondSlave(value, no)
            out.slaves.append(slave)
            in_agg = False
            continue
        if key == "Active Aggregator Info":
            in_agg = True
            continue
        if in_agg and indented:
            if key == "Aggregator ID":
                out.active_aggregator, out.lines["active_aggregator"] = value, no
            elif key == "Number of ports":
                out.aggregator_ports = to_int(value, signed=False)
                out.lines["aggregator_ports"] = no
            elif key == "Partner Mac Address":
                out.partner_mac, out.lines["partner_mac"] = value, no
            continue
        in_agg = False
        if slave is not None:
            slave.lines[key] = no
            if key == "MII Status":
                slave.mii_status = value
            elif key == "Speed":
                slave.speed = value
            elif key == "Link Failure Count":
                slave.link_failures = to_int(value, signed=False)
            elif key == "Aggregator ID":
                slave.aggregator_id = value
            continue
        attr = {"Bonding Mode": "mode", "MII Status": "mii_status", "Currently Active Slave": "active_slave"}.get(key)
        if attr:
            setattr(out, attr, value)
            out.lines[attr] = no
    if out.mode is None and not out.slaves:
        return Parsed(None, [ParseProblem("no `Bonding Mode:` or `Slave Interface:` line")])
    return Parsed(out, [])
