"""ZFS110 hostid-mismatch: the pool carries another hostid than the system's (ZFS-8000-EY)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from forewarn.facts import logs
from forewarn.facts.context import Context
from forewarn.facts.zpools import no_pools, node_pools
from forewarn.model.findings import When
from forewarn.parse.pve.zpool_status import ZPOOL_STATUS
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import CouldNotCheck, NotApplicable

KINDS = ("zfs_hostid_mismatch",)
MSG_ID = "ZFS-8000-EY"
_TEXT = re.compile(r"Mismatch between pool hostid and system hostid")
FIX = (
    step("hostid"),
    step("zdb -C {pool} | grep hostid"),
    note("Make /etc/hostid final (`zgenhostid` writes it once; `zgenhostid -f <id>` sets a given one), then rebuild "
         "the initramfs so it carries the same file: `update-initramfs -u -k all` (Debian, Proxmox VE; "
         "then `proxmox-boot-tool refresh` where it manages the ESPs) or `dracut -f`."),
    note("Reboot (or export and import a data pool once) so the pool records this system's hostid."),
)


@rule(code="ZFS110", inputs=(ZPOOL_STATUS, *logs.LOG_SPECS), fix=FIX)
def hostid_mismatch(ctx: Context) -> Iterator[Hit]:
    if no_pools(ctx) and not logs.events(ctx, None, KINDS):
        raise NotApplicable("zpool status: no pools available")
    seen: set[str] = set(ctx.by_node(ZPOOL_STATUS))  # `all pools are healthy` lists no pool, yet it is an answer
    for np in node_pools(ctx):
        p = np.pool
        if p.msg_id != MSG_ID and not _TEXT.search(p.status):
            continue
        yield Hit(f"{np.node}: pool {p.name} was imported with another hostid than this system's ({MSG_ID}): "
                  "the next import at boot may refuse it, which stops the boot of a root pool",
                  nodes=np.node, evidence=[np.fact.ref([p.status_line or 0, p.see_line or 0])], when=When.NOW,
                  params={"pool": p.name}, details={"pool": p.name})
    for node, evs in logs.group_by_node(logs.events(ctx, None, KINDS)).items():
        if node not in seen:
            yield Hit(f"{node}: zpool status reports a mismatch between pool hostid and system hostid ({MSG_ID})",
                      nodes=node, evidence=logs.refs(evs), when=When.PAST, params={"pool": "<pool>"})
    if not seen and not logs.events(ctx, None, KINDS):
        raise CouldNotCheck("needs `zpool status` (only logs were given, and they say nothing about pools)")
