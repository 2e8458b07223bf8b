"""HW105 disk-uncorrectable-errors: the drive reported errors it could not correct (187, NVMe media errors)."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts.context import Context
from forewarn.model.findings import When
from forewarn.parse.hw.smartctl import NVME_SMART_LOG, SMARTCTL
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import CouldNotCheck

REPORTED_UNCORRECT = 187


@rule(code="HW105", inputs=(SMARTCTL, NVME_SMART_LOG),
      fix=(step("smartctl -x {device}"),
           note("Read the drive's error log (`smartctl -l error`, NVMe `nvme error-log`) for when they happened; a "
                "count that grows between two readings means the disk is failing: replace it. Scrub what sits on it "
                "(ZFS scrub, Ceph deep scrub) to find damaged data.")))
def disk_uncorrectable_errors(ctx: Context) -> Iterator[Hit]:
    counted = 0
    for key in (SMARTCTL, NVME_SMART_LOG):
        for f in ctx.facts(key):
            for d in f.value.devices:
                a = d.attributes.get(REPORTED_UNCORRECT)
                media = d.nvme.get("media_errors")
                if a is None and media is None:
                    continue
                counted += 1
                parts, lines = [], []
                if a is not None and a.raw:
                    parts.append(f"{a.id} {a.name} = {a.raw}")
                    lines.append(a.line)
                if media:
                    parts.append(f"Media and Data Integrity Errors = {media}")
                    lines.append(d.nvme_lines.get("media_errors", 0))
                if not parts:
                    continue
                yield Hit(f"{f.node}: {d.name} ({d.model or d.protocol or 'disk'}): " + ", ".join(parts)
                          + ": reads the drive could not correct (the data of those reads was lost or came from "
                          "redundancy)", nodes=f.node, evidence=[f.ref(lines) if any(lines) else f.ref()],
                          params={"device": d.device or "/dev/<disk>"}, when=When.NOW)
    if not counted:
        raise CouldNotCheck("no attribute 187 Reported_Uncorrect and no NVMe media error count in the SMART output")
