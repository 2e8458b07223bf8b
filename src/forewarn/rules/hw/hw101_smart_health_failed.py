"""HW101 smart-health-failed: a disk's own SMART verdict is FAILED, or an NVMe critical warning is set."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts.context import Context
from forewarn.model.findings import Severity, When
from forewarn.parse.hw.smartctl import NVME_SMART_LOG, SMARTCTL, SmartDevice
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import CouldNotCheck

# NVMe base specification, SMART / Health Information log, byte 0 (Critical Warning)
NVME_BITS = {
    0x01: "available spare below its threshold",
    0x02: "temperature outside its thresholds",
    0x04: "NVM subsystem reliability degraded (media or internal errors, or rated endurance used up)",
    0x08: "media placed in read-only mode",
    0x10: "volatile memory backup device failed",
    0x20: "persistent memory region read-only",
}


def _nvme(d: SmartDevice) -> tuple[str, Severity] | None:
    cw = d.nvme.get("critical_warning")
    if not cw:
        return None
    bits = [why for bit, why in NVME_BITS.items() if cw & bit] or [f"unknown bits 0x{cw:02x}"]
    text = f"NVMe critical warning 0x{cw:02x}: " + "; ".join(bits)
    used, spare, thresh = (d.nvme.get(k) for k in ("percentage_used", "available_spare", "available_spare_threshold"))
    if cw == 0x04 and used is not None and used >= 100 and spare is not None and thresh is not None and spare > thresh:
        # the drive sets bit 2 when its rated endurance is reached, while spare blocks are left
        return (text + f" — here with Percentage Used {used}% and Available Spare {spare}% above its {thresh}% "
                "threshold: the rated write endurance is used up, so failures become likely, but the spare is "
                "not exhausted yet"), Severity.HIGH
    if cw & ~0x02 == 0:
        return text + " (temperature only)", Severity.HIGH
    return text, Severity.CRITICAL


@rule(code="HW101", inputs=(SMARTCTL, NVME_SMART_LOG),
      fix=(note("Back up what is on the disk now, then replace it: for a ZFS vdev `zpool replace`, for a Ceph OSD "
                "mark it out and let recovery finish before removing it, for mdadm fail and remove the member."),
           step("smartctl -x {device}")))
def smart_health_failed(ctx: Context) -> Iterator[Hit]:
    verdicts = 0
    unread: list[str] = []
    for key in (SMARTCTL, NVME_SMART_LOG):
        for f in ctx.facts(key):
            for d in f.value.devices:
                if d.error and d.passed is None and not d.nvme:
                    unread.append(f"{f.node} {d.name}: `{d.error}`")
                    continue
                if d.passed is None and "critical_warning" not in d.nvme:
                    continue
                verdicts += 1
                nv = _nvme(d)
                if d.passed is False:
                    failing = [a for a in d.attributes.values() if a.when_failed.lower() in ("failing_now", "now")]
                    att = ("; attributes failing now: " + ", ".join(f"{a.id} {a.name} (value {a.value} <= threshold "
                                                                   f"{a.thresh}, raw {a.raw_text})" for a in failing)
                           if failing else "")
                    lines = [d.health_line] + [a.line for a in failing]
                    msg = (f"{f.node}: {d.name} ({d.model or d.protocol or 'disk'}): the drive's SMART overall-health "
                           f"self-assessment is FAILED{att}" + (f"; {nv[0]}" if nv else "")
                           + ": the drive itself predicts its failure (smartctl: \"Drive failure expected in less "
                           "than 24 hours\")")
                    yield Hit(msg, nodes=f.node, evidence=[f.ref(lines) if any(lines) else f.ref()],
                              severity=Severity.CRITICAL, params={"device": d.device or "/dev/<disk>"}, when=When.NOW)
                elif nv is not None:
                    lines = [d.nvme_lines.get(k, 0) for k in ("critical_warning", "percentage_used", "available_spare",
                                                              "available_spare_threshold")]
                    yield Hit(f"{f.node}: {d.name} ({d.model or 'NVMe'}): {nv[0]}", nodes=f.node,
                              evidence=[f.ref(lines) if any(lines) else f.ref()], severity=nv[1],
                              params={"device": d.device or "/dev/<nvme>"}, when=When.NOW)
    if not verdicts:
        if unread:
            raise CouldNotCheck("smartctl could not read the disks: " + "; ".join(unread[:4]))
        raise CouldNotCheck("the SMART output has no overall health (`smartctl -A` only?): needs `smartctl -a`, "
                            "`-x` or `-H`")
