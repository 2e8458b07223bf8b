"""LNX120 md-raid-degraded: a Linux software RAID (md) array runs degraded or has failed."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from forewarn.facts import logs
from forewarn.facts.context import Context
from forewarn.model.findings import EvidenceRef, Severity, When
from forewarn.parse.host.mdstat import MDADM_DETAIL, MDSTAT, MdArray, MdDetail
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import CouldNotCheck

# `State : ... degraded` or `[2/1] [_U]` in pasted text (signatures/linux.yaml); mdadm --monitor's Fail
# events and the kernel's `md/raidN:mdX: Disk failure on sdY` (signatures/hardware.yaml)
KINDS = ("md_degraded", "md_member_failed")
FIX = (
    step("mdadm --detail /dev/{md}"),
    step("cat /proc/mdstat"),
    note("Check the failed disk before replacing it: `smartctl -a /dev/<disk>` and the kernel log "
         "(`journalctl -k | grep -iE 'I/O error|ata[0-9]|md/raid'`); other arrays on the same disk are at risk too."),
    step("mdadm --manage /dev/{md} --remove {member}", safe=False),
    note("Partition the new disk like the surviving one (`sfdisk -d /dev/<good> | sfdisk /dev/<new>`), then "
         "`mdadm --manage /dev/{md} --add /dev/<new-partition>` and watch the rebuild in /proc/mdstat; on boot "
         "disks also install the boot loader on the new disk."),
)


@dataclass(slots=True)
class _Seen:
    level: str | None = None
    slots: str | None = None
    failed: list[str] = field(default_factory=list)  # member devices marked faulty
    removed: int = 0  # empty slots (`removed`) mdadm lists
    rebuilding: str | None = None  # `recovery 5.0 %`, `spare rebuilding /dev/sdb1`
    array_failed: bool = False
    refs: list[EvidenceRef] = field(default_factory=list)


def _short(dev: str) -> str:
    return dev.removeprefix("/dev/").removeprefix("md/") if dev.startswith("/dev/md/") else dev.removeprefix("/dev/")


def _md_name(dev: str) -> str:
    """`/dev/md/3`, `/dev/md3` and `md3` alike: `md3` (mdadm names /dev/md/N for array mdN)."""
    name = _short(dev)
    return f"md{name}" if name.isdigit() else name


def _from_mdstat(a: MdArray, seen: _Seen) -> None:
    seen.level = seen.level or a.level
    if a.raid_disks is not None:
        seen.slots = f"[{a.raid_disks}/{a.working}] [{a.slots}]"
    seen.failed += [d for d in a.faulty if d not in seen.failed]
    if a.sync_action in ("recovery", "reshape") and a.sync_percent is not None:
        seen.rebuilding = f"{a.sync_action} {a.sync_percent:.1f} %"


def _from_detail(a: MdDetail, seen: _Seen) -> None:
    seen.level = seen.level or a.level
    for d in a.devices:
        if "faulty" in d.state and d.device and _short(d.device) not in seen.failed:
            seen.failed.append(_short(d.device))
        if d.state == "removed":
            seen.removed += 1
        if "rebuilding" in d.state and d.device:
            rs = a.fields.get("Rebuild Status")
            seen.rebuilding = seen.rebuilding or f"rebuilding onto {d.device}" + (f" ({rs})" if rs else "")
    seen.array_failed = seen.array_failed or a.failed


@rule(code="LNX120", inputs=(MDSTAT, MDADM_DETAIL, *logs.LOG_SPECS), fix=FIX)
def md_raid_degraded(ctx: Context) -> Iterator[Hit]:
    judged: set[str] = set()
    for node in ctx.nodes:
        arrays: dict[str, _Seen] = {}
        st, det = ctx.fact(MDSTAT, node), ctx.fact(MDADM_DETAIL, node)
        if st is not None:
            judged.add(node)
            for a in st.value.arrays:
                if a.degraded:
                    s = arrays.setdefault(a.name, _Seen())
                    _from_mdstat(a, s)
                    s.refs.append(st.ref([a.line, a.status_line or 0, a.sync_line or 0]))
        if det is not None:
            judged.add(node)
            for md in det.value.arrays:
                if md.degraded or md.failed:
                    s = arrays.setdefault(_short(md.device), _Seen())
                    _from_detail(md, s)
                    rows = [d.line for d in md.devices if d.state != "active sync"]
                    s.refs.append(det.ref([md.line, md.lines.get("State", 0), *rows]))
        for name, s in sorted(arrays.items()):
            what = [f"{d} failed" for d in s.failed]
            if s.removed and not s.failed:
                what.append(f"{s.removed} slot(s) empty (removed)")
            detail = f" {s.slots}" if s.slots else ""
            msg = f"{node}: md array {name} ({s.level or 'raid'}) is {'FAILED' if s.array_failed else 'degraded'}{detail}"
            if what:
                msg += ": " + ", ".join(what)
            if s.array_failed:
                sev, tail = Severity.CRITICAL, " — too few members to run: its data is unavailable"
            elif s.rebuilding:
                sev, tail = Severity.MEDIUM, f" — {s.rebuilding}: no redundancy until the rebuild finishes"
            else:
                sev, tail = Severity.HIGH, " — no rebuild running: one more disk failure loses the array"
            yield Hit(msg + tail, nodes=node, evidence=s.refs, severity=sev, when=When.NOW,
                      params={"md": name, "member": f"/dev/{s.failed[0]}" if s.failed else "<failed-member>"},
                      details={"array": name, "failed": s.failed, "removed": s.removed, "rebuilding": s.rebuilding})
    for node, evs in logs.group_by_node(logs.events(ctx, None, KINDS)).items():
        if node not in judged:
            failed = [e for e in evs if e.kind == "md_member_failed"]
            if failed:
                pairs = sorted({(_md_name(e.attrs.get("md", "?")), _short(e.attrs.get("member") or "?"))
                                for e in failed})
                lost = ", ".join(f"{m} lost {d}" if d != "?" else m for m, d in pairs)
                yield Hit(f"{node}: md RAID member(s) failed and were kicked out of their array: {lost} "
                          f"({len(failed)} line(s), last at {logs.time_label(failed[-1])}): the array runs "
                          "degraded until the member is replaced or re-added and rebuilt",
                          nodes=node, evidence=logs.refs(evs), severity=Severity.HIGH, when=When.PAST,
                          params={"md": pairs[0][0], "member": f"/dev/{pairs[0][1]}" if pairs[0][1] != "?"
                                  else "<failed-member>"})
                continue
            yield Hit(f"{node}: an md RAID array is reported degraded (`{evs[-1].ev.text.strip()[:80]}`)",
                      nodes=node, evidence=logs.refs(evs), severity=Severity.HIGH, when=When.PAST,
                      params={"md": "<mdN>", "member": "<failed-member>"})
    if not judged and not logs.events(ctx, None, KINDS):
        raise CouldNotCheck("needs /proc/mdstat or `mdadm --detail` (only logs were given)")
