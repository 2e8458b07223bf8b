"""PVE131 zfs-replication-diverged: storage replication fails because source and target snapshots
no longer match."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts import logs
from forewarn.facts.context import Context
from forewarn.facts.guests import guests
from forewarn.model.findings import When
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import NotApplicable
from forewarn.parse.pve.guest_config import GUEST_CONFIG
from forewarn.parse.pve.pvesr_status import PVESR_STATUS
from forewarn.parse.pve.section_config import REPLICATION_CFG
from forewarn.parse.pve.task_log import TASK_LOG
from forewarn.parse.pve.zfs import ZFS_SNAPSHOTS, Snapshot

FIX = (
    note("Only the target's copy is deleted: the source keeps the guest's disks. Make sure the "
         "target node does not run the guest and that nothing else uses that dataset."),
    step("zfs destroy -r {dataset}", safe=False, on="{target}"),
    step("pvesr schedule-now {job}"),
    step("pvesr status"),
)


@rule(
    code="PVE131", reads=(GUEST_CONFIG, REPLICATION_CFG),
    inputs=(PVESR_STATUS, ZFS_SNAPSHOTS, TASK_LOG, *logs.LOG_SPECS),
    fix=FIX,
)
def zfs_replication_diverged(ctx: Context) -> Iterator[Hit]:
    repl_cfg = next(iter(ctx.facts(REPLICATION_CFG)), None)
    targets: dict[str, str] = {}
    if repl_cfg is not None:
        for s in repl_cfg.value.sections:
            if s.get("target"):
                targets[s.id] = s.get("target") or ""
    owners = {str(g.vmid): g.owner for g in guests(ctx) if g.owner}
    any_evidence = bool(targets)
    reported: set[tuple[str, str]] = set()

    # 1. pvesr status
    for node, f in ctx.by_node(PVESR_STATUS).items():
        for job in f.value.jobs:
            any_evidence = True
            if not job.failing:
                continue
            target = job.target_node or targets.get(job.id) or "<target>"
            reported.add((node, job.id))
            yield Hit(f"{node}: replication job {job.id} (guest {job.guest}) to {target} is failing: "
                      f"FailCount {job.fail_count}, state {job.state!r}, last sync {job.last_sync or 'never'}",
                      nodes=node, evidence=[f.ref([job.line])],
                      params={"job": job.id, "target": target, "dataset": "<pool>/<vm-disk of guest "
                              f"{job.guest}>"},
                      when=When.NOW, details={"job": job.id, "fail_count": job.fail_count, "state": job.state})

    # 2. logs: most recent snapshot of X does not match incremental source
    for node in ctx.nodes:
        evs = logs.events(ctx, node, ("replication_snapshot_mismatch",))
        if not evs:
            continue
        any_evidence = True
        by_vol: dict[str, list[logs.NodeEvent]] = {}
        for e in evs:
            by_vol.setdefault(e.attrs.get("volume", "?"), []).append(e)
        for vol, group in by_vol.items():
            vmid = _vmid(vol)
            jid = next((j for j in targets if vmid and j.split("-")[0] == vmid), None) or \
                (f"{vmid}-0" if vmid else "<job>")
            target = targets.get(jid) or "<target node>"
            yield Hit(f"{node}: zfs receive refused an incremental send {len(group)} time(s): most recent "
                      f"snapshot of {vol} does not match incremental source (first at {logs.time_label(group[0])}"
                      f"; job {jid} to {target})",
                      nodes=node, evidence=logs.refs(group), when=When.PAST,
                      params={"job": jid, "target": target, "dataset": vol})

    # 3. compare __replicate_ snapshots between source and target
    snaps = ctx.by_node(ZFS_SNAPSHOTS)
    if snaps:
        any_evidence = True
    jobs_seen: set[str] = set()
    for zf in snaps.values():
        jobs_seen.update(j for snap in zf.value.replication() if (j := snap.replication_job))
    for jid in sorted(jobs_seen):
        dest = targets.get(jid)
        vmid = jid.split("-")[0]
        source = owners.get(vmid)
        holders = [n for n, zf in snaps.items() if zf.value.replication(jid)]
        if dest is None or source is None:
            # without replication.cfg / guest configs, a pair of nodes holding the job's snapshots
            if len(holders) != 2:
                continue
            source = source or next((n for n in holders if n != dest), holders[0])
            dest = dest or next(n for n in holders if n != source)
        sf, tf = snaps.get(source), snaps.get(dest)
        if sf is None or tf is None:
            continue
        src_by_ds: dict[str, list[Snapshot]] = {}
        for snap in sf.value.replication(jid):
            src_by_ds.setdefault(snap.dataset, []).append(snap)
        tgt_by_ds: dict[str, list[Snapshot]] = {}
        for snap in tf.value.replication(jid):
            tgt_by_ds.setdefault(snap.dataset, []).append(snap)
        for ds, tsnaps in sorted(tgt_by_ds.items()):
            ssnaps = src_by_ds.get(ds)
            if not ssnaps:
                continue
            src_keys = {(s.name, s.guid) for s in ssnaps}
            common = [s for s in tsnaps if (s.name, s.guid) in src_keys]
            if common:
                continue
            same_name = [s for s in tsnaps if s.name in {x.name for x in ssnaps}]
            why = ("same snapshot name, different guid" if same_name else
                   f"source has {', '.join(s.name for s in ssnaps)}, target has "
                   f"{', '.join(s.name for s in tsnaps)}")
            yield Hit(f"replication job {jid} ({source} -> {dest}): {ds} has no common "
                      f"replication snapshot on both nodes ({why}); the next incremental send will fail",
                      nodes=[dest, source],
                      evidence=[tf.ref([s.line for s in tsnaps]), sf.ref([s.line for s in ssnaps])],
                      params={"job": jid, "target": dest, "dataset": ds, "node": source},
                      when=When.NOW, details={"job": jid, "dataset": ds})

    if not any_evidence:
        raise NotApplicable("no replication jobs, replication logs or replication snapshots")


def _vmid(volume: str) -> str | None:
    import re

    m = re.search(r"(?:vm|subvol|base)-(\d+)-disk", volume)
    return m.group(1) if m else None
