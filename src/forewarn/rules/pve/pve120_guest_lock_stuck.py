"""PVE120 guest-lock-stuck: a guest config carries a `lock:` that blocks other operations."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts import logs
from forewarn.facts.context import Context
from forewarn.facts.guests import guests
from forewarn.model.findings import When
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import StepTemplate
from forewarn.parse.pve.guest_config import GUEST_CONFIG

# What each lock means and which task should be running while it is set.
_TASK = {
    "backup": "backup (vzdump)", "migrate": "migration", "snapshot": "snapshot",
    "snapshot-delete": "snapshot removal", "rollback": "rollback", "clone": "clone",
    "create": "creation or restore", "copy": "disk copy", "disk": "disk operation",
    "fstrim": "fstrim", "destroyed": "removal", "mounted": "`pct mount`",
}


def _fix(tool: str, vmid: str, lock: str, node: str) -> list[StepTemplate]:
    task = _TASK.get(lock, f"`{lock}` operation")
    check = note(f"First make sure no task still holds it: no {task} task of {vmid} running on {node} "
                 f"(Tasks panel, or `ps aux | grep -E 'vzdump|qmigrate|vzmigrate|{vmid}'` there).")
    if lock == "suspended":
        return [note(f"{vmid} was hibernated: its RAM state is on disk. Resume it with "
                     f"`qm resume {vmid}` (or start it); `qm unlock` would throw that state away.")]
    if lock == "mounted":
        return [check, step(f"pct unmount {vmid}", on=node)]
    out = [check, step(f"{tool} unlock {vmid}", on=node)]
    if lock == "backup":
        out.append(note("A backup that died can also leave a `vzdump` snapshot behind: check "
                        f"`{tool} listsnapshot {vmid}` and the storage for a leftover snapshot."))
    return out


@rule(code="PVE120", inputs=(GUEST_CONFIG,) + logs.LOG_SPECS)
def guest_lock_stuck(ctx: Context) -> Iterator[Hit]:
    for g in guests(ctx):
        lock = g.config.lock
        if not lock:
            continue
        node = g.owner or g.fact.node
        kind = "CT" if g.kind == "lxc" else "VM"
        task = _TASK.get(lock, f"`{lock}` operation")
        if lock == "suspended":
            msg = (f"{node}: {kind} {g.vmid} is locked (suspended): it was hibernated; other operations "
                   "are refused until it is resumed")
        else:
            msg = (f"{node}: {kind} {g.vmid} is locked ({lock}) — if no {task} task of it is running "
                   f"(the evidence has no task list), the lock is stale and blocks migration, backup, "
                   f"snapshots and config changes of {g.vmid}")
        yield Hit(msg, nodes=node, evidence=[g.fact.ref([g.config.lines.get("lock", 0)])],
                  fix=_fix(g.tool, str(g.vmid), lock, node), when=When.CONFIG,
                  details={"vmid": g.vmid, "lock": lock, "kind": g.kind})

    evs = logs.events(ctx, None, ("guest_locked",))
    groups: dict[tuple[str, str, str, str], list[logs.NodeEvent]] = {}
    for e in evs:
        key = (e.node, e.attrs.get("type", "VM"), e.attrs.get("vmid", ""), e.attrs.get("lock", "?"))
        groups.setdefault(key, []).append(e)
    for (node, typ, vmid, lock), group in groups.items():
        tool = "pct" if typ == "CT" else "qm"
        who = f"{typ} {vmid}" if vmid else f"a {typ}"
        yield Hit(
            f"{node}: an operation was refused because {who} is locked ({lock}) "
            f"({len(group)} time(s), first at {logs.time_label(group[0])}) — if no {_TASK.get(lock, lock)} "
            "task is running, the lock is stale",
            nodes=node, evidence=logs.refs(group), when=When.PAST,
            fix=_fix(tool, vmid or "<vmid>", lock, node),
            details={"type": typ, "vmid": vmid or None, "lock": lock, "count": len(group)},
        )
