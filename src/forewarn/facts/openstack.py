"""OpenStack across nodes: the endpoints every service config points at, grouped by service, and
the controller addresses they imply. A rule that calls `endpoints` declares CONF_KEYS;
`mixed_address_summary`, CONF_KEYS and NOVA_COMPUTE_LOG; `compute_conf`, NOVA_CONF.

Kolla renders API endpoints (keystone, placement, glance, neutron, nova, the database, chrony) at
`kolla_internal_fqdn` (the internal VIP), and RabbitMQ and memcached at each control host's own
`api_interface` address. So the RabbitMQ/memcached hosts of a compute's configs are the controllers'
real addresses, and the API host is the VIP. With haproxy and keepalived on, the two differ by
design; without them, they must be the same address (seed 003 §4.2).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from forewarn.facts.context import Context, Fact
from forewarn.model.findings import EvidenceRef
from forewarn.parse.osk.chrony_conf import CHRONY_CONF
from forewarn.parse.osk.kolla_globals import KOLLA_GLOBALS, KollaGlobals
from forewarn.parse.osk.nova_compute_log import NOVA_COMPUTE_LOG, NovaComputeLog, NovaEvent
from forewarn.parse.osk.oslo_conf import NEUTRON_CONF, NOVA_CONF, PLACEMENT_CONF, SERVICE_CONF, OsloConf

INI_KEYS = (NOVA_CONF, NEUTRON_CONF, PLACEMENT_CONF, SERVICE_CONF)
CONF_KEYS = (*INI_KEYS, CHRONY_CONF)

SERVICE_BY_PORT = {
    5000: "keystone", 35357: "keystone", 8780: "placement", 8778: "placement", 9292: "glance",
    9696: "neutron", 8774: "nova-api", 8775: "nova-metadata", 8776: "cinder", 8004: "heat",
    8000: "heat-cfn", 9311: "barbican", 5672: "rabbitmq", 11211: "memcached", 3306: "mariadb",
    6080: "novncproxy", 6082: "spicehtml5proxy", 123: "chrony",
}
# Reached through the internal VIP (kolla_internal_fqdn) in a Kolla deployment.
VIP_SERVICES = frozenset({"keystone", "placement", "glance", "neutron", "nova-api", "nova-metadata",
                          "cinder", "heat", "heat-cfn", "barbican", "mariadb", "chrony"})
# Reached at each control host's own address.
HOST_SERVICES = frozenset({"rabbitmq", "memcached"})
DEFAULT_PORTS = {"http": 80, "https": 443, "rabbit": 5672, "amqp": 5672, "mysql": 3306}
_PUBLIC_KEYS = re.compile(r"_base_url$|^public_endpoint$")
_LOCAL_SCHEMES = ("qemu", "xen", "lxc", "file", "unix", "libvirt")
_URL = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*)://(?P<rest>[^\s/]*)")
_HOSTPORT = re.compile(r"^(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.\-]+)(?::(?P<port>\d+))?$")


@dataclass(frozen=True, slots=True)
class Endpoint:
    node: str
    fact: Fact[Any]  # an oslo config or Kolla's chrony.conf
    section: str
    key: str
    line: int
    service: str
    port: int | None
    hosts: tuple[str, ...]  # several for a clustered transport_url or memcached list
    public: bool = False

    @property
    def where(self) -> str:
        sec = f"[{self.section}] " if self.section else ""
        return f"{self.node}:{self.fact.artifact} line {self.line} ({sec}{self.key})"

    def ref(self) -> EvidenceRef:
        return self.fact.ref([self.line])


def is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
        return True
    except ValueError:
        return False


def _split_hostport(token: str) -> tuple[str, int | None] | None:
    token = token.strip()
    if "@" in token:
        token = token.rsplit("@", 1)[1]
    m = _HOSTPORT.match(token)
    if not m:
        return None
    return m.group("host").strip("[]"), (int(m.group("port")) if m.group("port") else None)


def _service(port: int | None, scheme: str, key: str) -> str:
    if port is not None and port in SERVICE_BY_PORT:
        return SERVICE_BY_PORT[port]
    if scheme.startswith("mysql"):
        return "mariadb"
    if scheme in ("rabbit", "amqp"):
        return "rabbitmq"
    if "memcache" in key:
        return "memcached"
    return f"port {port}" if port else f"{scheme}://"


def url_endpoints(value: str, key: str = "") -> list[tuple[str, int | None, tuple[str, ...], str]]:
    """(service, port, hosts, scheme) of every URL in a value; a rabbit URL may list several hosts.

    >>> url_endpoints("rabbit://openstack:pw@10.0.0.1:5672,openstack:pw@10.0.0.2:5672//")
    [('rabbitmq', 5672, ('10.0.0.1', '10.0.0.2'), 'rabbit')]
    >>> url_endpoints("mysql+pymysql://nova:pw@192.168.56.120:3306/nova")
    [('mariadb', 3306, ('192.168.56.120',), 'mysql+pymysql')]
    """
    out: list[tuple[str, int | None, tuple[str, ...], str]] = []
    for m in _URL.finditer(value):
        scheme = m.group("scheme").lower()
        if scheme.startswith(_LOCAL_SCHEMES):
            continue
        base = scheme.split("+", 1)[0]
        hosts: list[str] = []
        port: int | None = None
        for part in m.group("rest").split(","):
            hp = _split_hostport(part)
            if hp is None:
                continue
            hosts.append(hp[0])
            port = port or hp[1]
        if not hosts:
            continue
        port = port or DEFAULT_PORTS.get(base)
        out.append((_service(port, base, key), port, tuple(dict.fromkeys(hosts)), scheme))
    return out


def endpoints(ctx: Context, nodes: Iterable[str] | None = None) -> list[Endpoint]:
    """Every remote endpoint the service configs (and Kolla's chrony.conf) point at."""
    cache: dict[tuple[str, ...] | None, list[Endpoint]] = ctx.options.setdefault("_osk_endpoints", {})
    key = tuple(sorted(nodes)) if nodes is not None else None
    if key in cache:
        return cache[key]
    wanted = set(nodes) if nodes is not None else None
    out: list[Endpoint] = []
    for spec in INI_KEYS:
        for f in ctx.facts(spec):
            if wanted is not None and f.node not in wanted:
                continue
            for v in f.value.values:
                k = v.key.lower().replace("-", "_")
                public = bool(_PUBLIC_KEYS.search(k))
                if k in ("memcached_servers", "memcache_servers"):
                    servers = [hp for hp in (_split_hostport(t) for t in v.value.split(",")) if hp]
                    if servers:
                        out.append(Endpoint(f.node, f, v.section, v.key, v.line, "memcached", servers[0][1] or 11211,
                                            tuple(dict.fromkeys(h for h, _ in servers))))
                    continue
                for service, port, hosts, _scheme in url_endpoints(v.value, k):
                    out.append(Endpoint(f.node, f, v.section, v.key, v.line,
                                        service + (" (public)" if public else ""), port, hosts, public))
    for cf in ctx.facts(CHRONY_CONF):
        if wanted is not None and cf.node not in wanted:
            continue
        for d in cf.value.sources():
            host = d.args[0]
            if host.endswith(("pool.ntp.org", "ntp.org")):
                continue
            out.append(Endpoint(cf.node, cf, "", d.name, d.line, "chrony", 123, (host,)))
    cache[key] = out
    return out


def by_service(eps: Iterable[Endpoint]) -> dict[str, list[Endpoint]]:
    out: dict[str, list[Endpoint]] = {}
    for e in eps:
        out.setdefault(e.service, []).append(e)
    return out


def controller_hosts(eps: Iterable[Endpoint]) -> dict[str, list[Endpoint]]:
    """Addresses the configs reach RabbitMQ / memcached at: the control hosts' own addresses."""
    out: dict[str, list[Endpoint]] = {}
    for e in eps:
        if e.service in HOST_SERVICES:
            for h in e.hosts:
                out.setdefault(h, []).append(e)
    return out


def api_hosts(eps: Iterable[Endpoint]) -> dict[str, list[Endpoint]]:
    """Addresses the configs reach the VIP-served services at (keystone, placement, ...)."""
    out: dict[str, list[Endpoint]] = {}
    for e in eps:
        if e.service in VIP_SERVICES and not e.public:
            for h in e.hosts:
                out.setdefault(h, []).append(e)
    return out


def services_of(eps: Iterable[Endpoint]) -> str:
    names = list(dict.fromkeys(e.service for e in eps))
    return ", ".join(names)


def first_refs(eps: Iterable[Endpoint], limit: int = 6) -> list[EvidenceRef]:
    """One evidence reference per artifact, with the cited lines merged."""
    by_art: dict[tuple[str, str, str], tuple[Fact[Any], list[int]]] = {}
    for e in eps:
        k = (e.node, e.fact.spec, e.fact.artifact)
        by_art.setdefault(k, (e.fact, []))[1].append(e.line)
    return [f.ref(lines) for f, lines in list(by_art.values())[:limit]]


def globals_fact(ctx: Context) -> Fact[KollaGlobals] | None:
    facts = ctx.facts(KOLLA_GLOBALS)
    return facts[0] if facts else None


def refused_events(ctx: Context) -> list[tuple[Fact[NovaComputeLog], NovaEvent]]:
    """(fact, event) for every refused or failed connection in the nova-compute logs."""
    out: list[tuple[Fact[NovaComputeLog], NovaEvent]] = []
    for f in ctx.facts(NOVA_COMPUTE_LOG):
        for e in f.value.of("connection_refused", "connect_failed"):
            out.append((f, e))
    return out


def log_ref(f: Fact[NovaComputeLog], events: list[NovaEvent]) -> EvidenceRef:
    shown = events[:12]
    return EvidenceRef(spec=f.spec, node=f.node, artifact=f.artifact,
                       lines=tuple(e.line for e in shown), excerpt=tuple(e.text for e in shown))


def compute_conf(ctx: Context, node: str) -> Fact[OsloConf] | None:
    """The nova.conf of nova-compute on `node`: the one at the nova-compute path, else the one
    with a [libvirt] section, else the only one."""
    facts = [f for f in ctx.facts(NOVA_CONF) if f.node == node]
    if not facts:
        return None
    for f in facts:
        if "nova-compute/" in f.artifact.replace("\\", "/"):
            return f
    with_libvirt = [f for f in facts if f.value.has_section("libvirt")]
    if with_libvirt:
        return with_libvirt[0]
    return facts[0] if len(facts) == 1 else None


def seed_note() -> str:
    return ("In seed 003 the real cause was not the CPUs but the controller reached at two addresses "
            "(kolla_internal_vip_address 192.168.56.120 without haproxy vs the controller's 192.168.56.110; "
            "OSK102, OSK103)")


def mixed_address_summary(ctx: Context) -> str | None:
    """A one-line summary when the configs reach one controller at two addresses (for OSK101)."""
    eps = endpoints(ctx)
    ctl = controller_hosts(eps)
    api = api_hosts(eps)
    per_service = {s: {e.hosts for e in group} for s, group in by_service(eps).items()
                   if s in VIP_SERVICES | HOST_SERVICES}
    split = [s for s, sets in per_service.items() if len(sets) > 1]
    if split:
        return f"the configs reach {', '.join(split)} at more than one address (see OSK103)"
    if len(ctl) == 1:
        c = next(iter(ctl))
        others = [a for a in api if a != c and is_ip(a)]
        refused = {e.host for _f, e in refused_events(ctx) if e.host}
        if others and (refused & set(others)):
            return (f"the configs reach the controller at {c} and at {', '.join(others)}, and "
                    f"{', '.join(sorted(refused & set(others)))} refused connections (see OSK103)")
    return None
