"""PVE135 risky-disk-controller: VMs on ZFS using the disk controller settings the seed's site saw
hang whole hosts (VirtIO SCSI single, LSI, MegaRAID, iothread)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from forewarn.facts.context import Context
from forewarn.facts.guests import guests
from forewarn.model.findings import When
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import NotApplicable
from forewarn.facts.storage import storage_cfg
from forewarn.parse.pve.guest_config import GUEST_CONFIG
from forewarn.parse.pve.section_config import STORAGE_CFG
from forewarn.parse.pve.zpool_status import ZPOOL_STATUS

ZFS_TYPES = ("zfspool", "zfs")
_RISKY = re.compile(r"^(virtio-scsi-single|lsi\w*|megasas)$")
_DISK = re.compile(r"^(scsi|virtio|sata|ide)\d+$")

FIX = (
    note("Changing the controller takes effect at the next VM start. A Windows guest booting from an "
         "LSI/MegaRAID disk needs the VirtIO SCSI driver installed before the switch, or it will not boot."),
)


@rule(code="PVE135", reads=(STORAGE_CFG, ZPOOL_STATUS), inputs=(GUEST_CONFIG,), fix=FIX)
def risky_disk_controller(ctx: Context) -> Iterator[Hit]:
    _, cfg = storage_cfg(ctx)
    types = {s.id: s.type for s in cfg.sections} if cfg else {"local-zfs": "zfspool"}
    zfs_storages = {sid for sid, t in types.items() if t in ZFS_TYPES}
    has_pools = any(f.value.pools for f in ctx.facts(ZPOOL_STATUS))
    if not zfs_storages and not has_pools:
        raise NotApplicable("no ZFS storage and no ZFS pool")
    any_zfs_vm = False
    for g in guests(ctx):
        if g.kind == "lxc":
            continue
        disks = [v for v in g.config.volumes if _DISK.match(v.key) and not v.is_cdrom]
        zdisks = [v for v in disks if (v.storage or "") in zfs_storages]
        if not zdisks:
            continue
        any_zfs_vm = True
        opts = g.config.options
        scsihw = opts.get("scsihw")
        problems, lines, steps = [], [], []
        has_scsi = any(v.key.startswith("scsi") for v in disks)
        if scsihw and _RISKY.match(scsihw):
            problems.append(f"scsihw {scsihw}")
            lines.append(g.config.lines.get("scsihw", 0))
            steps.append(step(f"qm set {g.vmid} --scsihw virtio-scsi-pci", safe=False))
        elif scsihw is None and has_scsi:
            problems.append("no scsihw line: QEMU's default LSI 53C895A controller")
            steps.append(step(f"qm set {g.vmid} --scsihw virtio-scsi-pci", safe=False))
        for v in disks:
            if v.opts.get("iothread") in ("1", "on"):
                problems.append(f"{v.key} iothread=1")
                lines.append(v.line)
                rest = ",".join([v.volume, *(f"{k}={val}" for k, val in v.opts.items() if k != "iothread")])
                steps.append(step(f"qm set {g.vmid} --{v.key} {rest}", safe=False))
        if not problems:
            continue
        node = g.owner or g.fact.node
        yield Hit(f"{node}: VM {g.vmid} (disks on ZFS: {', '.join(v.key for v in zdisks)}): "
                  + "; ".join(problems),
                  nodes=node, evidence=[g.fact.ref(lines)], params={"vmid": g.vmid, "node": node},
                  fix=[*steps, *FIX], when=When.CONFIG,
                  details={"vmid": g.vmid, "scsihw": scsihw})
    if not any_zfs_vm:
        raise NotApplicable("no VM has a disk on ZFS storage")
