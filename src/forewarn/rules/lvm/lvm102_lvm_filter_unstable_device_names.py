"""LVM102 lvm-filter-unstable-device-names: an LVM filter names kernel devices (`/dev/sdb`)."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts.context import Context
from forewarn.rules import Hit, note, rule, step
from forewarn.facts.lvm import PVE_DEFAULT_REJECTS, USB_REJECT, filter_line, kernel_device, split_pattern
from forewarn.parse.lvm.conf import LVM_CONF, INITRAMFS_CONF

WHERE = {LVM_CONF: "/etc/lvm/lvm.conf", INITRAMFS_CONF: "the lvm.conf inside the initramfs"}


@rule(
    code="LVM102",
    inputs=(LVM_CONF, INITRAMFS_CONF),
    fix=(
            step("ls -l /dev/disk/by-id/ | grep -w -e {devices_grep}"),
            note("In /etc/lvm/lvm.conf replace the line with `{new_line}` (if {devices} is not the USB / "
                 "IPMI virtual device, use its name from /dev/disk/by-id/ instead of usb.*)."),
            step("update-initramfs -u -k all"),
            step("lvmconfig devices/{key}"),
        ),
)
def filter_unstable_names(ctx: Context) -> Iterator[Hit]:
    for spec, where in WHERE.items():
        for f in ctx.facts(spec):
            for s in (f.value.filter, f.value.global_filter):
                if s is None:
                    continue
                bad = [(i, d) for i in s.items if (d := kernel_device(i))]
                if not bad:
                    continue
                devs = list(dict.fromkeys(d for _, d in bad))
                new: list[str] = []
                for item in s.items:
                    dev = kernel_device(item)
                    p = split_pattern(item)
                    if dev is None or p is None:
                        new.append(item)
                    elif p[0] == "r":
                        new.append(USB_REJECT)
                    else:
                        new.append(f"a|/dev/disk/by-id/<id of {dev}>.*|")
                if s.key == "global_filter":
                    new = [r for r in PVE_DEFAULT_REJECTS if r not in new] + new
                new = list(dict.fromkeys(new))
                shown = ", ".join(f'"{i}"' for i, _ in bad)
                yield Hit(
                    f"{f.node}: {where} line {s.line}: {s.key} has {shown}, tied to the kernel name"
                    f"{'s' if len(devs) > 1 else ''} {', '.join('/dev/' + d for d in devs)}, which can "
                    "change at the next boot",
                    nodes=f.node, evidence=[f.ref(range(s.line, s.end_line + 1))],
                    params={"key": s.key, "new_line": filter_line(s.key, new),
                            "devices": ", ".join("/dev/" + d for d in devs),
                            "devices_grep": " -e ".join(devs)},
                    details={"items": [i for i, _ in bad], "spec": spec},
                )
