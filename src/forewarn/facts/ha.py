"""Proxmox HA as /etc/pve/ha shows it: the resources HA manages and the nodes it may place each on
after a failure (PVE 9 node-affinity rules, else groups). A rule that calls `ha_resources` or
`placement` declares HA_KEYS."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from forewarn.facts.cluster import first_fact
from forewarn.parse.pve.section_config import HA_GROUPS_CFG, HA_RESOURCES_CFG, HA_RULES_CFG, Section, SectionConfig
from forewarn.model.outcomes import CouldNotCheck, NotApplicable

if TYPE_CHECKING:
    from forewarn.facts.context import Context, Fact

HA_KEYS = (HA_RESOURCES_CFG, HA_GROUPS_CFG, HA_RULES_CFG)
_NODE_PRIO = re.compile(r"^(?P<node>[^:\s]+)(?::(?P<prio>-?\d+))?$")


@dataclass(frozen=True, slots=True)
class HaResource:
    sid: str  # "vm:100"
    kind: str  # "vm" | "ct"
    vmid: int | None
    state: str  # requested state: started (default), stopped, disabled, ignored, enabled
    group: str | None
    section: Section
    fact: "Fact[SectionConfig]"

    @property
    def recovered_on_failure(self) -> bool:
        """`disabled` and `ignored` resources are not relocated when their node fails."""
        return self.state not in ("disabled", "ignored")


def ha_resources(ctx: "Context", *, needed: bool = True) -> list[HaResource]:
    """Every resource of /etc/pve/ha/resources.cfg.

    Raises NotApplicable for an empty resources.cfg (HA is not used) and, when `needed`,
    CouldNotCheck when the evidence has no resources.cfg at all (HA may be in use: not known).
    Without `needed`, a missing file gives an empty list."""
    f = first_fact(ctx, HA_RESOURCES_CFG)
    if f is None:
        unread = ctx.why_missing([HA_RESOURCES_CFG])
        if unread:
            raise CouldNotCheck("/etc/pve/ha/resources.cfg is in the evidence but could not be read" + unread)
        if needed:
            raise CouldNotCheck("no /etc/pve/ha/resources.cfg in the evidence: whether HA manages any "
                                "guest is not known")
        return []
    out: list[HaResource] = []
    for s in f.value.sections:
        vmid = int(s.id) if s.id.isdigit() else None
        out.append(HaResource(f"{s.type}:{s.id}", s.type, vmid, s.get("state", "started") or "started",
                              s.get("group"), s, f))
    if not out and needed:
        raise NotApplicable("no HA resources: /etc/pve/ha/resources.cfg is empty")
    return out


def parse_nodes(value: str | None) -> list[tuple[str, int]]:
    """Node list of a group or node-affinity rule, with priorities (default 0).

    >>> parse_nodes("node2:1,node4,node1:2,node3:1")
    [('node2', 1), ('node4', 0), ('node1', 2), ('node3', 1)]
    """
    out: list[tuple[str, int]] = []
    for part in re.split(r"[,;\s]+", value or ""):
        m = _NODE_PRIO.match(part.strip())
        if m:
            out.append((m.group("node"), int(m.group("prio") or 0)))
    return out


@dataclass(slots=True)
class Placement:
    """Where HA may start a resource after its node fails."""

    source: str  # "group" | "rule" | "none"
    name: str | None  # group or rule name
    preferred: list[str]  # nodes named by the group/rule, highest priority first
    strict: bool  # restricted group / strict rule: never elsewhere
    fact: "Fact[SectionConfig] | None"
    section: Section | None


def placement(ctx: "Context", res: HaResource) -> Placement:
    """Nodes HA may use for a resource: a PVE 9 `node-affinity` rule (rules.cfg) naming it, else its
    group (groups.cfg, PVE <= 8), else any node."""
    rf = first_fact(ctx, HA_RULES_CFG)
    if rf is not None:
        for s in rf.value.by_type("node-affinity"):
            if s.flag("disable"):
                continue
            if res.sid in s.list("resources"):
                nodes = sorted(parse_nodes(s.get("nodes")), key=lambda t: -t[1])
                return Placement("rule", s.id, [n for n, _ in nodes], s.flag("strict"), rf, s)
    if res.group:
        gf = first_fact(ctx, HA_GROUPS_CFG)
        if gf is not None:
            g = gf.value.get(res.group, "group")
            if g is not None:
                nodes = sorted(parse_nodes(g.get("nodes")), key=lambda t: -t[1])
                return Placement("group", g.id, [n for n, _ in nodes], g.flag("restricted"), gf, g)
        return Placement("group", res.group, [], False, None, None)
    return Placement("none", None, [], False, None, None)
