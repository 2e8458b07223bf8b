"""LVM108 thin-pool-data-full: a thin pool's data space is (nearly) full, or out of data space."""

from __future__ import annotations

import re
from collections.abc import Iterator

from forewarn.facts import logs
from forewarn.facts.context import Context
from forewarn.model.findings import Severity, When
from forewarn.parse.lvm.report import LVS
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import CouldNotCheck

DOCKER = "k8s.docker_info"  # devicemapper storage driver: its thin pool's space
KINDS = ("thin_pool_out_of_data",)  # docker info's `Data Space Available: 0B` in pasted text
HIGH, CRITICAL = 90.0, 98.0  # CATALOGUE-NEXT LVM108: >= 90 % high, >= 98 % or out of data space critical
_ZERO = re.compile(r"^0(?:\.0+)?\s*[kKMGTP]?i?B$")
FIX = (
    step("lvs -a -o lv_name,vg_name,lv_attr,lv_size,data_percent,metadata_percent {vg}"),
    step("vgs {vg}"),
    note("If the VG has free extents: `lvextend -L +<size> {pool}` (and set `thin_pool_autoextend_threshold = 80`, "
         "`thin_pool_autoextend_percent = 20` in lvm.conf so it grows before it fills)."),
    note("Otherwise free blocks: delete snapshots and orphan volumes the guests no longer use, and let guests "
         "discard (`discard=on` on the disks, `fstrim -av` inside); deleting files in a guest frees nothing "
         "without discard."),
)


def _is_zero(v: str | None) -> bool:
    return bool(v) and bool(_ZERO.match(v.strip()))  # type: ignore[union-attr]


@rule(code="LVM108", inputs=(LVS, DOCKER, *logs.LOG_SPECS), platform="linux", fix=FIX)  # docker alone shows a pool too
def thin_pool_data_full(ctx: Context) -> Iterator[Hit]:
    judged: set[str] = set()
    unknown: list[str] = []
    for node, f in sorted(ctx.by_node(LVS).items()):
        pools = [lv for lv in f.value.lvs if lv.is_thin_pool]
        for lv in pools:
            pct, health = lv.data_percent, lv.attr.health if lv.attr else "unknown"
            if pct is None and lv.active is not False and health != "out of data space":
                unknown.append(f"{node}: {lv.full_name}")
                continue
            judged.add(node)
            out = health == "out of data space"
            if not out and (pct is None or pct < HIGH):
                continue
            sev = Severity.CRITICAL if out or (pct is not None and pct >= CRITICAL) else Severity.HIGH
            why = ("out of data space (lv_attr health `D`): writes that need new blocks fail or queue, "
                   "guests pause or get I/O errors" if out else
                   "new blocks will run out: once full, writes fail or queue and guests pause" if sev is Severity.HIGH
                   else "almost full: the next writes that need new blocks fail or queue and guests pause")
            shown = f"{pct:.2f} %" if pct is not None else "?"
            yield Hit(f"{node}: thin pool {lv.full_name} data {shown} full, {why}",
                      nodes=node, evidence=[f.ref([lv.line])], severity=sev, when=When.NOW,
                      params={"vg": lv.vg, "pool": lv.full_name},
                      details={"pool": lv.full_name, "data_percent": pct, "metadata_percent": lv.metadata_percent,
                               "out_of_data_space": out})
    for node, df in sorted(ctx.by_node(DOCKER).items()):
        d = df.value
        if node in judged or d.data_space_available is None:
            continue
        judged.add(node)
        if _is_zero(d.data_space_available):
            lines = [d.lines.get("data_space_available", 0), d.lines.get("data_space_total", 0)]
            yield Hit(f"{node}: Docker's devicemapper thin pool has no data space left (`Data Space Available: "
                      f"{d.data_space_available}` of {d.data_space_total or '?'}): new layers and container writes "
                      "fail", nodes=node, evidence=[df.ref(lines)], severity=Severity.CRITICAL, when=When.NOW,
                      params={"vg": "<vg>", "pool": "<vg>/<thin-pool>"})
    for node, evs in logs.group_by_node(logs.events(ctx, None, KINDS)).items():
        if node not in judged:
            judged.add(node)
            yield Hit(f"{node}: a thin pool reports no data space left (`{evs[-1].ev.text.strip()[:80]}`)",
                      nodes=node, evidence=logs.refs(evs), severity=Severity.CRITICAL, when=When.PAST,
                      params={"vg": "<vg>", "pool": "<vg>/<thin-pool>"})
    if not judged and not unknown and not ctx.by_node(LVS):
        raise CouldNotCheck("needs `lvs` with data_percent (or devicemapper's `docker info`); only logs were given")
    if unknown and not judged:
        raise CouldNotCheck("lvs did not report data_percent for " + ", ".join(unknown[:4])
                            + " (collect `lvs -o +data_percent,metadata_percent`)")
