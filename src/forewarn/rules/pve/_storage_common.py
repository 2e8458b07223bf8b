"""Helpers shared by the storage rules (PVE130-PVE136, PVE140): the cluster's storage.cfg, where
a storage is mounted, what its content means, and which node a shared /etc/pve file belongs to."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from forewarn.model.findings import Severity

if TYPE_CHECKING:
    from forewarn.facts.context import Context, Fact
    from forewarn.parse.pve.section_config import Section, SectionConfig

NETWORK_TYPES = ("nfs", "cifs", "glusterfs", "cephfs", "pbs")
MOUNTED_TYPES = ("nfs", "cifs", "glusterfs", "cephfs")
LOW_CONTENT = {"iso", "vztmpl", "snippets", "import"}
HIGH_CONTENT = {"backup", "images", "rootdir"}
_NODE_PATH = re.compile(r"nodes/(?P<node>[^/]+)/")


def storage_cfg(ctx: "Context") -> tuple["Fact", "SectionConfig"] | tuple[None, None]:
    """storage.cfg is cluster-wide (pmxcfs): the first copy found stands for all nodes."""
    for f in ctx.facts("pve.storage_cfg"):
        return f, f.value
    return None, None


def mountpoint(section: "Section") -> str:
    """Where Proxmox mounts a network storage: its `path`, else /mnt/pve/<id>."""
    path = section.get("path")
    return (path.rstrip("/") or "/") if path else f"/mnt/pve/{section.id}"


def content_severity(section: "Section | None", stype: str | None = None) -> Severity | None:
    """Severity of losing a storage, from what it holds (seed 001 l.52): only ISO images and
    templates -> low; backups, VM disks or container volumes -> high; unknown -> None."""
    if section is None:
        return Severity.HIGH if stype == "pbs" else None
    content = set(section.list("content"))
    if section.type == "pbs" and not content:
        content = {"backup"}
    if content & HIGH_CONTENT:
        return Severity.HIGH
    if content and content <= LOW_CONTENT:
        return Severity.LOW
    return None


def owner_node(fact: "Fact") -> str:
    """The node a file under /etc/pve/nodes/<node>/ belongs to (every node's bundle has a copy)."""
    m = _NODE_PATH.search(fact.record.source or "") or _NODE_PATH.search(fact.artifact)
    return m.group("node") if m else fact.node


def nodes_of(section: "Section") -> list[str]:
    return section.list("nodes")


def log_events(ctx: "Context", node: str, kinds: tuple[str, ...]) -> list:
    """Log events of a node (system logs and task logs / pasted task output: facts/logs.py merges them)."""
    from forewarn.facts import logs

    return list(logs.events(ctx, node, kinds))
