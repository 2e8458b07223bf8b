"""HW104 disk-interface-crc-errors: transfers between disk and controller arrived corrupted (199 UDMA_CRC_Error_Count)."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts.context import Context
from forewarn.model.findings import When
from forewarn.parse.hw.smartctl import SMARTCTL
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import CouldNotCheck

UDMA_CRC = 199


@rule(code="HW104", inputs=(SMARTCTL,),
      fix=(step("smartctl -A {device}"),
           note("The counter never resets: read it again after a day of normal load. If it grew, reseat or replace the "
                "SATA/SAS cable, move the disk to another port or backplane slot, and check the controller; the disk's "
                "media is not at fault. The kernel log shows the same errors as `ataN: SError: { ... BadCRC }` and "
                "`ICRC` (HW109).")))
def disk_interface_crc_errors(ctx: Context) -> Iterator[Hit]:
    counted = 0
    for f in ctx.facts(SMARTCTL):
        for d in f.value.devices:
            a = d.attributes.get(UDMA_CRC)
            if a is None or a.raw is None:
                continue
            counted += 1
            if a.raw <= 0:
                continue
            yield Hit(f"{f.node}: {d.name} ({d.model or d.protocol or 'disk'}): {a.id} {a.name} = {a.raw}: that many "
                      "transfers between the disk and its controller arrived corrupted and were retried (a cable, "
                      "port, backplane or controller fault, not the medium); a lifetime counter, so one reading cannot "
                      "tell an old, settled fault from a live one", nodes=f.node,
                      evidence=[f.ref([a.line]) if a.line else f.ref()],
                      params={"device": d.device or "/dev/<disk>"}, when=When.NOW)
    if not counted:
        raise CouldNotCheck("no attribute 199 UDMA_CRC_Error_Count in the SMART output (NVMe and SAS disks have none)")
