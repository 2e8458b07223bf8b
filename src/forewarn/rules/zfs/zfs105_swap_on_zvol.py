"""ZFS105 swap-on-zvol: an active swap area is a ZFS volume (/dev/zdN, /dev/zvol/...)."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts.context import Context
from forewarn.model.findings import When
from forewarn.parse.host.swaps import SWAPS
from forewarn.rules import Hit, note, rule, step

FIX = (
    step("swapoff {device}", safe=False),
    note("Remove its line from /etc/fstab (or mask the `dev-zd*.swap` / `dev-zvol-*.swap` unit) so it stays off "
         "after a reboot, and destroy the zvol when nothing else uses it (`zfs destroy <pool>/swap`)."),
    note("If the host needs swap, put it on a plain partition (or zram); and lower `vm.swappiness` "
         "(pve-docs local-zfs.adoc suggests 10) in /etc/sysctl.d/."),
    step("cat /proc/swaps"),
)


# /dev/zd* is itself ZFS evidence: no zpool output is needed for the rule to apply
@rule(code="ZFS105", inputs=(SWAPS,), platform="linux", fix=FIX)
def swap_on_zvol(ctx: Context) -> Iterator[Hit]:
    for node, f in sorted(ctx.by_node(SWAPS).items()):
        for a in f.value.areas:
            if a.on_zvol:
                yield Hit(f"{node}: swap is active on the ZFS volume {a.name} ({a.size} KiB, {a.used} used): under "
                          "memory pressure, swapping to a zvol needs ZFS to allocate memory and the host can stall or "
                          "hang (often during backups)",
                          nodes=node, evidence=[f.ref([a.line])], when=When.NOW,
                          params={"device": a.name}, details={"device": a.name, "size": a.size, "used": a.used})
