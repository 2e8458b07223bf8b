"""PVE132 storage-not-on-node: a local storage (zfspool, lvm, lvmthin) is defined for every node
while some node does not have its pool or volume group."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from forewarn.facts import logs
from forewarn.facts.context import Context, Fact
from forewarn.model.findings import When
from forewarn.facts.logs import LOG_SPECS
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import CouldNotCheck, NotApplicable
from forewarn.facts.storage import storage_cfg
from forewarn.parse.lvm.report import VGS
from forewarn.parse.pve.section_config import STORAGE_CFG
from forewarn.parse.pve.zpool_status import ZPOOL_STATUS

LOCAL_TYPES = ("zfspool", "lvm", "lvmthin")

FIX = (
    step("pvesm set {storage} --nodes {nodes}"),
    note("Same as the seed's fix: in /etc/pve/storage.cfg add the line `nodes {nodes}` (indented "
         "with a tab) under `{type}: {storage}`; /etc/pve is shared, so one edit covers the cluster."),
)


@rule(code="PVE132", reads=(*LOG_SPECS, VGS, ZPOOL_STATUS), inputs=(STORAGE_CFG,), fix=FIX)
def storage_not_on_node(ctx: Context) -> Iterator[Hit]:
    cfg_f, cfg = storage_cfg(ctx)
    if cfg is None:
        raise CouldNotCheck("storage.cfg could not be read")
    local = [s for s in cfg.sections if s.type in LOCAL_TYPES and not s.flag("disable")]
    if not local:
        raise NotApplicable("no zfspool, lvm or lvmthin storage in storage.cfg")
    pools = ctx.by_node(ZPOOL_STATUS)
    vgs = {n: (f, set(f.value.names)) for n, f in ctx.by_node(VGS).items()}
    no_pool_events = {n: logs.events(ctx, n, ("zfs_no_pool",)) for n in ctx.nodes}
    # lvm2's `Volume group "X" not found`, and the `Cannot process volume group X` that follows it (pvestatd,
    # vgs, vgchange: the VG could not be read on this node)
    no_vg_events = {n: logs.events(ctx, n, ("lvm_vg_not_found", "lvm_cannot_process_vg")) for n in ctx.nodes}
    offline_events = {n: logs.events(ctx, n, ("pve_storage_not_online",)) for n in ctx.nodes}
    checked = False
    for s in local:
        restricted = s.list("nodes")
        resource = (s.get("pool") or "").split("/", 1)[0] if s.type == "zfspool" else (s.get("vgname") or "")
        if not resource:
            continue
        kind = "pool" if s.type == "zfspool" else "volume group"
        have: list[str] = []
        lack: list[tuple[str, Fact[Any], list[int]]] = []  # node, fact, lines
        if s.type == "zfspool":
            for n, zf in pools.items():
                checked = True
                st = zf.value
                if st.get(resource):
                    have.append(n)
                else:
                    lines = [st.no_pools_line] if st.no_pools_line else [p.line for p in st.pools]
                    lack.append((n, zf, lines))
        else:
            for n, (vf, names) in vgs.items():
                checked = True
                if resource in names:
                    have.append(n)
                else:
                    lack.append((n, vf, []))
        log_lack: dict[str, list[logs.NodeEvent]] = {}
        for n in ctx.nodes:
            if s.type == "zfspool":
                mine = [e for e in no_pool_events[n] if e.attrs.get("pool") == resource]
            else:
                mine = [e for e in no_vg_events[n] if e.attrs.get("vg") == resource]
            mine += [e for e in offline_events[n] if e.attrs.get("storage") == s.id]
            if mine:
                checked = True
                log_lack[n] = mine
        lacking_nodes = sorted({n for n, _, _ in lack} | set(log_lack))
        for n in lacking_nodes:
            if restricted and n not in restricted:
                continue  # the storage is not meant for this node
            holders = sorted(set(have) - {n}) or sorted((set(restricted) if restricted else
                                                         set(ctx.nodes)) - set(lacking_nodes))
            nodes_param = ",".join(holders) if holders else f"<nodes that have {resource}>"
            ev = [cfg_f.ref(s.lines())] if cfg_f else []
            parts: list[str] = []
            fact_entry = next((x for x in lack if x[0] == n), None)
            if fact_entry:
                _, lacking, lines = fact_entry
                ev.append(lacking.ref(lines))
                parts.append(f"{'`zpool status`' if s.type == 'zfspool' else '`vgs`'} shows no {kind} {resource}")
            if n in log_lack:
                ev.extend(logs.refs(log_lack[n]))
                said = {"zfs_no_pool": f"`cannot open '{resource}': no such pool`",
                        "lvm_vg_not_found": f"`Volume group \"{resource}\" not found`",
                        "lvm_cannot_process_vg": f"`Cannot process volume group {resource}`",
                        "pve_storage_not_online": f"`storage '{s.id}' is not online`"}
                kinds = sorted({e.kind for e in log_lack[n]})
                parts.append(f"its log says {' and '.join(said[k] for k in kinds)} "
                             f"{len(log_lack[n])} time(s) (last at {logs.time_label(log_lack[n][-1])})"
                             + ("" if fact_entry else f" (if {n} should have it, its disk or path is gone or an "
                                                      "lvm.conf filter hides it: check that before restricting the storage)"))
            scope = (f"lists {n} in `nodes`" if restricted else "has no `nodes` line, so every node must have it")
            yield Hit(f"{n}: storage '{s.id}' ({s.type}, {kind} {resource}) {scope}, but "
                      + " and ".join(parts),
                      nodes=n, evidence=ev,
                      params={"storage": s.id, "nodes": nodes_param, "type": s.type, "node": n},
                      when=When.PAST if fact_entry is None else When.NOW,
                      details={"storage": s.id, "resource": resource, "have": holders})
    if not checked:
        raise CouldNotCheck("needs `zpool status` / `vgs` of the nodes, or their logs, to know who has "
                            "which pool or volume group")
