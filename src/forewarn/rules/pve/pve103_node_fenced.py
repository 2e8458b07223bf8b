"""PVE103 node-fenced: an HA node was reset by its watchdog after it lost the cluster.

Fencing shows in a node's own log as a boot with no clean shutdown before it ("the usual
working lines, then straight into the boot log", seed 001), shortly after the node lost quorum
or its HA agent lost its lock, or as watchdog-mux's `client watchdog expired - disable watchdog
updates` at the very end of a boot. A clean reboot (shutdown markers before the boot) is not a
fence, and neither is a crash with no quorum or lock loss before it.

The fences are found by `forewarn.facts.fencing` (shared with `forewarn timeline`, which shows the
same fences); this module words them.
"""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts import logs
from forewarn.facts.context import Context
from forewarn.facts.corosync_episodes import by_log_host
from forewarn.facts.fencing import KINDS, LOST_QUORUM, WATCHDOG_FIRED, Fence, analyse
from forewarn.facts.fencing import lock_lost as _lock_lost
from forewarn.model.findings import Severity, When
from forewarn.rules import Hit, note, rule, step
from forewarn.parse.pve.section_config import HA_RESOURCES_CFG

FIX = (
    step("journalctl -b -1 -n 60 --no-pager"),
    step("journalctl -b -1 -u corosync -u pve-cluster -u pve-ha-lrm -u pve-ha-crm -u watchdog-mux --no-pager"),
    step("ha-manager status"),
    note("The fence is the HA stack doing its job: a node that cannot renew its lock for about 60 s is "
         "reset so its HA guests can be recovered elsewhere without running twice. The cause is what cut "
         "{node} off: see PVE102/PVE101 for the corosync network."),
    note("Seed 001: fix the network, roll back the last update, move corosync to a physically separate "
         "network (and a second knet link) — whichever caused the fencing."),
    note("Before planned network or switch work, put the node in maintenance so it cannot fence: "
         "`ha-manager crm-command node-maintenance enable {node}` (and `disable` afterwards)."),
)


def _t(e: logs.NodeEvent) -> str:
    return logs.time_label(e)


def _gap(a: logs.NodeEvent, b: logs.NodeEvent) -> str:
    if a.ts is not None and b.ts is not None:
        return f" ({int((b.ts - a.ts).total_seconds())} s later)"
    return ""


def _msg(e: logs.NodeEvent) -> str:
    return e.ev.text.split(": ", 1)[-1].strip() if ": " in e.ev.text else e.ev.text


def fence_message(f: Fence) -> str:
    wd = next((e for e in f.trigger if e.kind == "watchdog_expired"), None) \
        or next((e for e in f.trigger if e.kind in WATCHDOG_FIRED), None)
    armed = next((e for e in f.trigger if e.kind == "watchdog_not_stopped"), None)
    lost_q = next((e for e in f.trigger if e.kind in LOST_QUORUM), None)
    lost_l = next((e for e in f.trigger if _lock_lost(e)), None)
    first = lost_q or lost_l
    parts: list[str] = []
    if first is not None:
        what = "lost quorum" if first is lost_q else f"lost its HA lock ({first.attrs.get('lock') or _msg(first)})"
        parts.append(f"{f.node}: {what} at {_t(first)}")
    else:
        parts.append(f"{f.node}:")
    if wd is not None:
        parts.append(f"the HA watchdog expired at {_t(wd)} (`{_msg(wd)}`)")
        if armed is not None:
            parts.append(f"and the kernel watchdog was left running ({_t(armed)}: `{_msg(armed)}`)")
    if f.boot is not None:
        parts.append(f"rebooted without shutdown at {_t(f.boot)}" + _gap(first or wd or f.boot, f.boot))
    if lost_q is not None and lost_l is not None:
        parts.insert(1, f"its HA agent lost its lock at {_t(lost_l)}")
    head = parts[0] + (" " if parts[0].endswith(":") else ", ") + ", ".join(parts[1:])
    head = head.rstrip(", ") + (": fenced by the watchdog." if f.certain or lost_l else
                                ": most likely fenced by the HA watchdog (no clean shutdown before the boot).")
    before = [e for e in f.trigger if e.kind == "pmxcfs_cpg_error" or
              (e.kind == "ha_status_change" and not _lock_lost(e))]
    if before:
        head += " Before it: " + "; ".join(f"`{_msg(e)}` at {_t(e)}" for e in before[-3:]) + "."
    if f.boot is None:
        head += " The next boot is not in this log."
    return head


# The CRM's side of a fence, in the log of the node that ran the HA manager (pve-ha-manager
# NodeStatus.pm fence_node, Manager.pm recover_fenced_service): it started fencing a node, got that
# node's agent lock (the fence is done) and moved the node's HA services elsewhere.
CRM_KINDS = ("ha_fence", "ha_recover_service")
_DONE = ("acknowledged", "successfully fenced")


def crm_fences(ctx: Context) -> dict[str, list[logs.NodeEvent]]:
    """The fenced node's name -> the CRM lines about it, from every node's log."""
    out: dict[str, list[logs.NodeEvent]] = {}
    for e in logs.events(ctx, None, CRM_KINDS):
        fenced = e.attrs.get("node")
        if fenced:
            out.setdefault(fenced, []).append(e)
    return out


