"""HW102 disk-pending-sectors: sectors the disk could not read (197 pending, 198 offline uncorrectable)."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts import logs
from forewarn.facts.context import Context
from forewarn.model.findings import Severity, When
from forewarn.parse.hw.smartctl import SMARTCTL
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import CouldNotCheck, NotApplicable

PENDING, OFFLINE_UNC = 197, 198
KINDS = ("smartd_unreadable_sectors",)  # smartd's syslog warning (signatures/hardware.yaml)


@rule(code="HW102", inputs=(SMARTCTL, *logs.LOG_SPECS),
      fix=(note("The data in those sectors could not be read: restore it from the redundancy (ZFS scrub, Ceph deep "
                "scrub and repair, mdadm check) or from backup, and plan the disk's replacement soon; a sector the "
                "disk cannot read today is the first of more."),
           step("smartctl -t long {device}"), step("smartctl -l selftest {device}")))
def disk_pending_sectors(ctx: Context) -> Iterator[Hit]:
    counted = 0
    ata = False
    unread: list[str] = []
    for f in ctx.facts(SMARTCTL):
        for d in f.value.devices:
            if d.error and not d.attributes and d.passed is None:
                unread.append(f"{f.node} {d.name}: `{d.error}`")
                continue
            if d.protocol != "NVMe" and (d.attributes or d.passed is not None):
                ata = True
            found = [d.attributes[i] for i in (PENDING, OFFLINE_UNC) if i in d.attributes]
            if not found:
                continue
            counted += 1
            bad = [a for a in found if a.raw]
            if not bad:
                continue
            what = " and ".join(f"{a.id} {a.name} = {a.raw}" for a in bad)
            yield Hit(f"{f.node}: {d.name} ({d.model or 'disk'}): {what}: sectors the disk could not read back; the "
                      "data in them is lost unless redundancy or a backup has it, and the count usually grows "
                      "(the overall SMART verdict stays PASSED: these attributes have no threshold)",
                      nodes=f.node, evidence=[f.ref([a.line for a in bad]) if any(a.line for a in bad) else f.ref()],
                      params={"device": d.device or "/dev/<disk>"}, when=When.NOW,
                      details={"pending": d.attributes[PENDING].raw if PENDING in d.attributes else None,
                               "offline_uncorrectable": d.attributes[OFFLINE_UNC].raw if OFFLINE_UNC in d.attributes
                               else None})
    with_smartctl = {f.node for f in ctx.facts(SMARTCTL)}
    from_log = False
    for node, evs in logs.group_by_node(logs.events(ctx, None, KINDS)).items():
        if node in with_smartctl:
            continue  # smartctl's current attributes say more than smartd's past warnings
        from_log = True
        last: dict[tuple[str, str], logs.NodeEvent] = {}
        for e in evs:
            last[(e.attrs.get("device", "?"), e.attrs.get("what", "?"))] = e
        what = "; ".join(f"{dev}: {e.attrs.get('count', '?')} {kind.lower()}" for (dev, kind), e in sorted(last.items()))
        device = sorted(last)[0][0]
        yield Hit(f"{node}: smartd warned {len(evs)} time(s) (last at {logs.time_label(evs[-1])}) — {what}: sectors "
                  "the disk could not read back; the data in them is lost unless redundancy or a backup has it, "
                  "and the count usually grows (`smartctl -A` shows the current count)",
                  nodes=node, evidence=logs.refs(evs), params={"device": device}, when=When.PAST,
                  severity=Severity.HIGH, details={"devices": sorted({d for d, _ in last})})
    if counted or from_log:
        return
    if not with_smartctl:
        raise CouldNotCheck("needs `smartctl -A` of the disks (only logs were given, and smartd warned of no "
                            "unreadable sectors in them)")
    if unread and not ata:
        raise CouldNotCheck("smartctl could not read the disks: " + "; ".join(unread[:4]))
    if not ata:
        raise NotApplicable("NVMe drives have no pending-sector attributes (their media errors are HW105's)")
    raise CouldNotCheck("no attribute 197 or 198 in the SMART output (cut, `smartctl -H` only, or a drive that "
                        "does not report them)")
