"""LVM107 thin-pool-metadata-full: a thin pool's metadata is (nearly) full, or read-only."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts import logs
from forewarn.facts.context import Context
from forewarn.model.findings import Severity, When
from forewarn.parse.lvm.report import LVS
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import CouldNotCheck

HIGH, CRITICAL = 80.0, 95.0  # CATALOGUE-NEXT LVM107: >= 80 % high, >= 95 % critical
# dmeventd's `Thin pool <vg-pool> metadata is now N% full`; dm-thin's failed metadata allocation
# (signatures/lvm.yaml)
KINDS = ("lvm_thin_pool_percent", "lvm_thin_metadata_full")
FIX = (
    step("lvs -a -o lv_name,vg_name,lv_attr,lv_size,data_percent,metadata_percent {vg}"),
    step("vgs {vg}"),
    step("lvextend --poolmetadatasize +1G {pool}", safe=False),
    note("The metadata LV grows from the VG's free extents (`vgs` VFree); without them, add a PV first. "
         "Many thin snapshots fill metadata fastest: remove the ones no longer needed."),
    note("A pool whose metadata went read-only (lv_attr health `M`) may need `lvconvert --repair {pool}` after the "
         "extension (it uses the pool metadata spare, [lvol0_pmspare]); back up what is readable first."),
    note("Let LVM extend it by itself: `thin_pool_autoextend_threshold = 80` and `thin_pool_autoextend_percent = 20` "
         "in lvm.conf (dmeventd monitoring on)."),
)


@rule(code="LVM107", inputs=(LVS, *logs.LOG_SPECS), fix=FIX)
def thin_pool_metadata_full(ctx: Context) -> Iterator[Hit]:
    unknown: list[str] = []
    judged = False
    for node, f in sorted(ctx.by_node(LVS).items()):
        for lv in (lv for lv in f.value.lvs if lv.is_thin_pool):
            pct = lv.metadata_percent
            read_only = lv.attr is not None and lv.attr.health == "metadata read only"
            if pct is None and not read_only:
                if lv.active is not False:
                    unknown.append(f"{node}: {lv.full_name}")
                continue
            judged = True
            if not read_only and (pct is None or pct < HIGH):
                continue
            critical = read_only or (pct is not None and pct >= CRITICAL)
            shown = f"{pct:.2f} %" if pct is not None else "?"
            why = ("read-only (lv_attr health `M`): no new blocks can be mapped, writes fail, and the metadata may "
                   "need a repair" if read_only else
                   "full metadata stops every thin volume of the pool and can corrupt it" if critical else
                   "when it is full, every thin volume of the pool stops and the metadata can be corrupted")
            yield Hit(f"{node}: thin pool {lv.full_name} metadata {shown} full, {why}",
                      nodes=node, evidence=[f.ref([lv.line])], when=When.NOW,
                      severity=Severity.CRITICAL if critical else Severity.HIGH,
                      params={"vg": lv.vg, "pool": lv.full_name},
                      details={"pool": lv.full_name, "metadata_percent": pct, "data_percent": lv.data_percent,
                               "metadata_read_only": read_only})
    with_lvs = set(ctx.by_node(LVS))
    events = [e for e in logs.events(ctx, None, KINDS)
              if e.kind != "lvm_thin_pool_percent" or e.attrs.get("what") == "metadata"]
    for node, evs in logs.group_by_node(events).items():
        if node in with_lvs:
            continue  # `lvs` of the node says more than past log lines
        judged = True
        yield _from_log(node, evs)
    if not judged and not unknown and not with_lvs:
        raise CouldNotCheck("needs `lvs` with metadata_percent; only logs were given and they hold no thin-pool "
                            "metadata warning")
    if unknown and not judged:
        raise CouldNotCheck("lvs did not report metadata_percent for " + ", ".join(unknown[:4])
                            + " (collect `lvs -o +data_percent,metadata_percent`)")


def _from_log(node: str, evs: list[logs.NodeEvent]) -> Hit:
    """What the log lines say, without `lvs`: a failed metadata allocation is the worst."""
    full = [e for e in evs if e.kind == "lvm_thin_metadata_full"]
    pct = [e for e in evs if e.kind == "lvm_thin_pool_percent"]
    parts: list[str] = []
    sev = Severity.HIGH
    if full:
        sev = Severity.CRITICAL
        parts.append(f"dm-thin could not allocate a metadata block ({len(full)} line(s), last at "
                     f"{logs.time_label(full[-1])}: `{full[-1].ev.text.strip()[-90:]}`): the pool's metadata is full, "
                     "the pool aborts its transaction and goes read-only, and its metadata may need a repair")
    if pct:
        peak = max(float(e.attrs.get("pct", "0") or 0) for e in pct)
        last = pct[-1]
        if peak >= CRITICAL:
            sev = Severity.CRITICAL
        parts.append(f"dmeventd warned {len(pct)} time(s) that thin pool {last.attrs.get('pool', '?')} metadata was "
                     f"filling up, last {float(last.attrs.get('pct', '0') or 0):.2f} % at {logs.time_label(last)}"
                     + ("" if full else ": when it is full, every thin volume of the pool stops and the metadata can "
                        "be corrupted"))
    return Hit(f"{node}: " + "; ".join(parts), nodes=node, evidence=logs.refs(evs), when=When.PAST, severity=sev,
               params={"vg": "<vg>", "pool": "<vg>/<thin-pool>"})
