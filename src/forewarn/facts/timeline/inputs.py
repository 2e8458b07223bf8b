"""What the timeline reads: each node's events (nova's included)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import PurePosixPath

from forewarn.facts import corosync_episodes as ce
from forewarn.facts import logs
from forewarn.facts.context import Context
from forewarn.facts.timeline.model import KINDS, NOVA_KINDS
from forewarn.parse.log.events import LogEvent


# -- inputs -----------------------------------------------------------------------------------
def _nova_events(ctx: Context) -> dict[str, list[logs.NodeEvent]]:
    out: dict[str, list[logs.NodeEvent]] = {}
    for f in ctx.facts("osk.nova_compute_log"):
        for ne in f.value.events:
            if ne.kind not in NOVA_KINDS:
                continue
            attrs = {k: str(v) for k, v in (("host", ne.host), ("port", ne.port), ("detail", ne.detail)) if v}
            attrs.pop("host", None)  # a peer's address, not a corosync host id
            ev = LogEvent(ne.line, f"nova_{ne.kind}", ne.ts, ne.ts is not None, None, "nova-compute", None,
                          ne.text, attrs)
            out.setdefault(f.node, []).append(logs.NodeEvent(f.node, ne.ts, ev, f))
    return out


def lanes_events(ctx: Context) -> dict[str, list[logs.NodeEvent]]:
    lanes = ce.by_log_host(ctx, KINDS)
    for node, evs in _nova_events(ctx).items():
        lanes.setdefault(node, []).extend(evs)
    # loose files whose node nobody named: name the lane after the host the lines carry
    renamed: dict[str, list[logs.NodeEvent]] = {}
    for lane, evs in lanes.items():
        hosts = {e.ev.host for e in evs if e.ev.host}
        if lane == "unknown" and len(hosts) == 1 and all(e.ev.host for e in evs if e.ev.prog != "nova-compute"):
            lane = hosts.pop()
        renamed.setdefault(lane, []).extend(evs)
    # one node with a timed log and a pasted excerpt without times: the excerpt cannot be placed
    # among the timed lines, so it gets a lane of its own; a line without a time inside a timed
    # log (a journal marker before any stamp) takes the time of the line before it
    out: dict[str, list[logs.NodeEvent]] = {}
    for lane, evs in renamed.items():
        by_fact: dict[int, list[logs.NodeEvent]] = {}
        for e in evs:
            by_fact.setdefault(id(e.fact), []).append(e)
        timed = {k for k, v in by_fact.items() if any(e.ts is not None for e in v)}
        for k, v in by_fact.items():
            if k in timed:
                last: datetime | None = next(e.ts for e in v if e.ts is not None)
                fixed = []
                for e in v:
                    if e.ts is None:
                        e = replace(e, ts=last)
                    last = e.ts
                    fixed.append(e)
                out.setdefault(lane, []).extend(fixed)
            elif timed:
                out.setdefault(f"{lane} ({PurePosixPath(v[0].fact.artifact).name})", []).extend(v)
            else:
                out.setdefault(lane, []).extend(v)
    return out
