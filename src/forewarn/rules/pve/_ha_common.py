"""Helpers shared by the HA and guest rules (PVE110-PVE112, PVE120-PVE123): the cluster-wide HA
files, which storages are shared, which nodes HA may place a resource on, and log events from
both system logs and task logs / pasted error text."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from forewarn.facts import logs
from forewarn.facts.guests import Guest, guests
from forewarn.rules._engine import CouldNotCheck, NotApplicable

if TYPE_CHECKING:
    from forewarn.facts.context import Context, Fact
    from forewarn.parse.pve.section_config import Section, SectionConfig

LOG_INPUTS = logs.LOG_SPECS

# Storage types whose volumes every node reaches (pve-storage: `shared` is implied).
SHARED_TYPES = ("nfs", "cifs", "glusterfs", "cephfs", "rbd", "iscsi", "iscsidirect", "zfs", "pbs")
# Types that are shared only when storage.cfg says `shared 1` (an LVM on a SAN LUN, a dir on a
# cluster file system); lvmthin, zfspool and btrfs are always node-local.
MAYBE_SHARED_TYPES = ("dir", "lvm")
DEFAULT_LOCAL = {"local": "dir", "local-lvm": "lvmthin", "local-zfs": "zfspool", "local-btrfs": "btrfs"}
_NODE_PRIO = re.compile(r"^(?P<node>[^:\s]+)(?::(?P<prio>-?\d+))?$")


def first_fact(ctx: "Context", spec: str) -> "Fact | None":
    """A cluster-wide /etc/pve file: the first copy found stands for all nodes."""
    for f in ctx.facts(spec):
        return f
    return None


def has_logs(ctx: "Context") -> bool:
    return any(ctx.has(s) for s in LOG_INPUTS)


# -- storage -------------------------------------------------------------------------------

def storage_section(cfg: "SectionConfig | None", storage_id: str) -> "Section | None":
    if cfg is None:
        return None
    return next((s for s in cfg.sections if s.id == storage_id), None)


def is_shared(cfg: "SectionConfig | None", storage_id: str) -> bool | None:
    """True/False from storage.cfg; for an id missing there, a guess from PVE's default names
    (`local`, `local-lvm`, `local-zfs` are node-local), else None (unknown)."""
    sec = storage_section(cfg, storage_id)
    if sec is None:
        return False if storage_id in DEFAULT_LOCAL else None
    if sec.type in SHARED_TYPES:
        return True
    if sec.type in MAYBE_SHARED_TYPES:
        return sec.flag("shared")
    return False


def storage_type(cfg: "SectionConfig | None", storage_id: str) -> str | None:
    sec = storage_section(cfg, storage_id)
    return sec.type if sec is not None else DEFAULT_LOCAL.get(storage_id)


def shared_storages(cfg: "SectionConfig | None", content: str) -> list[str]:
    """Ids of shared, enabled storages that accept this content (images, rootdir)."""
    if cfg is None:
        return []
    return [s.id for s in cfg.sections
            if is_shared(cfg, s.id) and not s.flag("disable") and content in s.list("content")]


def storage_desc(cfg: "SectionConfig | None", storage_id: str) -> str:
    sec = storage_section(cfg, storage_id)
    if sec is None:
        return f"{storage_id} ({DEFAULT_LOCAL.get(storage_id, 'not in storage.cfg')})"
    return f"{storage_id} ({sec.type})"


# -- HA resources ----------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class HaResource:
    sid: str  # "vm:100"
    kind: str  # "vm" | "ct"
    vmid: int | None
    state: str  # requested state: started (default), stopped, disabled, ignored, enabled
    group: str | None
    section: "Section"
    fact: "Fact"

    @property
    def recovered_on_failure(self) -> bool:
        """`disabled` and `ignored` resources are not relocated when their node fails."""
        return self.state not in ("disabled", "ignored")


def ha_resources(ctx: "Context", *, needed: bool = True) -> list[HaResource]:
    """Every resource of /etc/pve/ha/resources.cfg.

    Raises NotApplicable for an empty resources.cfg (HA is not used) and, when `needed`,
    CouldNotCheck when the evidence has no resources.cfg at all (HA may be in use: not known).
    Without `needed`, a missing file gives an empty list."""
    f = first_fact(ctx, "pve.ha_resources_cfg")
    if f is None:
        if ctx.raw("pve.ha_resources_cfg"):
            raise CouldNotCheck("/etc/pve/ha/resources.cfg is in the evidence but could not be read"
                                + ctx.why_missing(["pve.ha_resources_cfg"]))
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


def guest_map(ctx: "Context") -> dict[int, Guest]:
    return {g.vmid: g for g in guests(ctx)}


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
    fact: "Fact | None"
    section: "Section | None"


def placement(ctx: "Context", res: HaResource) -> Placement:
    """Nodes HA may use for a resource: a PVE 9 `node-affinity` rule (rules.cfg) naming it, else its
    group (groups.cfg, PVE <= 8), else any node."""
    rf = first_fact(ctx, "pve.ha_rules_cfg")
    if rf is not None:
        for s in rf.value.by_type("node-affinity"):
            if s.flag("disable"):
                continue
            if res.sid in s.list("resources"):
                nodes = sorted(parse_nodes(s.get("nodes")), key=lambda t: -t[1])
                return Placement("rule", s.id, [n for n, _ in nodes], s.flag("strict"), rf, s)
    if res.group:
        gf = first_fact(ctx, "pve.ha_groups_cfg")
        if gf is not None:
            s = gf.value.get(res.group, "group")
            if s is not None:
                nodes = sorted(parse_nodes(s.get("nodes")), key=lambda t: -t[1])
                return Placement("group", s.id, [n for n, _ in nodes], s.flag("restricted"), gf, s)
        return Placement("group", res.group, [], False, None, None)
    return Placement("none", None, [], False, None, None)


def cluster_nodes(ctx: "Context") -> tuple[list[str], str]:
    """Every node of the cluster and where that list came from."""
    f = first_fact(ctx, "pve.corosync_conf")
    if f is not None:
        names = [n.name for n in f.value.nodes if n.name]
        if names:
            return sorted(names), "corosync.conf"
    names: set[str] = set()
    for g in guests(ctx):
        if g.owner:
            names.add(g.owner)
    for f2 in ctx.facts("pve.ha_manager_status"):
        names.update(d.node for d in f2.value.lrms)
    names.update(n for n in ctx.nodes if n != "node")
    return sorted(names), "the nodes seen in the evidence (no corosync.conf)"
