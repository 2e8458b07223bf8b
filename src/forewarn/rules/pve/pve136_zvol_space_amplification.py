"""PVE136 zvol-space-amplification: zvols on RAIDZ pools that take far more space than they hold."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts.context import Context
from forewarn.model.findings import When
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import NotApplicable
from forewarn.facts.storage import storage_cfg
from forewarn.parse.pve.section_config import STORAGE_CFG
from forewarn.parse.pve.zfs import ZFS_VOLUMES
from forewarn.parse.pve.zpool_status import ZPOOL_STATUS

RATIO = 1.5
SMALL_BLOCK = 16 * 1024
MIN_LOGICAL = 1 << 30  # ignore volumes holding less than 1 GiB

FIX = (
    step("pvesm set {storage} --blocksize 16k"),
    note("The block size of an existing zvol cannot change. Create a new disk on that storage (it "
         "gets the new block size), copy the old one into it (seed 002: `dd` from the old zvol into "
         "the new one), switch the VM to the new disk, then run `fstrim -av` in the guest."),
    step("qm disk move {vmid} {disk} {storage}", safe=False),
)


def _human(n: int | None) -> str:
    if n is None:
        return "?"
    for unit, div in (("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= div:
            return f"{n / div:.1f} {unit}"
    return f"{n} B"


@rule(code="PVE136", reads=(STORAGE_CFG, ZPOOL_STATUS), inputs=(ZFS_VOLUMES,), fix=FIX)
def zvol_space_amplification(ctx: Context) -> Iterator[Hit]:
    zp = ctx.by_node(ZPOOL_STATUS)
    if zp and not any(f.value.pools for f in zp.values()):
        raise NotApplicable("no ZFS pool on any node")
    _, cfg = storage_cfg(ctx)
    zstorages = [s for s in cfg.sections if s.type == "zfspool"] if cfg else []
    any_volume = False
    for node, f in ctx.by_node(ZFS_VOLUMES).items():
        pools = zp.get(node)
        for v in f.value.volumes:
            if not v.is_volume:
                continue
            any_volume = True
            pool = pools.value.get(v.pool) if pools else None
            if pools and (pool is None or not pool.is_raidz):
                continue
            used, logical, vbs = v.used, v.logicalused, v.volblocksize
            bound = ""
            if logical is None and v.bytes("volsize"):
                # no logicalused: the data can never exceed volsize, so used/volsize is a lower
                # bound of the amplification
                logical, bound = v.bytes("volsize"), "at least "
            if not used or not logical or logical < MIN_LOGICAL:
                continue
            data_used = v.bytes("usedbydataset")
            if data_used is None:
                refres = v.refreservation or 0
                if refres and used <= refres * 1.01:
                    continue  # `used` is the reservation, not the data
                data_used = used
            ratio = data_used / logical
            if ratio < RATIO or (vbs is not None and vbs > SMALL_BLOCK):
                continue
            st = next((s for s in zstorages if v.name.startswith((s.get("pool") or "\0") + "/")), None)
            vmid, disk = _vm_disk(v.name)
            layout = f"{pool.layout} pool {pool.name}" if pool else f"pool {v.pool} (layout not collected)"
            lines = [v.lines.get(p, 0) for p in ("volblocksize", "used", "logicalused", "refreservation", "volsize")]
            ev = [f.ref(lines)]
            if pools and pool:
                ev.append(pools.ref([pool.line, *(x.line for x in pool.data_vdevs)]))
            yield Hit(f"{node}: zvol {v.name} on {layout} uses {_human(data_used)} for {_human(logical)} "
                      f"of {'volume size' if bound else 'data'} ({bound}{ratio:.1f}×) with volblocksize {_human(vbs)}",
                      nodes=node, evidence=ev,
                      params={"storage": st.id if st else "<zfspool storage>", "vmid": vmid or "<vmid>",
                              "disk": disk or "<disk>", "node": node},
                      when=When.NOW,
                      details={"zvol": v.name, "used": data_used, "logicalused": logical,
                               "volblocksize": vbs, "ratio": round(ratio, 2)})
    if not any_volume:
        raise NotApplicable("no zvol")


def _vm_disk(name: str) -> tuple[str | None, str | None]:
    import re

    m = re.search(r"vm-(\d+)-disk-\d+", name)
    return (m.group(1), "<disk key, e.g. scsi0>") if m else (None, None)
