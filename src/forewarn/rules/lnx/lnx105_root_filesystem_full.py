"""LNX105 root-filesystem-full: `/` (or a separate `/var`) is nearly full."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts.context import Context
from forewarn.model.findings import Severity, When
from forewarn.parse.host.df import DF, DfEntry
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import CouldNotCheck

MOUNTS = ("/", "/var")  # where pmxcfs' database, logs, apt and RRD data live
HIGH, CRITICAL = 90, 98  # CATALOGUE-NEXT LNX105 (its "< 5 GB free" clause would flag small healthy roots)
FIX = (
    step("df -h {mount}"),
    step("du -xh --max-depth=2 {mount} 2>/dev/null | sort -h | tail -n 20"),
    step("journalctl --vacuum-size=500M", safe=False),
    step("apt-get clean"),
    note("Other usual suspects: old kernels (`apt autoremove --purge`), ISO images and backups in /var/lib/vz "
         "(`local` storage), core dumps, and files deleted but still open (`lsof +L1`)."),
)


def _gib(n: int | None) -> str:
    if n is None:
        return "?"
    return f"{n / (1 << 30):.1f} GiB" if n >= 1 << 30 else f"{n / (1 << 20):.0f} MiB"


@rule(code="LNX105", inputs=(DF,), fix=FIX)
def root_filesystem_full(ctx: Context) -> Iterator[Hit]:
    missing: list[str] = []
    for node, f in sorted(ctx.by_node(DF).items()):
        entries: list[DfEntry] = [e for m in MOUNTS if (e := f.value.at(m)) is not None]
        if not any(e.mount == "/" for e in entries):
            missing.append(node)
        for e in entries:
            pct = e.use_percent
            if pct is None or (pct < HIGH and e.available != 0):
                continue
            critical = pct >= CRITICAL or e.available == 0
            what = ("writes fail now: pmxcfs cannot write /etc/pve, apt and logging break" if critical else
                    "the next log burst, package upgrade or ISO upload fills it")
            yield Hit(f"{node}: {e.mount} ({e.filesystem}) is {pct} % full, {_gib(e.available)} free — {what}",
                      nodes=node, evidence=[f.ref([e.line])], when=When.NOW,
                      severity=Severity.CRITICAL if critical else Severity.HIGH,
                      params={"mount": e.mount}, details={"mount": e.mount, "use_percent": pct,
                                                          "available": e.available, "size": e.size})
    if missing and len(missing) == len(ctx.by_node(DF)):
        raise CouldNotCheck("df does not list / on " + ", ".join(missing[:4]))
