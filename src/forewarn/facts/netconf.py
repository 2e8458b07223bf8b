"""A node's network configuration: its interfaces files taken together, and which ifupdown reads
them. A rule that calls `node_configs` declares INTERFACES; `ifupdown_tool`, TOOL_KEYS."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from forewarn.model.findings import EvidenceRef
from forewarn.parse.host.dpkg import DPKG
from forewarn.parse.host.interfaces import INTERFACES, Interfaces, Option, Stanza
from forewarn.parse.pve.pveversion import PVEVERSION

if TYPE_CHECKING:
    from forewarn.facts.context import Context, Fact

DEFAULT_MTU = 1500  # what Linux gives an Ethernet, bond, bridge or veth device unless told otherwise
VXLAN_OVERHEAD = 50  # IPv4 outer header + UDP + VXLAN + inner Ethernet (70 over IPv6)
GRETAP_DEFAULT_MTU = 1462  # 1500 - 38 (outer IPv4 20 + GRE 4 + inner Ethernet 14)
TOOL_KEYS = (DPKG, PVEVERSION)


@dataclass(frozen=True, slots=True)
class Placed:
    """A stanza and the interfaces-file instance it was read from."""

    fact: "Fact[Interfaces]"
    stanza: Stanza

    def ref(self, *lines: int) -> EvidenceRef:
        return self.fact.ref([n for n in lines if n])


@dataclass(slots=True)
class NodeConfig:
    """Every interfaces file of one node, read together (the main file and what it sources)."""

    node: str
    facts: list["Fact[Interfaces]"]
    stanzas: list[Placed] = field(default_factory=list)

    def named(self, name: str) -> list[Placed]:
        return [p for p in self.stanzas if p.stanza.name == name]

    def options(self, name: str, key: str) -> list[tuple[Placed, Option]]:
        """Every `key` option of every stanza called `name` (inet and inet6 stanzas merge, as in ifupdown2)."""
        out: list[tuple[Placed, Option]] = []
        for p in self.named(name):
            for o in p.stanza.options:
                if o.key == key.replace("_", "-"):
                    out.append((p, o))
        return out

    def first(self, name: str, key: str) -> tuple[Placed, Option] | None:
        opts = self.options(name, key)
        return opts[0] if opts else None

    def mtu(self, name: str) -> tuple[int, Placed, Option] | None:
        for p, o in self.options(name, "mtu"):
            try:
                return int(o.value.split()[0]), p, o
            except (ValueError, IndexError):
                continue
        return None

    def bridge_of(self, port: str) -> list[tuple[Placed, Option]]:
        """The bridges whose `bridge-ports` name `port`."""
        return [(p, o) for p in self.stanzas for o in p.stanza.options
                if o.key == "bridge-ports" and port in o.value.split()]


def node_configs(ctx: "Context") -> list[NodeConfig]:
    by_node: dict[str, NodeConfig] = {}
    for f in ctx.facts(INTERFACES):
        nc = by_node.setdefault(f.node, NodeConfig(f.node, []))
        nc.facts.append(f)
        value: Interfaces = f.value
        nc.stanzas.extend(Placed(f, s) for s in value.stanzas)
    return [by_node[n] for n in sorted(by_node)]


@dataclass(frozen=True, slots=True)
class Tool:
    """Which of ifupdown / ifupdown2 reads the interfaces file on a node, and how we know."""

    name: str | None  # "ifupdown2" | "ifupdown" | None when the evidence does not say
    why: str
    evidence: tuple[EvidenceRef, ...] = ()
    pve_major: int | None = None
    ifupdown2_missing: bool = False  # the package list says ifupdown2 is not installed


def ifupdown_tool(ctx: "Context", node: str) -> Tool:
    """From `dpkg -l` first, then `pveversion -v`; a Proxmox VE 7 or later node without a package
    list counts as ifupdown2 (its installer and upgrade path install it)."""
    pve_major = None
    pv = ctx.fact(PVEVERSION, node)
    if pv is not None:
        pve_major = pv.value.major
    dp = ctx.fact(DPKG, node)
    if dp is not None:
        pkgs = dp.value.packages
        i2, i1 = pkgs.get("ifupdown2"), pkgs.get("ifupdown")
        if pve_major is None:
            pm = pkgs.get("pve-manager")
            if pm is not None and pm.installed and pm.version.split(".", 1)[0].isdigit():
                pve_major = int(pm.version.split(".", 1)[0])
        if i2 is not None and i2.installed:
            return Tool("ifupdown2", f"dpkg: ifupdown2 {i2.version} installed ({i2.status})",
                        (dp.ref([i2.line]),), pve_major)
        if i1 is not None and i1.installed:
            lines = [i1.line] + ([i2.line] if i2 is not None else [])
            return Tool("ifupdown", f"dpkg: ifupdown {i1.version} installed, ifupdown2 not", (dp.ref(lines),),
                        pve_major, ifupdown2_missing=True)
        full_list = len(pkgs) >= 100  # a whole `dpkg -l`, not `dpkg -l 'corosync*'`
        if i2 is not None or i1 is not None or "ifupdown2" in dp.value.not_found or full_list:
            lines = [p.line for p in (i1, i2) if p is not None]
            return Tool(None, "dpkg: neither ifupdown nor ifupdown2 is installed", (dp.ref(lines),), pve_major,
                        ifupdown2_missing=True)
    if pv is not None:
        v = pv.value
        line = v.lines.get("ifupdown2", 0)
        if v.installed("ifupdown2"):
            return Tool("ifupdown2", f"pveversion: ifupdown2 {v.version('ifupdown2')}",
                        (pv.ref([line]),), pve_major)
        if v.installed("ifupdown"):
            return Tool("ifupdown", f"pveversion: ifupdown {v.version('ifupdown')}, no ifupdown2",
                        (pv.ref([v.lines.get("ifupdown", 0), line or 0]),), pve_major, ifupdown2_missing=True)
        if "ifupdown2" in v.packages:
            return Tool(None, f"pveversion: ifupdown2: {v.packages['ifupdown2']}", (pv.ref([line]),),
                        pve_major, ifupdown2_missing=True)
        if pve_major is not None and pve_major >= 7:
            return Tool("ifupdown2", f"Proxmox VE {pve_major} uses ifupdown2 by default (no package line for it)",
                        (pv.ref([v.lines.get("pve-manager", 0)]),), pve_major)
    return Tool(None, "no package list (dpkg -l) or pveversion -v says which ifupdown is installed",
                (), pve_major)


def config_path(fact: "Fact[Any]") -> str:
    """The file on the node a fix should edit (a loose file's own name says nothing about that)."""
    art = (fact.record.source or fact.artifact).replace("\\", "/")
    if fact.spec == INTERFACES.spec:
        if "interfaces.d/" in art:
            return "/etc/network/interfaces.d/" + art.rsplit("/", 1)[-1]
        return "/etc/network/interfaces"
    if art.startswith("etc/"):
        return "/" + art
    return art
