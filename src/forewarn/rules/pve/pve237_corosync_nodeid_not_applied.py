"""PVE237 corosync-nodeid-not-applied: the running corosync membership uses node ids that the loaded
nodelist (corosync.conf) no longer has: a nodeid was changed and corosync only reloaded."""

from __future__ import annotations

import re
from collections.abc import Iterator

from forewarn.facts.context import Context
from forewarn.model.findings import When
from forewarn.parse.pve.corosync_cmapctl import CMAPCTL, Cmap, CmapMember
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import CouldNotCheck

FIX = (
    step("corosync-cmapctl nodelist; corosync-cmapctl runtime.members"),
    note("A nodeid change takes effect only when corosync starts: once every node's corosync.conf carries "
         "the same, final nodelist, stop corosync on all nodes and start it again (on Proxmox VE also "
         "restart pve-cluster; with Pacemaker stop the cluster stack with `pcs cluster stop --all` first). "
         "A reload (`corosync-cfgtool -R`) is not enough."),
    note("If the new ids were not meant, restore the old nodeids in corosync.conf (increment config_version) "
         "so the file matches the running membership again."),
)
_IP = re.compile(r"ip\(([^)]+)\)")


def _named(m: CmapMember, cmap: Cmap) -> str:
    """`3 (10.77.0.13, node3 has nodeid 7 in the nodelist)`: the stray id and the entry with its address."""
    ips = _IP.findall(m.ip or "")
    entry = next((n for n in cmap.nodelist if ips and set(ips) & set(n.addrs.values())), None)
    if entry is None:
        return f"{m.nodeid} ({', '.join(ips) or 'address unknown'})"
    return f"{m.nodeid} ({', '.join(ips)}: {entry.name or 'its entry'} has nodeid {entry.nodeid} in the nodelist)"


@rule(code="PVE237", inputs=(CMAPCTL,), fix=FIX, when=When.NOW)
def corosync_nodeid_not_applied(ctx: Context) -> Iterator[Hit]:
    checked = 0
    for node, f in sorted(ctx.by_node(CMAPCTL).items()):
        cmap = f.value
        ids = {n.nodeid for n in cmap.nodelist if n.nodeid is not None}
        joined = [m for m in cmap.members if m.joined]
        if cmap.service_error or not ids or not joined:
            continue
        checked += 1
        stray = [m for m in joined if m.nodeid not in ids]
        local = cmap.local_node
        own = (cmap.this_node_id is not None and local is not None and local.nodeid is not None
               and local.nodeid != cmap.this_node_id)
        if not stray and not own:
            continue
        parts = []
        if stray:
            parts.append(f"the running membership has node id(s) {', '.join(_named(m, cmap) for m in stray)}, "
                         f"which the loaded nodelist (ids {', '.join(str(i) for i in sorted(ids))}) does not have")
        if own and local is not None:
            parts.append(f"this node runs as nodeid {cmap.this_node_id} while its own nodelist entry says "
                         f"{local.nodeid}")
        lines = [m.line for m in stray] + [n.line for n in cmap.nodelist]
        if own:
            lines.append(cmap.lines.get("runtime.votequorum.this_node_id", 0))
        yield Hit(
            f"{node}: corosync.conf and the running corosync disagree about node ids: {'; '.join(parts)}. A "
            f"nodeid was changed and corosync only reloaded (it applies no nodeid change at runtime): tools "
            f"that map members to names (pcs `Error mapping`, Pacemaker, `corosync-quorumtool` without a name) "
            f"see those nodes as unknown or offline, and the next restart of some nodes only joins them under "
            f"other ids (high: a cluster whose config and membership agree never shows it)",
            nodes=node, evidence=[f.ref(lines)],
            details={"stray": [m.nodeid for m in stray], "nodelist_ids": sorted(ids)})
    if not checked:
        raise CouldNotCheck("no corosync-cmapctl output with both the nodelist and running members")