def crm_message(fenced: str, evs: list[logs.NodeEvent]) -> tuple[str, bool]:
    start = evs[0]
    done = next((e for e in evs if e.kind == "ha_recover_service" or any(w in e.ev.text for w in _DONE)), None)
    moved = [e for e in evs if e.kind == "ha_recover_service"]
    where = ", ".join(sorted({e.node for e in evs}))
    msg = f"{fenced}: the HA manager fenced it (seen in the log of {where}): `{_msg(start)}` at {_t(start)}"
    if done is not None and done is not start:
        msg += f"; fence done at {_t(done)}" + _gap(start, done)
    if moved:
        services = "; ".join(f"{e.attrs.get('sid', '?')} to {e.attrs.get('target') or fenced}" for e in moved[:8])
        msg += f"; services recovered: {services}" + (f" … {len(moved) - 8} more" if len(moved) > 8 else "")
    if done is None:
        msg += "; the log does not show the fence completing (no agent lock acknowledged, no service recovered)"
    return msg + ".", done is not None


def crm_lost(ctx: Context) -> dict[str, list[tuple[logs.NodeEvent, logs.NodeEvent | None]]]:
    """The node's name -> the spans the CRM saw it `online` => `unknown` (and back `unknown` => `online`)."""
    out: dict[str, list[tuple[logs.NodeEvent, logs.NodeEvent | None]]] = {}
    open_: dict[str, logs.NodeEvent] = {}
    for e in logs.events(ctx, None, ("ha_node_state",)):
        n, a, b = e.attrs.get("node", ""), e.attrs.get("from"), e.attrs.get("to")
        if not n:
            continue
        if a == "online" and b == "unknown":
            open_.setdefault(n, e)
        elif a == "unknown" and b == "online" and n in open_:
            out.setdefault(n, []).append((open_.pop(n), e))
    for n, e in open_.items():
        out.setdefault(n, []).append((e, None))
    return out


@rule(code="PVE103", reads=(HA_RESOURCES_CFG,), inputs=logs.LOG_SPECS, fix=FIX, when=When.PAST)
def node_fenced(ctx: Context) -> Iterator[Hit]:
    ha_configured = bool(ctx.facts(HA_RESOURCES_CFG))
    reported: set[str] = set()
    for node, evs in by_log_host(ctx, KINDS).items():  # several hosts' logs given as one node: split
        found = analyse(node, evs)
        fences, misses = found.fences, found.misses
        if fences:
            reported.add(node)
        for f in fences:
            ha_seen = f.certain or any(_lock_lost(e) for e in f.trigger) or ha_configured or any(
                e.ev.prog in ("pve-ha-lrm", "pve-ha-crm", "watchdog-mux") for e in evs)
            yield Hit(
                fence_message(f), nodes=node,
                evidence=logs.refs(f.trigger + ([f.boot] if f.boot else [])),
                severity=Severity.CRITICAL if ha_seen else Severity.HIGH,
                when=When.PAST,
                details={"certain": f.certain,
                         "trigger_line": f.trigger[0].ev.line_no if f.trigger else None,
                         "boot_line": f.boot.ev.line_no if f.boot else None},
            )
        if fences:
            continue
        for m in misses[:1]:
            crm = [e for e in m.others if e.ev.prog == "pve-ha-crm" or "manager" in e.attrs.get("lock", "")]
            extra = ""
            if crm:
                extra = (f" The CRM lost its lock too ({crm[0].attrs.get('lock') or _msg(crm[0])}, {_t(crm[0])}).")
            yield Hit(
                f"{node}: near miss, not fenced: the HA agent lost its lock ({m.lost.attrs.get('lock') or _msg(m.lost)}) "
                f"at {_t(m.lost)} while the node was cut off, and got it back at {_t(m.back)}; no reboot follows "
                f"in the log, so the watchdog did not fire this time.{extra} Had the lock stayed lost for about "
                f"60 s, the watchdog would have reset {node} — the seed's 'sudden reboot'.",
                nodes=node,
                evidence=logs.refs([m.lost, *m.others, m.back]),
                severity=Severity.LOW, when=When.PAST,
                fix=[FIX[3], FIX[4], FIX[5]],
                details={"near_miss": True},
            )
    fenced_by_crm = crm_fences(ctx)
    for fenced, evs in sorted(fenced_by_crm.items()):
        if fenced in reported:
            continue  # its own log already tells the fence
        msg, done = crm_message(fenced, evs)
        yield Hit(msg, nodes=fenced, evidence=logs.refs(evs[:20]),
                  severity=Severity.CRITICAL if done else Severity.HIGH, when=When.PAST,
                  params={"node": fenced},
                  details={"crm_side": True, "completed": done,
                           "recovered": [e.attrs.get("sid") for e in evs if e.kind == "ha_recover_service"]})
    for lost, spans in sorted(crm_lost(ctx).items()):
        if lost in reported or lost in fenced_by_crm:
            continue
        where = ", ".join(sorted({a.node for a, _ in spans}))
        told = []
        for a, b in spans[:5]:
            told.append(f"unknown at {_t(a)}" + (f", back online at {_t(b)}" + _gap(a, b) if b is not None
                                                   else ", not back by the end of the log"))
        yield Hit(
            f"{lost}: not fenced, but the HA manager lost it {len(spans)} time(s) (seen in the log of {where}): "
            + "; ".join(told) + ". The CRM marks a node `unknown` when it leaves the quorate membership or its "
            "LRM stops reporting; it fences it only if it ran HA services. A planned reboot or shutdown shows "
            "the same; otherwise find why it dropped out.",
            nodes=lost, evidence=logs.refs([e for sp in spans for e in sp if e is not None][:20]),
            severity=Severity.LOW, when=When.PAST, fix=[FIX[2], FIX[3], FIX[5]], params={"node": lost},
            details={"crm_side": True, "lost": len(spans), "back": sum(1 for _, b in spans if b is not None)})
