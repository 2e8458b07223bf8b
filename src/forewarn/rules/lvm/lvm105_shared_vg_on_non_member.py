"""LVM105 shared-vg-on-non-member: a host outside the cluster uses the shared VG."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts import logs
from forewarn.facts.context import Context
from forewarn.facts.logs import LOG_SPECS
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import CouldNotCheck, NotApplicable
from forewarn.facts.lvm import LVM_REPORTS, shared_vgs, vgs_by_node
from forewarn.parse.host.hostname import HOSTNAME
from forewarn.parse.pve.corosync_conf import COROSYNC_CONF, COROSYNC_CONF_LOCAL
from forewarn.parse.pve.section_config import STORAGE_CFG

COROSYNC = (COROSYNC_CONF, COROSYNC_CONF_LOCAL)


@rule(code="LVM105", reads=(*LOG_SPECS, HOSTNAME, COROSYNC_CONF, COROSYNC_CONF_LOCAL, STORAGE_CFG), inputs=LVM_REPORTS)
def shared_vg_non_member(ctx: Context) -> Iterator[Hit]:
    shared = shared_vgs(ctx)
    if not shared:
        raise NotApplicable("no shared VG: storage.cfg has no shared LVM storage and no VG is seen by "
                            "more than one node")
    confs = [f for spec in COROSYNC for f in ctx.facts(spec)]
    if not confs:
        raise CouldNotCheck("no corosync.conf from any node: the cluster's members are unknown")
    members: list[str] = []
    for f in confs:
        members.extend(n.name for n in f.value.nodes if n.name and n.name not in members)
    if not members:
        raise CouldNotCheck("corosync.conf has no nodelist")
    conf = max(confs, key=lambda f: f.value.config_version or 0)
    nodelist = conf.value.tree.child("nodelist")
    conf_ref = conf.ref([nb.line_of("name") or nb.line for nb in nodelist.all("node")] if nodelist else [])
    ext4 = logs.events(ctx, None, ("ext4_error",))
    by_node = vgs_by_node(ctx)
    for node in sorted(by_node):
        vgs = [vg for vg in by_node[node] if vg in shared]
        if not vgs:
            continue
        hn = ctx.fact(HOSTNAME, node)
        names = {node}
        if hn is not None:
            names.update({hn.value.name, hn.value.short})
        if names & set(members):
            continue
        also = f" (host name {hn.value.name})" if hn is not None and hn.value.name != node else ""
        refs = [by_node[node][vg] for vg in vgs] + [conf_ref]
        if hn is not None:
            refs.append(hn.ref([hn.value.line]))
        damage = ""
        if ext4:
            where: dict[str, set[str]] = {}
            for e in ext4:
                where.setdefault(e.node, set()).add(e.attrs.get("dev", "?"))
            damage = "; the logs already show ext4 errors on " + ", ".join(
                f"{', '.join(sorted(d))} on {n}" for n, d in sorted(where.items()))
            refs.extend(logs.refs(ext4))
        vgtext = ", ".join(vgs)
        member = next((m for m in members if m in ctx.nodes), members[0])
        yield Hit(
            f"{node}{also} sees the shared VG{'s' if len(vgs) > 1 else ''} {vgtext} but is not in the "
            f"cluster's nodelist ({', '.join(members)}): cluster locks do not cover it{damage}",
            nodes=node, evidence=refs,
            fix=[step(f"vgchange -an {vg}", safe=False, on=node) for vg in vgs] + [
                note(f"On {node}: remove the storage of {vgtext} from its storage configuration and log "
                     "out of the iSCSI target; then check the cluster's volumes (`lvs " + vgtext.split(', ')[0]
                     + "` on a member, `pct fsck` / `qm` disks of the guests that logged errors)."),
                note(f"{node} must have no guests with IDs the cluster uses before it joins."),
                step(f"pvecm add {member}", safe=False, on=node),
                step("pvecm status", on=node),
            ],
            details={"vgs": vgs, "members": members, "ext4_errors": len(ext4)},
        )
