"""ZFS102 device-errors: read, write or checksum errors on vdevs, or permanent data errors."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts import logs
from forewarn.facts.context import Context
from forewarn.facts.zpools import no_pools, node_pools
from forewarn.model.findings import Severity, When
from forewarn.parse.pve.zpool_status import ZPOOL_STATUS
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import CouldNotCheck, NotApplicable

# the `status:` line in pasted text; zed's io/checksum/data/probe_failure reports; the kernel's
# `zio pool=... error=5` (signatures/zfs.yaml)
KINDS = ("zfs_device_errors", "zfs_zevent_error", "zfs_zio_error")
ERROR_IDS = ("ZFS-8000-9P", "ZFS-8000-8A")  # openzfs: device errors repaired / data corrupted
FIX = (
    step("zpool status -v {pool}"),
    step("smartctl -a /dev/disk/by-id/{device}"),
    note("Errors on one disk usually mean that disk, its cable or its controller port: check SMART (HW101-HW105) "
         "and the kernel log for I/O and link errors before deciding."),
    note("A failing disk: `zpool replace {pool} {device} <new-disk>`. Otherwise reset the counters with "
         "`zpool clear {pool}` and run `zpool scrub {pool}` to see whether they come back."),
    note("With permanent errors, `zpool status -v {pool}` lists the damaged files: restore them from backup."),
)


@rule(code="ZFS102", inputs=(ZPOOL_STATUS, *logs.LOG_SPECS), fix=FIX)
def device_errors(ctx: Context) -> Iterator[Hit]:
    if no_pools(ctx) and not logs.events(ctx, None, KINDS):
        raise NotApplicable("zpool status: no pools available")
    seen: set[str] = set(ctx.by_node(ZPOOL_STATUS))  # `all pools are healthy` lists no pool, yet it is an answer
    for np in node_pools(ctx):
        p, f = np.pool, np.fact
        counted = [m for m in p.members if m.kind == "disk" and m.errors]
        if not counted and not p.permanent_errors and p.msg_id not in ERROR_IDS:
            continue
        what = ", ".join(f"{m.name} READ {m.read} WRITE {m.write} CKSUM {m.cksum}" for m in counted[:6])
        parts = [f"{np.node}: pool {p.name} ({p.state or '?'})"]
        parts.append(f": errors on {what}" if counted else f": zpool status reports device errors ({p.msg_id})")
        lines = [p.status_line or 0] + [m.line for m in counted]
        if p.permanent_errors:
            parts.append(f"; `errors: {p.errors}` — data is damaged, restore the listed files")
            lines.append(p.errors_line or 0)
            sev = Severity.CRITICAL
        else:
            parts.append(" — ZFS repaired what it could from redundancy; the device may be failing")
            sev = Severity.MEDIUM
        if p.msg_id and counted:
            parts.append(f" ({p.msg_id})")
        yield Hit("".join(parts), nodes=np.node, evidence=[f.ref(lines)], severity=sev, when=When.NOW,
                  params={"pool": p.name, "device": counted[0].name if counted else "<device>"},
                  details={"pool": p.name, "errors": {m.name: [m.read, m.write, m.cksum] for m in counted},
                           "permanent": p.permanent_errors})
    for node, evs in logs.group_by_node(logs.events(ctx, None, KINDS)).items():
        if node in seen:
            continue
        yield _from_log(node, evs)
    if not seen and not logs.events(ctx, None, KINDS):
        raise CouldNotCheck("needs `zpool status` (only logs were given, and they say nothing about pools)")


def _from_log(node: str, evs: list[logs.NodeEvent]) -> Hit:
    """What the log lines say, without `zpool status`."""
    parts: list[str] = []
    status = [e for e in evs if e.kind == "zfs_device_errors"]
    zevents = [e for e in evs if e.kind == "zfs_zevent_error"]
    zios = [e for e in evs if e.kind == "zfs_zio_error"]
    pool, device = "<pool>", "<device>"
    if status:
        e = status[-1]
        parts.append(f"zpool status says one or more devices has experienced {e.attrs.get('what', 'errors')} "
                     f"({len(status)} time(s), last at {logs.time_label(e)})")
    if zevents:
        counts: dict[str, int] = {}
        for e in zevents:
            counts[e.attrs.get("zclass", "?")] = counts.get(e.attrs.get("zclass", "?"), 0) + 1
        what = ", ".join(f"{n} {c}" for c, n in sorted(counts.items()))
        pools = sorted({e.attrs["pool"] for e in zevents if e.attrs.get("pool")})
        pool = pools[0] if pools else pool
        parts.append(f"zed reported {what} error event(s)" + (f" on pool {', '.join(pools)}" if pools else "")
                     + f" (last at {logs.time_label(zevents[-1])})")
    if zios:
        vdevs = sorted({e.attrs.get("vdev", "?") for e in zios})
        pool = zios[-1].attrs.get("pool", pool)
        device = vdevs[0].rsplit("/", 1)[-1]
        parts.append(f"the kernel failed {len(zios)} I/O(s) of pool {zios[-1].attrs.get('pool', '?')} on "
                     f"{', '.join(vdevs[:4])} (error {zios[-1].attrs.get('error', '?')}, last at "
                     f"{logs.time_label(zios[-1])})")
    data = any(e.attrs.get("zclass") == "data" for e in zevents)
    tail = (": ZFS found data it could not repair from redundancy (a `data` event): files are damaged, "
            "`zpool status -v` lists them" if data else
            ": ZFS repairs what redundancy covers; the device may be failing")
    return Hit(f"{node}: " + "; ".join(parts) + tail, nodes=node,
               evidence=logs.refs(evs),
               severity=Severity.HIGH if data else Severity.MEDIUM, when=When.PAST,
               params={"pool": pool, "device": device})
