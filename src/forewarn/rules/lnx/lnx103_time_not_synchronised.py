"""LNX103 time-not-synchronised: chrony has no reachable source, or node clocks disagree; or chronyd's
own log says it found the clock wrong by seconds and is slewing it back."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts import logs
from forewarn.facts.context import Context
from forewarn.model.findings import EvidenceRef, Severity, When
from forewarn.parse.host.chrony import CHRONY_SOURCES as SOURCES, CHRONY_TRACKING as TRACKING
from forewarn.parse.host.chrony import ChronySources, ChronyTracking
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import CouldNotCheck, StepTemplate

SKEW = 0.5  # seconds: clocks further apart than this (Ceph warns at 0.05 s; TLS and logs suffer at seconds)


def _reachable_elsewhere(ctx: Context, node: str) -> tuple[str, str] | None:
    """(source, node) of a source another node is synchronised to: a server this network can reach."""
    for f in ctx.facts(SOURCES):
        if f.node == node:
            continue
        s = f.value.selected
        if s is not None and s.reachable:
            return s.name, f.node
    return None


def _fix(ctx: Context, node: str) -> list[StepTemplate]:
    other = _reachable_elsewhere(ctx, node)
    out: list[StepTemplate] = []
    if other is not None:
        server = other[0]
        out.append(note(f"{other[1]} is synchronised to {server}: point {node} at it too."))
    else:
        server = "<an NTP server this network can reach>"
        out.append(note("Point chrony at a server this network can reach. Seed 002's site (campus network, no "
                        "Internet) comments out Debian's pool and uses its university's server: "
                        "`#pool 2.debian.pool.ntp.org iburst` / `server time.ustc.edu.cn iburst`."))
    out += [
        step("sed -i.bak 's/^pool /#pool /' /etc/chrony/chrony.conf"),
        step(f"echo 'server {server} iburst' >> /etc/chrony/chrony.conf"),
        step("systemctl restart chrony.service"),
        step("chronyc -n sources"),
        step("chronyc tracking"),
        note("If the clock is far off, `chronyc makestep` steps it at once instead of slewing for hours; running "
             "services see time jump."),
    ]
    return out


def _offset(v: float) -> str:
    return f"{abs(v):.3f} s {'fast' if v > 0 else 'slow'}"


KINDS = ("chrony_clock_wrong",)


def _logged_offsets(ctx: Context) -> Iterator[Hit]:
    """chronyd's `System clock wrong by X seconds, adjustment started` (logged above logchange, 1 s by
    default): the clock was that far off and chrony slews it back (by default at most 83 ms per second,
    so seconds take minutes and larger offsets hours). Low when the node's
    `chronyc tracking` shows it synchronised and close now, medium otherwise."""
    tracking = ctx.by_node(TRACKING)
    for node, evs in logs.group_by_node(logs.events(ctx, None, KINDS)).items():
        worst = max(evs, key=lambda e: abs(float(e.attrs.get("offset", "0") or 0)))
        off = float(worst.attrs.get("offset", "0") or 0)
        tf = tracking.get(node)
        now_ok = (tf is not None and tf.value.synchronised and tf.value.system_time is not None
                  and abs(tf.value.system_time) < SKEW)
        n = f"{len(evs)} times, " if len(evs) > 1 else ""
        yield Hit(f"{node}: chronyd found the system clock wrong by {abs(off):.3f} s ({n}the largest at "
                  f"{logs.time_label(worst)}) and slewed it back: until it converged this node's clock disagreed "
                  "with NTP time and with the other nodes (Ceph warns at 0.05 s; logs, TLS and tokens suffer at "
                  "seconds)" + ("; `chronyc tracking` shows it synchronised now" if now_ok else ""),
                  nodes=node, evidence=logs.refs(evs), when=When.PAST,
                  severity=Severity.LOW if now_ok else Severity.MEDIUM,
                  fix=[step("chronyc tracking"), step("chronyc -n sources"),
                       note("Find why it drifted that far: a clock stepped by hand or by another tool (a second "
                            "NTP client, a hypervisor's time sync), a failing RTC, or sources that disagree; "
                            "`chronyc makestep` steps it at once instead of slewing (services see time jump).")],
                  details={"offset": off})


@rule(
    code="LNX103",
    inputs=(SOURCES, TRACKING, *logs.LOG_SPECS),
    fix=(step("chronyc -n sources"), step("chronyc tracking")),
)
def time_not_synchronised(ctx: Context) -> Iterator[Hit]:
    if not ctx.facts(SOURCES) and not ctx.facts(TRACKING) and not logs.events(ctx, None, KINDS):
        raise CouldNotCheck("needs host.chrony_sources or host.chrony_tracking")  # logs alone say nothing
    yield from _logged_offsets(ctx)
    sources = ctx.by_node(SOURCES)
    tracking = ctx.by_node(TRACKING)
    offsets: dict[str, tuple[float, EvidenceRef]] = {}
    unsynced: list[str] = []
    for node in ctx.nodes:
        sf, tf = sources.get(node), tracking.get(node)
        if sf is None and tf is None:
            continue
        parts: list[str] = []
        evidence: list[EvidenceRef] = []
        bad = False
        src: ChronySources | None = sf.value if sf else None
        trk: ChronyTracking | None = tf.value if tf else None
        if sf is not None and src is not None:
            if src.daemon_error:
                parts.append(f"chronyc got no answer from chronyd (`{src.daemon_error}`)")
                evidence.append(sf.ref([src.error_line]))
                bad = True
            elif not src.sources and not (trk is not None and trk.synchronised):  # a `local` server is fine
                parts.append("chrony has no time source at all")
                evidence.append(sf.ref())
                bad = True
            elif src.all_unreachable:
                names = ", ".join(f"`{s.mode}{s.state} {s.name}`" for s in src.sources[:4])
                parts.append(f"none of its {len(src.sources)} time source(s) answered (reach 0): {names}")
                evidence.append(sf.ref([s.line for s in src.sources]))
                bad = True
        if tf is not None and trk is not None:
            if trk.synchronised is False:
                ref = f"reference {trk.reference_id}" if trk.reference_id else "no reference"
                parts.append(f"chronyc tracking says `Leap status : {trk.leap_status}` ({ref}, stratum {trk.stratum})")
                evidence.append(tf.ref([trk.lines.get(k, 0) for k in ("reference_id", "stratum", "leap_status")]))
                bad = True
            elif trk.daemon_error and src is None:
                parts.append(f"chronyc got no answer from chronyd (`{trk.daemon_error}`)")
                evidence.append(tf.ref([trk.lines.get("daemon_error", 0)]))
                bad = True
            if trk.synchronised and trk.system_time is not None:
                offsets[node] = (trk.system_time, tf.ref([trk.lines.get("system_time", 0),
                                                          trk.lines.get("reference_id", 0)]))
        if bad:
            unsynced.append(node)
            yield Hit(f"{node}: time is not synchronised: " + "; ".join(parts), nodes=node, evidence=evidence,
                      fix=_fix(ctx, node), details={"reasons": parts})

    far = {n: v for n, v in offsets.items() if abs(v[0]) >= SKEW}
    if len(offsets) >= 2:
        lo = min(offsets, key=lambda n: offsets[n][0])
        hi = max(offsets, key=lambda n: offsets[n][0])
        spread = offsets[hi][0] - offsets[lo][0]
        if spread >= SKEW:
            each = ", ".join(f"{n} {_offset(v)}" for n, (v, _) in sorted(offsets.items()))
            unknown = f"; unknown for {', '.join(unsynced)} (not synchronised)" if unsynced else ""
            yield Hit(
                f"clocks of the nodes differ by {spread:.3f} s ({lo} vs {hi}); each clock against NTP time "
                f"as chrony measures it: {each}{unknown}",
                nodes=[hi, lo], evidence=[offsets[n][1] for n in sorted(offsets)],
                fix=[note(f"chrony is slewing the clock of {n} ({_offset(v)}) back; `chronyc makestep` on it steps "
                          "at once (services see time jump).") for n, (v, _) in sorted(far.items())]
                    + [step("chronyc tracking", on=None)],
                severity=Severity.HIGH if spread >= 1 else Severity.MEDIUM,
                details={"spread": spread, "offsets": {n: v for n, (v, _) in offsets.items()}},
            )
            return
    for node, (v, at) in sorted(far.items()):
        yield Hit(f"{node}: the system clock is {_offset(v)} of NTP time (chronyc tracking); chrony is still "
                  "correcting it", nodes=node, evidence=[at], severity=Severity.MEDIUM,
                  fix=[step("chronyc makestep", safe=False), step("chronyc tracking")],
                  details={"offset": v})
