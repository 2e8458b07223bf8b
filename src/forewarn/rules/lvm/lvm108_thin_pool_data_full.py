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
# docker info's `Data Space Available: 0B` in pasted text; dm-thin's switch to out-of-data-space mode;
# dmeventd's `Thin pool <vg-pool> data is now N% full` (signatures/lvm.yaml)
KINDS = ("thin_pool_out_of_data", "lvm_thin_out_of_data_space", "lvm_thin_pool_percent")
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
    events = [e for e in logs.events(ctx, None, KINDS)
              if e.kind != "lvm_thin_pool_percent" or e.attrs.get("what") == "data"]
    for node, evs in logs.group_by_node(events).items():
        if node not in judged:
            judged.add(node)
            yield _from_log(node, evs)
    if not judged and not unknown and not ctx.by_node(LVS):
        raise CouldNotCheck("needs `lvs` with data_percent (or devicemapper's `docker info`); only logs were given")
    if unknown and not judged:
        raise CouldNotCheck("lvs did not report data_percent for " + ", ".join(unknown[:4])
                            + " (collect `lvs -o +data_percent,metadata_percent`)")


def _from_log(node: str, evs: list[logs.NodeEvent]) -> Hit:
    """What the log lines say, without `lvs`: the worst line decides."""
    out = [e for e in evs if e.kind != "lvm_thin_pool_percent"]
    pct = [e for e in evs if e.kind == "lvm_thin_pool_percent"]
    parts: list[str] = []
    sev = Severity.MEDIUM
    pool = "<vg>/<thin-pool>"
    if out:
        sev = Severity.CRITICAL
        e = out[-1]
        what = ("dm-thin switched the pool to out-of-data-space mode" if e.kind == "lvm_thin_out_of_data_space"
                else "a thin pool reports no data space left")
        parts.append(f"{what} ({len(out)} time(s), last at {logs.time_label(e)}: `{e.ev.text.strip()[:90]}`): "
                     "writes that need new blocks queue, then fail; guests pause or get I/O errors")
    if pct:
        last = pct[-1]
        value = float(last.attrs.get("pct", "0") or 0)
        peak = max(float(e.attrs.get("pct", "0") or 0) for e in pct)
        pool = last.attrs.get("pool", pool)
        if not out:
            sev = (Severity.CRITICAL if peak >= CRITICAL else Severity.HIGH if peak >= HIGH else Severity.MEDIUM)
        parts.append(f"dmeventd warned {len(pct)} time(s) that thin pool {pool} data was filling up, last "
                     f"{value:.2f} % at {logs.time_label(last)}" + (f" (peak {peak:.2f} %)" if peak > value else "")
                     + ("" if out else ": once full, writes fail or queue and guests pause"))
    return Hit(f"{node}: " + "; ".join(parts), nodes=node, evidence=logs.refs(evs), severity=sev, when=When.PAST,
               params={"vg": "<vg>", "pool": "<vg>/<thin-pool>"})
