"""PVE134 thin-disk-no-discard: VM disks on thin storage (zfspool, lvmthin) without `discard=on`."""

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

THIN_TYPES = ("zfspool", "lvmthin")
_DATA_DISK = re.compile(r"^(scsi|virtio|sata|ide)\d+$")
_DEFAULT_THIN = {"local-zfs": "zfspool", "local-lvm": "lvmthin"}  # installer defaults

FIX = (
    note("Then, inside the guest, trim regularly: `systemctl enable --now fstrim.timer` "
         "(Linux, util-linux) — or run `fstrim -av` once now. Windows trims by itself once the disk "
         "reports discard support."),
)


@rule(code="PVE134", reads=(STORAGE_CFG,), inputs=(GUEST_CONFIG,), fix=FIX)
def thin_disk_no_discard(ctx: Context) -> Iterator[Hit]:
    _, cfg = storage_cfg(ctx)
    types = {s.id: s.type for s in cfg.sections} if cfg else dict(_DEFAULT_THIN)
    if not any(t in THIN_TYPES for t in types.values()):
        raise NotApplicable("no zfspool or lvmthin storage")
    found_disk = False
    for g in guests(ctx):
        if g.kind == "lxc":
            continue
        bad = []
        for v in g.config.volumes:
            if not _DATA_DISK.match(v.key) or v.is_cdrom or types.get(v.storage or "") not in THIN_TYPES:
                continue
            found_disk = True
            if v.opts.get("discard") != "on":
                bad.append(v)
        if not bad:
            continue
        node = g.owner or g.fact.node
        steps = []
        for v in bad:
            opts = {k: val for k, val in v.opts.items() if k != "discard"}
            opts["discard"] = "on"
            spec = ",".join([v.volume, *(f"{k}={val}" for k, val in opts.items())])
            steps.append(step(f"qm set {g.vmid} --{v.key} {spec}"))
        disks = ", ".join(f"{v.key} ({v.volume}, {types.get(v.storage or '')})" for v in bad)
        yield Hit(f"{node}: VM {g.vmid}: {len(bad)} disk(s) on thin storage without discard=on: {disks}",
                  nodes=node, evidence=[g.fact.ref([v.line for v in bad])],
                  params={"vmid": g.vmid, "node": node}, fix=[*steps, *FIX], when=When.CONFIG,
                  details={"vmid": g.vmid, "disks": [v.key for v in bad]})
    if not found_disk:
        raise NotApplicable("no VM disk lives on a zfspool or lvmthin storage")
