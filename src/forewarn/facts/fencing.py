"""Fences, near misses and boots in one node's log (shared by PVE103 and the timeline).

Fencing shows in a node's own log as a boot with no clean shutdown before it ("the usual
working lines, then straight into the boot log", seed 001), shortly after the node lost quorum
or its HA agent lost its lock, or as watchdog-mux's `client watchdog expired - disable watchdog
updates` at the very end of a boot. A clean reboot (shutdown markers before the boot) is not a
fence, and neither is a crash with no quorum or lock loss before it.

Moved here from rules/pve/pve103_node_fenced.py so that PVE103 and `forewarn timeline` find the
same fences; `boots` (every boot, classified) was added for the timeline.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from forewarn.facts import logs

KINDS = (
    "boot", "shutdown", "non_primary", "pmxcfs_lost_quorum", "primary", "pmxcfs_quorum",
    "ha_lost_lock", "ha_acquired_lock", "ha_status_change", "watchdog_expiring", "watchdog_expired",
    "watchdog_not_stopped", "watchdog_mux_exit_active", "watchdog", "pmxcfs_cpg_error",
)
LOST_QUORUM = ("non_primary", "pmxcfs_lost_quorum")
HAS_QUORUM = ("primary", "pmxcfs_quorum")
WATCHDOG_FIRED = ("watchdog_expired", "watchdog_not_stopped", "watchdog_mux_exit_active")


@dataclass(slots=True)
class Fence:
    node: str
    trigger: list[logs.NodeEvent] = field(default_factory=list)  # quorum/lock loss, watchdog lines
    boot: logs.NodeEvent | None = None
    certain: bool = False  # a watchdog line says so


@dataclass(slots=True)
class NearMiss:
    node: str
    lost: logs.NodeEvent
    back: logs.NodeEvent
    others: list[logs.NodeEvent] = field(default_factory=list)


@dataclass(slots=True)
class Boot:
    node: str
    event: logs.NodeEvent
    # "fence" (after quorum/lock loss or the watchdog), "clean" (shutdown markers before it),
    # "unclean" (no shutdown and no cluster trouble before it: crash, power loss, reset),
    # "first" (nothing of the previous boot is in the log)
    how: str
    fence: Fence | None = None


@dataclass(slots=True)
class FenceAnalysis:
    fences: list[Fence] = field(default_factory=list)
    misses: list[NearMiss] = field(default_factory=list)
    boots: list[Boot] = field(default_factory=list)


def lock_lost(e: logs.NodeEvent) -> bool:
    if e.kind == "ha_lost_lock":
        return True
    return e.kind == "ha_status_change" and e.attrs.get("to", "").startswith("lost_")


def lock_back(e: logs.NodeEvent) -> bool:
    if e.kind == "ha_acquired_lock":
        return True
    return e.kind == "ha_status_change" and e.attrs.get("from", "").startswith("lost_") \
        and e.attrs.get("to") in ("active", "master", "slave")


def _uniq(evs: list[logs.NodeEvent], pos: dict[int, int]) -> list[logs.NodeEvent]:
    """Each event once, in log order."""
    seen = {id(e): e for e in evs}
    return sorted(seen.values(), key=lambda e: pos.get(id(e), 0))


def _lock_key(e: logs.NodeEvent) -> str:
    """`agent` (the LRM's lock, the one that fences its node) or `manager` (the CRM's)."""
    text = " ".join((e.attrs.get("lock", ""), e.attrs.get("from", ""), e.attrs.get("to", ""), e.ev.prog or ""))
    if "agent" in text or "lrm" in text:
        return "agent"
    return "manager" if "manager" in text or "crm" in text else text


def analyse(node: str, evs: list[logs.NodeEvent]) -> FenceAnalysis:
    """Walk one node's events (of `KINDS`) once: fences, near misses, and every boot."""
    res = FenceAnalysis()
    fences, misses, boots = res.fences, res.misses, res.boots
    pos = {id(e): i for i, e in enumerate(evs)}
    quorum_lost: logs.NodeEvent | None = None
    locks_lost: dict[str, logs.NodeEvent] = {}  # lock or daemon -> first loss event
    watchdog: list[logs.NodeEvent] = []
    context: list[logs.NodeEvent] = []  # what led up to it, for the message
    context_locks: list[logs.NodeEvent] = []  # the lock losses among them (kept apart: a long
    # log without a boot has thousands, and filtering `context` per recovery was quadratic)
    since_boot = 0
    shutdown_after_trouble = False
    prev_boot = False

    def reset() -> None:
        nonlocal quorum_lost, since_boot, shutdown_after_trouble
        quorum_lost = None
        locks_lost.clear()
        watchdog.clear()
        context.clear()
        context_locks.clear()
        since_boot = 0
        shutdown_after_trouble = False

    for e in evs:
        k = e.kind
        if k == "boot":
            if prev_boot:  # `-- Boot x --` followed by the kernel's `Linux version`: one boot
                last = fences[-1].boot if fences else None
                if last is not None and last.ev.text.startswith("--"):
                    fences[-1].boot = e  # the kernel line carries the boot's own time
                if boots and boots[-1].event.ev.text.startswith("--"):
                    boots[-1].event = e
                continue
            prev_boot = True
            how = "first" if not since_boot else "clean" if shutdown_after_trouble else "unclean"
            fence = None
            if since_boot and not shutdown_after_trouble:
                trig = watchdog or ([quorum_lost] if quorum_lost else []) + list(locks_lost.values())
                if trig:
                    fence = Fence(node, _uniq(context + trig, pos), e, certain=bool(watchdog))
                    fences.append(fence)
                    how = "fence"
            boots.append(Boot(node, e, how, fence))
            reset()
            continue
        prev_boot = False
        since_boot += 1
        if k == "shutdown":
            shutdown_after_trouble = True
            continue
        if k in LOST_QUORUM or lock_lost(e) or k in WATCHDOG_FIRED:
            shutdown_after_trouble = False  # only a shutdown after the trouble makes the reboot clean
        if k in LOST_QUORUM:
            quorum_lost = quorum_lost or e
            context.append(e)
        elif k in HAS_QUORUM:
            quorum_lost = None
        elif lock_lost(e):
            locks_lost.setdefault(_lock_key(e), e)
            context.append(e)
            context_locks.append(e)
        elif lock_back(e):
            lost = locks_lost.pop(_lock_key(e), None)
            if lost is not None and _lock_key(e) == "agent":
                others = [x for x in context_locks if x is not lost]
                misses.append(NearMiss(node, lost, e, others))
        elif k in WATCHDOG_FIRED or k == "watchdog_expiring":
            if k in WATCHDOG_FIRED:
                watchdog.append(e)
            context.append(e)
        elif k == "pmxcfs_cpg_error" or (k == "ha_status_change" and "quorum" in e.attrs.get("from", "") + e.attrs.get("to", "")):
            context.append(e)
    if watchdog and not shutdown_after_trouble:
        fences.append(Fence(node, _uniq(context + watchdog, pos), None, True))
    return res
