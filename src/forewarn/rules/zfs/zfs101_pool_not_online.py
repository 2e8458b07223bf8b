"""ZFS101 pool-not-online: a pool or one of its vdevs is DEGRADED, FAULTED, UNAVAIL or SUSPENDED."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts import logs
from forewarn.facts.context import Context
from forewarn.facts.zpools import BAD_POOL, describe, no_pools, node_pools, redundancy_left
from forewarn.model.findings import Severity, When
from forewarn.parse.pve.zpool_status import ZPOOL_STATUS
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import CouldNotCheck, NotApplicable

# the `status:` line in pasted text; zed's statechange of a vdev leaving ONLINE; the kernel's
# "Pool '<p>' ... has been suspended" (signatures/zfs.yaml)
KINDS = ("zfs_pool_degraded", "zfs_vdev_state_bad", "zfs_pool_suspended")
FIX = (
    step("zpool status -v {pool}"),
    note("Find out why the device is gone before replacing it: `smartctl -a /dev/<disk>`, the kernel log "
         "(`journalctl -k | grep -iE 'I/O error|ata[0-9]|reset'`), cables and the controller."),
    step("zpool replace {pool} {device} <new-disk-by-id>", safe=False),
    note("When the old device's path no longer exists, name it by its GUID from `zpool status -g {pool}`; "
         "for a boot pool (rpool) also copy the partition table and set up the ESP on the new disk "
         "(`proxmox-boot-tool format/init`, pve-docs local-zfs.adoc)."),
    step("zpool status {pool}"),
)


def _severity(state: str | None) -> Severity:
    return Severity.CRITICAL if state in BAD_POOL else Severity.HIGH


@rule(code="ZFS101", inputs=(ZPOOL_STATUS, *logs.LOG_SPECS), fix=FIX)
def pool_not_online(ctx: Context) -> Iterator[Hit]:
    if no_pools(ctx) and not logs.events(ctx, None, KINDS):
        raise NotApplicable("zpool status: no pools available")
    seen: set[str] = set(ctx.by_node(ZPOOL_STATUS))  # `all pools are healthy` lists no pool, yet it is an answer
    for np in node_pools(ctx):
        p, f = np.pool, np.fact
        bad = [m for m in p.members if m.state and m.state not in ("ONLINE", "AVAIL", "INUSE")]
        if (p.state or "ONLINE") == "ONLINE" and not bad:
            continue
        down = [m for m in bad if m.kind == "disk"]
        groups = sorted({m.parent for m in down if m.parent})
        left = {g: redundancy_left(p, g) for g in groups}
        lost = [g for g, n in left.items() if n == 0]
        parts = [f"{np.node}: pool {p.name} is {p.state or 'not ONLINE'}"]
        if bad:
            parts.append(": " + ", ".join(describe(m) for m in bad[:6]) + (" …" if len(bad) > 6 else ""))
        if p.state in BAD_POOL:
            parts.append(" — the pool cannot serve its data" if p.state != "SUSPENDED" else
                         " — I/O to the pool is suspended: every guest or program on it hangs")
        elif lost:
            parts.append(f" — no redundancy left in {', '.join(lost)}: one more failed disk there loses the pool")
        elif p.state == "DEGRADED":
            parts.append(" — it runs on reduced redundancy")
        if p.msg_id:
            parts.append(f" ({p.msg_id})")
        lines = [p.state_line or p.line, p.status_line or 0, p.root.line if p.root else 0] + [m.line for m in bad]
        sev = _severity(p.state)
        yield Hit("".join(parts), nodes=np.node, evidence=[f.ref(lines)], severity=sev, when=When.NOW,
                  params={"pool": p.name, "device": down[0].name if down else "<failed-device>"},
                  details={"pool": p.name, "state": p.state, "members": {m.name: m.state for m in bad},
                           "redundancy_left": left})
    for node, evs in logs.group_by_node(logs.events(ctx, None, KINDS)).items():
        if node in seen:
            continue  # the node's zpool status says more than a pasted status line
        yield _from_log(node, evs)
    if not seen and not logs.events(ctx, None, KINDS):
        raise CouldNotCheck("needs `zpool status` (only logs were given, and they say nothing about pools)")


def _from_log(node: str, evs: list[logs.NodeEvent]) -> Hit:
    """What the log lines say, without `zpool status`: the worst kind decides."""
    suspended = [e for e in evs if e.kind == "zfs_pool_suspended"]
    states = [e for e in evs if e.kind == "zfs_vdev_state_bad"]
    status = [e for e in evs if e.kind == "zfs_pool_degraded"]
    parts: list[str] = []
    pool = "<pool>"
    if suspended:
        pool = suspended[-1].attrs.get("pool", pool)
        pools = sorted({e.attrs.get("pool", "?") for e in suspended})
        parts.append(f"the kernel suspended pool {', '.join(pools)} after an uncorrectable I/O failure "
                     f"({len(suspended)} time(s), last at {logs.time_label(suspended[-1])}): I/O to it hangs "
                     "until the devices are back and `zpool clear` runs")
    if states:
        seen_states = sorted({e.attrs.get("state", "?") for e in states})
        pool = states[-1].attrs.get("pool", pool) if pool == "<pool>" else pool
        parts.append(f"zed reported a vdev going {'/'.join(seen_states)} ({len(states)} time(s), last at "
                     f"{logs.time_label(states[-1])})")
    if status:
        e = status[-1]
        parts.append(f"zpool status says one or more devices {e.attrs.get('what', 'failed')} ({len(status)} "
                     f"time(s), last at {logs.time_label(e)})")
    tail = "" if suspended else ": the pool runs degraded or not at all"
    return Hit(f"{node}: " + "; ".join(parts) + tail, nodes=node, evidence=logs.refs(evs),
               severity=Severity.CRITICAL if suspended else Severity.HIGH, when=When.PAST,
               params={"pool": pool, "device": "<failed-device>"})
