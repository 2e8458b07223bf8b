"""PVE111 ha-replication-mismatch: HA may recover a guest on a node that holds no replica of its
local disks; it then cannot start there (a time bomb)."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts.context import Context, Fact
from forewarn.model.findings import EvidenceRef, Severity, When
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import CouldNotCheck, NotApplicable, StepTemplate
from forewarn.facts.cluster import NODES_KEYS, cluster_nodes, first_fact
from forewarn.facts.guests import guest_map
from forewarn.facts.ha import HA_KEYS, ha_resources, placement
from forewarn.facts.storage import is_shared, shared_storages, storage_desc, storage_type
from forewarn.parse.pve.guest_config import GUEST_CONFIG, Volume
from forewarn.parse.pve.section_config import HA_RESOURCES_CFG, HA_RULES_CFG, REPLICATION_CFG, STORAGE_CFG, Section, SectionConfig


def _jobs(rep: Fact[SectionConfig] | None, vmid: int) -> list[Section]:
    if rep is None:
        return []
    return [s for s in rep.value.by_type("local") if s.id.split("-", 1)[0] == str(vmid)]


def _next_job_ids(jobs: list[Section], vmid: int, count: int) -> list[str]:
    used = {int(s.id.split("-", 1)[1]) for s in jobs if s.id.split("-", 1)[1].isdigit()}
    out: list[str] = []
    n = 0
    while len(out) < count:
        if n not in used:
            out.append(f"{vmid}-{n}")
        n += 1
    return out


@rule(code="PVE111", reads=(*NODES_KEYS, *HA_KEYS, REPLICATION_CFG), inputs=(HA_RESOURCES_CFG, GUEST_CONFIG, STORAGE_CFG))
def ha_replication_mismatch(ctx: Context) -> Iterator[Hit]:
    resources = ha_resources(ctx)
    if not any(r.recovered_on_failure for r in resources):
        raise NotApplicable("every HA resource is `disabled` or `ignored`: HA recovers none of them")
    for spec, what in ((GUEST_CONFIG, "guest configs"), (STORAGE_CFG, "/etc/pve/storage.cfg")):
        if not ctx.has(spec):
            raise CouldNotCheck(f"HA resources are configured but the evidence has no {what}"
                                + ctx.why_missing([spec]))
    storage_fact = first_fact(ctx, STORAGE_CFG)
    scfg = storage_fact.value if storage_fact else None
    rep = first_fact(ctx, REPLICATION_CFG)
    rules_present = first_fact(ctx, HA_RULES_CFG) is not None
    gmap = guest_map(ctx)
    all_nodes, nodes_from = cluster_nodes(ctx)

    for res in resources:
        if res.vmid is None or res.kind not in ("vm", "ct") or not res.recovered_on_failure:
            continue
        g = gmap.get(res.vmid)
        if g is None or g.owner is None:
            continue
        current = g.owner
        local: list[Volume] = []
        for v in g.config.volumes:
            if v.is_cdrom or v.key.startswith("unused") or v.storage is None:
                continue
            if is_shared(scfg, v.storage) is False:
                local.append(v)
        if not local:
            continue
        jobs = _jobs(rep, res.vmid)
        active = [s for s in jobs if not s.flag("disable") and s.get("target")]
        targets = sorted({t for s in active if (t := s.get("target")) and t != current})
        never = [v for v in local if v.opts.get("replicate") == "0"]

        place = placement(ctx, res)
        others = [n for n in all_nodes if n != current]
        if place.source in ("group", "rule") and place.preferred:
            preferred = [n for n in place.preferred if n != current]
            fallback = [] if place.strict else [n for n in others if n not in place.preferred]
        else:
            preferred, fallback = others, []
        missing_pref = [n for n in preferred if n not in targets or never]
        missing_fb = [n for n in fallback if n not in targets or never]
        if not missing_pref and not missing_fb:
            continue

        where = {"group": f"HA group `{place.name}`", "rule": f"node-affinity rule `{place.name}`",
                 "none": f"no HA group or node-affinity rule: any node ({nodes_from})"}[place.source]
        if place.source != "none" and not place.preferred:
            where += " (not found: HA treats it as any node)"
        strict = (" (restricted)" if place.source == "group" else " (strict)") if place.strict else ""
        vols = ", ".join(f"{v.key}={v.volume} on {storage_desc(scfg, v.storage or '')}" for v in local[:4])
        tgt = ", ".join(targets) if targets else "none"
        if rep is None:
            tgt += " (no replication.cfg in the evidence: no replication job)"
        parts = []
        if missing_pref:
            parts.append(f"HA may recover it on {', '.join(missing_pref)}, which hold{'s' if len(missing_pref) == 1 else ''} "
                         "no replica")
        if missing_fb:
            parts.append(f"as the {place.source} is not {'restricted' if place.source == 'group' else 'strict'}, "
                         f"also on {', '.join(missing_fb)} when those are down (no replica there either)")
        if never:
            parts.append(f"{', '.join(v.key for v in never)} ha{'s' if len(never) == 1 else 've'} replicate=0 "
                         "and exist on no other node")
        msg = (f"{res.sid} runs on {current} with local disks ({vols}); {where}{strict}; replication targets: "
               f"{tgt}. " + "; ".join(parts)[:1].upper() + "; ".join(parts)[1:] + " — after a failover there it cannot start.")

        evidence: list[EvidenceRef] = [res.fact.ref(res.section.lines())]
        if place.fact is not None and place.section is not None:
            evidence.append(place.fact.ref(place.section.lines()))
        if rep is not None and jobs:
            evidence.append(rep.ref([n for s in jobs for n in s.lines()]))
        evidence.append(g.fact.ref([v.line for v in local]))
        if storage_fact is not None:
            secs = [s for s in storage_fact.value.sections if s.id in {v.storage for v in local if v.storage}]
            if secs:
                evidence.append(storage_fact.ref([n for s in secs for n in s.lines()]))

        good = [current] + [t for t in targets if t not in (missing_pref + missing_fb)]
        nodes_arg = ",".join(dict.fromkeys(good))
        conf_dir = "lxc" if g.kind == "lxc" else "qemu-server"
        fix: list[StepTemplate] = []
        if not never:
            if place.source == "rule":
                fix.append(step(f"ha-manager rules set node-affinity {place.name} --nodes \"{nodes_arg}\" --strict 1",
                                on=None))
            elif place.source == "group":
                fix.append(step(f"ha-manager groupset {place.name} --nodes \"{nodes_arg}\" --restricted 1", on=None))
            elif rules_present:
                fix.append(step(f"ha-manager rules add node-affinity ha-{res.vmid}-replicas --resources {res.sid} "
                                f"--nodes \"{nodes_arg}\" --strict 1", on=None))
            else:
                fix.append(step(f"ha-manager groupadd ha-{res.vmid}-replicas --nodes \"{nodes_arg}\" --restricted 1",
                                on=None))
                fix.append(step(f"ha-manager set {res.sid} --group ha-{res.vmid}-replicas", on=None))
            fix.append(note(f"Option 1 above keeps {res.sid} on nodes that hold its disks ({nodes_arg}). "
                            "Option 2 below: give the nodes HA may choose a copy of the disks."))
        missing = list(dict.fromkeys(missing_pref + missing_fb))
        unreplicable = [v for v in local if storage_type(scfg, v.storage or "") != "zfspool"]
        if unreplicable:
            shared = shared_storages(scfg, "rootdir" if g.kind == "lxc" else "images")
            target = shared[0] if shared else "<a shared storage>"
            tool = "pct move-volume" if g.kind == "lxc" else "qm disk move"
            moving = ", ".join(f"{v.key} ({storage_desc(scfg, v.storage or '')})" for v in unreplicable)
            fix.append(note(f"{moving}: "
                            "storage replication only copies ZFS (zfspool) volumes, so these need shared "
                            "storage (or ZFS) instead."))
            for v in unreplicable:
                fix.append(step(f"{tool} {res.vmid} {v.key} {target}", on=current))
        if len(unreplicable) < len(local):
            for job_id, node in zip(_next_job_ids(jobs, res.vmid, len(missing)), missing):
                fix.append(step(f"pvesr create-local-job {job_id} {node} --schedule '*/15'", on=current))
        if never:
            fix.append(note(f"Remove `replicate=0` from {', '.join(v.key for v in never)} "
                            f"(`{'pct' if g.kind == 'lxc' else 'qm'} set {res.vmid} --{never[0].key} ...`) or "
                            "move those disks to shared storage: no replication job copies them."))
        replica_node = targets[0] if targets else current
        fix.append(note(f"If HA already moved {res.sid} to a node without its disks: disable it "
                        f"(`ha-manager set {res.sid} --state disabled`), move the config to a node "
                        f"with a valid replica ({replica_node}) and start it there, as below "
                        f"(example: it landed on {missing[0]})."))
        fix.append(step(f"mv /etc/pve/nodes/{missing[0]}/{conf_dir}/{res.vmid}.conf "
                        f"/etc/pve/nodes/{replica_node}/{conf_dir}/{res.vmid}.conf", safe=False, on=replica_node))
        fix.append(step(f"{'pct' if g.kind == 'lxc' else 'qm'} start {res.vmid}", on=replica_node))
        yield Hit(msg, nodes=[current, *missing], evidence=evidence, fix=fix, when=When.CONFIG,
                  severity=Severity.CRITICAL if missing_pref or never else Severity.HIGH,
                  details={"sid": res.sid, "node": current, "ha_nodes_without_replica": missing,
                           "replication_targets": targets, "placement": place.source})
