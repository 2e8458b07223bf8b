"""LVM101 lvm-scans-phantom-device: LVM keeps opening a USB/IPMI virtual device that has no medium."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts import logs
from forewarn.facts.context import Context
from forewarn.model.findings import EvidenceRef, When
from forewarn.rules import Hit, note, rule, step
from forewarn.facts.lvm import LVM_REPORTS, PVE_DEFAULT_REJECTS, USB_REJECT, filter_line, rejects_usb, with_rejects
from forewarn.parse.lvm.conf import LVM_CONF

FIX = (
    step("lvmconfig devices/global_filter devices/scan_lvs"),
    note("In /etc/lvm/lvm.conf, section `devices`, set `{filter_line}` and `scan_lvs = 0` (one "
         "global_filter line only: LVM ignores all but the last one)."),
    step("update-initramfs -u -k all"),
    step("pvs"),
)


@rule(code="LVM101", inputs=LVM_REPORTS + (LVM_CONF,) + logs.LOG_SPECS, fix=FIX)
def phantom_usb_device(ctx: Context) -> Iterator[Hit]:
    seen: dict[str, tuple[list[str], list[EvidenceRef], bool]] = {}
    for spec in LVM_REPORTS:
        for f in ctx.facts(spec):
            msgs = [m for m in f.value.messages if m.kind == "no_medium"]
            if not msgs:
                continue
            devs, refs, _ = seen.setdefault(f.node, ([], [], True))
            devs.extend(m.device for m in msgs if m.device and m.device not in devs)
            refs.append(f.ref([m.line for m in msgs]))
    for node in ctx.nodes:
        evs = logs.events(ctx, node, ("lvm_no_medium",))
        if not evs:
            continue
        devs, refs, now = seen.setdefault(node, ([], [], False))
        devs.extend(d for e in evs if (d := e.attrs.get("dev")) and d not in devs)
        refs.extend(logs.refs(evs))
    for node, (devs, refs, now) in sorted(seen.items()):
        conf = ctx.fact(LVM_CONF, node)
        gf = conf.value.global_filter if conf else None
        items = gf.items if gf else ()
        if conf and rejects_usb(items):
            continue  # the lines predate the filter, or name a device that is not on USB
        if conf is None:
            state = "lvm.conf was not collected, so its global_filter is unknown"
        elif gf is None:
            state = "lvm.conf sets no global_filter"
        else:
            state = f"global_filter (line {gf.line}) has no reject for /dev/disk/by-id/usb.*"
            refs = refs + [conf.ref(range(gf.line, gf.end_line + 1))]
        new = with_rejects(items, PVE_DEFAULT_REJECTS + (USB_REJECT,))
        yield Hit(
            f"{node}: LVM cannot open {', '.join(devs) or 'a device'} (No medium found) and scans it on "
            f"every command: {state}",
            nodes=node, evidence=refs, params={"filter_line": filter_line("global_filter", new)},
            when=When.NOW if now else When.PAST, details={"devices": devs},
        )
