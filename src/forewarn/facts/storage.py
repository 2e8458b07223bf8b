"""Proxmox storage as storage.cfg defines it (cluster-wide, pmxcfs): which storages are shared,
where a network storage is mounted, what losing one costs. A rule that calls `storage_cfg`
declares STORAGE_CFG."""

from __future__ import annotations

from typing import TYPE_CHECKING

from forewarn.model.findings import Severity
from forewarn.parse.pve.section_config import STORAGE_CFG, Section, SectionConfig

if TYPE_CHECKING:
    from forewarn.facts.context import Context, Fact

NETWORK_TYPES = ("nfs", "cifs", "glusterfs", "cephfs", "pbs")
MOUNTED_TYPES = ("nfs", "cifs", "glusterfs", "cephfs")
LOW_CONTENT = {"iso", "vztmpl", "snippets", "import"}
HIGH_CONTENT = {"backup", "images", "rootdir"}
# Storage types whose volumes every node reaches (pve-storage: `shared` is implied).
SHARED_TYPES = ("nfs", "cifs", "glusterfs", "cephfs", "rbd", "iscsi", "iscsidirect", "zfs", "pbs")
# Types that are shared only when storage.cfg says `shared 1` (an LVM on a SAN LUN, a dir on a
# cluster file system); lvmthin, zfspool and btrfs are always node-local.
MAYBE_SHARED_TYPES = ("dir", "lvm")
DEFAULT_LOCAL = {"local": "dir", "local-lvm": "lvmthin", "local-zfs": "zfspool", "local-btrfs": "btrfs"}


def storage_cfg(ctx: "Context") -> tuple["Fact[SectionConfig]", SectionConfig] | tuple[None, None]:
    """storage.cfg is cluster-wide (pmxcfs): the first copy found stands for all nodes."""
    for f in ctx.facts(STORAGE_CFG):
        return f, f.value
    return None, None


def mountpoint(section: Section) -> str:
    """Where Proxmox mounts a network storage: its `path`, else /mnt/pve/<id>."""
    path = section.get("path")
    return (path.rstrip("/") or "/") if path else f"/mnt/pve/{section.id}"


def content_severity(section: Section | None, stype: str | None = None) -> Severity | None:
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


def storage_section(cfg: SectionConfig | None, storage_id: str) -> Section | None:
    if cfg is None:
        return None
    return next((s for s in cfg.sections if s.id == storage_id), None)


def is_shared(cfg: SectionConfig | None, storage_id: str) -> bool | None:
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


def storage_type(cfg: SectionConfig | None, storage_id: str) -> str | None:
    sec = storage_section(cfg, storage_id)
    return sec.type if sec is not None else DEFAULT_LOCAL.get(storage_id)


def shared_storages(cfg: SectionConfig | None, content: str) -> list[str]:
    """Ids of shared, enabled storages that accept this content (images, rootdir)."""
    if cfg is None:
        return []
    return [s.id for s in cfg.sections
            if is_shared(cfg, s.id) and not s.flag("disable") and content in s.list("content")]


def storage_desc(cfg: SectionConfig | None, storage_id: str) -> str:
    sec = storage_section(cfg, storage_id)
    if sec is None:
        return f"{storage_id} ({DEFAULT_LOCAL.get(storage_id, 'not in storage.cfg')})"
    return f"{storage_id} ({sec.type})"
