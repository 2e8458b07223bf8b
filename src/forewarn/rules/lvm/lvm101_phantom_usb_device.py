"""LVM101 lvm-scans-phantom-device: LVM keeps opening a USB/IPMI virtual device that has no medium."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts import logs
from forewarn.facts.context import Context
from forewarn.model.findings import EvidenceRef, When
from forewarn.rules import Hit, note, rule, step
from forewarn.rules.lvm._common import LVM_REPORTS, PVE_DEFAULT_REJECTS, USB_REJECT, filter_line, rejects_usb, with_rejects

FIX = (
    step("lvmconfig devices/global_filter devices/scan_lvs"),
    note("In /etc/lvm/lvm.conf, section `devices`, set `{filter_line}` and `scan_lvs = 0` (one "
         "global_filter line only: LVM ignores all but the last one)."),
    step("update-initramfs -u -k all"),
    step("pvs"),
)


@rule(
    code="LVM101", name="lvm-scans-phantom-device", title="LVM scans a phantom USB/IPMI device",
    severity="low", inputs=LVM_REPORTS + ("lvm.conf",) + logs.LOG_SPECS,
    seed="seeds/000_ddaad953b0664170.txt:39", fix=FIX,
)
def phantom_usb_device(ctx: Context) -> Iterator[Hit]:
    """What it does: looks for `No medium found` lines in the output of `lvs`/`vgs`/`pvs` and in
    the logs (`/dev/sdb: open failed: No medium found`), and reads the node's lvm.conf: when the
    device is still scanned and `global_filter` has no reject for `/dev/disk/by-id/usb.*`, the
    node is reported with the devices named.

    Why it matters: servers with a BMC (IPMI virtual media, a card reader) show an empty USB disk
    as /dev/sdX. LVM opens it on every command and at boot, prints the error each time and
    waits on it; worse, it tempts a fix by kernel name (`r|/dev/sdb|`) that breaks booting once
    the names swap (LVM102).

    How to fix: reject USB devices by their stable path in `global_filter`, keeping Proxmox's
    default rejects (`r|/dev/zd.*|`, `r|/dev/rbd.*|`), set `scan_lvs = 0`, then
    `update-initramfs -u -k all` so the copy in the initramfs matches.
    """
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
        conf = ctx.fact("lvm.conf", node)
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
