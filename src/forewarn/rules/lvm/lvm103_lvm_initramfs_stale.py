"""LVM103 lvm-initramfs-stale: lvm.conf changed, the initramfs still carries the old copy."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone

from forewarn.facts.context import Context
from forewarn.model.findings import EvidenceRef
from forewarn.rules import Hit, rule, step
from forewarn.rules._engine import CouldNotCheck
from forewarn.parse.lvm.boot_files import BOOT_FILES
from forewarn.parse.lvm.conf import LVM_CONF, INITRAMFS_CONF

COMPARED = ("devices/filter", "devices/global_filter", "activation/auto_activation_volume_list")


def _ago(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 172800:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"


def _shown(items: tuple[str, ...] | None) -> str:
    if items is None:
        return "unset"
    return "[" + ", ".join(f'"{i}"' for i in items) + "]"


@rule(
    code="LVM103", reads=(LVM_CONF,),
    inputs=(BOOT_FILES, INITRAMFS_CONF),
    fix=(step("update-initramfs -u -k all"),
             step("stat -c '%Y %s %n' /etc/lvm/lvm.conf /boot/initrd.img-*")),
)
def initramfs_stale(ctx: Context) -> Iterator[Hit]:
    checked = False
    nodes = sorted({f.node for spec in (BOOT_FILES, INITRAMFS_CONF) for f in ctx.facts(spec)})
    for node in nodes:
        reasons: list[str] = []
        refs: list[EvidenceRef] = []
        bf = ctx.fact(BOOT_FILES, node)
        if bf is not None:
            conf, initrd = bf.value.lvm_conf, bf.value.newest_initrd
            if conf is not None and initrd is not None:
                checked = True
                if conf.mtime > initrd.mtime:
                    when = datetime.fromtimestamp(conf.mtime, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
                    reasons.append(f"/etc/lvm/lvm.conf ({when}) is {_ago(conf.mtime - initrd.mtime)} newer "
                                   f"than the newest initramfs {initrd.path}")
                    refs.append(bf.ref([conf.line, initrd.line]))
        inner, outer = ctx.fact(INITRAMFS_CONF, node), ctx.fact(LVM_CONF, node)
        if inner is not None and outer is not None:
            checked = True
            for path in COMPARED:
                a, b = inner.value.get(path), outer.value.get(path)
                ia, ib = (a.items if a else None), (b.items if b else None)
                if ia == ib:
                    continue
                key = path.split("/", 1)[1]
                reasons.append(f"{key} inside the initramfs is {_shown(ia)}, in /etc/lvm/lvm.conf {_shown(ib)}")
                if a:
                    refs.append(inner.ref(range(a.line, a.end_line + 1)))
                if b:
                    refs.append(outer.ref(range(b.line, b.end_line + 1)))
        if reasons:
            yield Hit(f"{node}: " + "; ".join(reasons) + ": the next boot uses the old LVM settings",
                      nodes=node, evidence=refs)
    if not checked:
        raise CouldNotCheck("no initramfs image time next to lvm.conf's, and no copy of lvm.conf from "
                            "inside the initramfs together with /etc/lvm/lvm.conf")
