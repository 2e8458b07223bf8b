"""flannel's `/run/flannel/subnet.env`: the network flannel manages and this node's lease in it.

flanneld writes it at start (pkg/subnet WriteSubnetFile) from its net-conf `Network` and the
subnet it got for the node (with the kube subnet manager: the node's `spec.podCIDR`); the
flannel CNI plugin reads it for every pod.

    FLANNEL_NETWORK=10.244.0.0/16
    FLANNEL_SUBNET=10.244.0.1/24
    FLANNEL_MTU=1450
    FLANNEL_IPMASQ=true
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from forewarn.model.keys import Key
from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser
from forewarn.parse._text import lazy_compile

_LINE = lazy_compile(r"^\s*(?:export\s+)?(?P<key>FLANNEL_\w+|\w+)=(?P<value>.*?)\s*$")
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPInterface = ipaddress.IPv4Interface | ipaddress.IPv6Interface


@dataclass(slots=True)
class FlannelSubnetEnv:
    values: dict[str, str] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)

    def _net(self, key: str) -> IPInterface | None:
        v = self.values.get(key)
        if not v:
            return None
        try:
            return ipaddress.ip_interface(v)
        except ValueError:
            return None

    @property
    def network(self) -> IPNetwork | None:
        """FLANNEL_NETWORK as a network (host bits dropped)."""
        i = self._net("FLANNEL_NETWORK")
        return i.network if i is not None else None

    @property
    def subnet(self) -> IPInterface | None:
        """FLANNEL_SUBNET: the node's gateway address with the lease's prefix (10.244.1.1/24)."""
        return self._net("FLANNEL_SUBNET")


FLANNEL_SUBNET_ENV = Key("k8s.flannel_subnet_env", FlannelSubnetEnv)


@parser("k8s.flannel_subnet_env")
def parse_flannel_subnet_env(text: str) -> Parsed[FlannelSubnetEnv]:
    """Parse `/run/flannel/subnet.env` (KEY=value lines).

    >>> r = parse_flannel_subnet_env("FLANNEL_NETWORK=10.244.0.0/16\\nFLANNEL_SUBNET=10.224.0.1/24\\n")
    >>> (str(r.value.network), str(r.value.subnet), r.value.subnet.network.subnet_of(r.value.network))
    ('10.244.0.0/16', '10.224.0.1/24', False)
    """
    out = FlannelSubnetEnv()
    problems: list[ParseProblem] = []
    for no, raw in enumerate(text.splitlines(), 1):
        s = raw.strip()
        if not s or s.startswith("#"):
            continue
        m = _LINE.match(raw)
        if m is None:
            problems.append(ParseProblem("not a KEY=value line", no, raw))
            continue
        key, value = m.group("key"), m.group("value").strip("\"'")
        out.values[key] = value
        out.lines[key] = no
    for key in ("FLANNEL_NETWORK", "FLANNEL_SUBNET"):
        if key in out.values and out._net(key) is None:
            problems.append(ParseProblem(f"{key} is not an address/prefix", out.lines[key],
                                         out.values[key]))
    if not any(k.startswith("FLANNEL_") for k in out.values):
        return Parsed(None, [ParseProblem("no FLANNEL_* variable found"),
                             *problems[:10]])
    return Parsed(out, problems[:20])
