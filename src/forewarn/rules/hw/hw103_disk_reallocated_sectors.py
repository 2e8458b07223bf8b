"""HW103 disk-reallocated-sectors: the disk has remapped bad sectors to spares (5 / 196)."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts.context import Context
from forewarn.model.findings import Severity, When
from forewarn.parse.hw.smartctl import SMARTCTL
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import CouldNotCheck, NotApplicable

REALLOCATED, EVENTS = 5, 196
MANY = 50  # more remapped sectors than this: the surface is degrading, not one weak spot


@rule(code="HW103", inputs=(SMARTCTL,),
      fix=(step("smartctl -t long {device}"), step("smartctl -A {device}"),
           note("Compare the count over the next days: a growing count means the disk is failing; plan its "
                "replacement, and make sure what sits on it has redundancy.")))
def disk_reallocated_sectors(ctx: Context) -> Iterator[Hit]:
    counted, ata = 0, False
    for f in ctx.facts(SMARTCTL):
        for d in f.value.devices:
            if d.protocol != "NVMe" and d.attributes:
                ata = True
            a = d.attributes.get(REALLOCATED)
            if a is None:
                continue
            counted += 1
            if not a.raw:
                continue
            failing = a.when_failed.lower() in ("failing_now", "now")
            sev = Severity.HIGH if failing or a.raw > MANY else Severity.MEDIUM
            why = ("at or below its vendor threshold (FAILING_NOW)" if failing else
                   f"more than {MANY}: a degrading surface, not one weak spot" if a.raw > MANY else
                   "the disk still works, but a remapped sector was one it could not use")
            yield Hit(f"{f.node}: {d.name} ({d.model or 'disk'}): {a.id} {a.name} = {a.raw} (normalised {a.value}, "
                      f"threshold {a.thresh}): {why}",
                      nodes=f.node, evidence=[f.ref([a.line]) if a.line else f.ref()], severity=sev,
                      params={"device": d.device or "/dev/<disk>"}, when=When.NOW, details={"reallocated": a.raw})
    if counted:
        return
    if not ata:
        raise NotApplicable("no ATA attribute table (NVMe drives report spare blocks instead: HW106)")
    raise CouldNotCheck("no attribute 5 Reallocated_Sector_Ct in the SMART output")
