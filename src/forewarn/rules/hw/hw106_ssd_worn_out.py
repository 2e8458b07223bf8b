"""HW106 ssd-worn-out: SSD/NVMe endurance used up, or its spare blocks below their threshold."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts.context import Context
from forewarn.model.findings import Severity, When
from forewarn.parse.hw.smartctl import NVME_SMART_LOG, SMARTCTL, SmartDevice
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import CouldNotCheck

# SATA SSD wear attributes whose normalised value counts down from 100 (life left)
WEAR_ATTRS = (177, 231, 233)


def _wear(d: SmartDevice) -> tuple[int, str, list[int]] | None:
    """(percent used, how it was read, lines) of one SSD, or None when it says nothing."""
    used = d.nvme.get("percentage_used")
    if used is not None:
        return used, f"Percentage Used {used}%", [d.nvme_lines.get("percentage_used", 0)]
    for i in WEAR_ATTRS:
        a = d.attributes.get(i)
        if a is not None and a.value is not None and 0 <= a.value <= 100:
            return 100 - a.value, f"{a.id} {a.name} normalised {a.value} (of 100)", [a.line]
    return None


@rule(code="HW106", inputs=(SMARTCTL, NVME_SMART_LOG),
      fix=(step("smartctl -x {device}"),
           note("Plan the replacement before the drive turns read-only; consumer SSDs wear fast under ZFS and Ceph "
                "(sync writes, write amplification): prefer datacenter drives with power-loss protection.")))
def ssd_worn_out(ctx: Context) -> Iterator[Hit]:
    judged = 0
    for key in (SMARTCTL, NVME_SMART_LOG):
        for f in ctx.facts(key):
            for d in f.value.devices:
                spare, thresh = d.nvme.get("available_spare"), d.nvme.get("available_spare_threshold")
                wear = _wear(d)
                if wear is None and spare is None:
                    continue
                judged += 1
                dev = {"device": d.device or "/dev/<disk>"}
                if spare is not None and thresh is not None and spare < thresh:
                    lines = [d.nvme_lines.get(k, 0) for k in ("available_spare", "available_spare_threshold")]
                    yield Hit(f"{f.node}: {d.name} ({d.model or 'NVMe'}): Available Spare {spare}% is below its "
                              f"threshold {thresh}%: the drive is out of replacement blocks and goes read-only or "
                              "fails next", nodes=f.node, evidence=[f.ref(lines) if any(lines) else f.ref()],
                              severity=Severity.CRITICAL, params=dev, when=When.NOW)
                    continue
                if wear is None or wear[0] < 80:
                    continue
                used, how, lines = wear
                yield Hit(f"{f.node}: {d.name} ({d.model or 'SSD'}): {how}: {used}% of the rated write endurance "
                          "is used" + (" (beyond 100% the vendor no longer vouches for the flash)" if used >= 100 else ""),
                          nodes=f.node, evidence=[f.ref(lines) if any(lines) else f.ref()],
                          severity=Severity.HIGH if used >= 90 else Severity.MEDIUM, params=dev, when=When.NOW)
    if not judged:
        raise CouldNotCheck("no SSD wear indicator (NVMe Percentage Used, attributes 177/231/233) in the SMART output")
