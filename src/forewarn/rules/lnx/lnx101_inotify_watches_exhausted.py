"""LNX101 inotify-watches-exhausted: `No space left on device` from inotify while disks have room."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from forewarn.facts import logs
from forewarn.facts.context import Context
from forewarn.model.findings import EvidenceRef, Severity, When
from forewarn.parse.host.sysctl import SYSCTL
from forewarn.rules import Hit, note, rule, step

KEY = "fs.inotify.max_user_watches"
FLOOR = 8192  # the smallest default a kernel ever had (before 5.11 it was always 8192)
TARGET = 1048576  # seed 000's value (also the kernel's own ceiling for the automatic default)
KINDS = ("inotify_watch_limit",)


def _what(e: logs.NodeEvent) -> str:
    """The unit, path or program an event names: `fwtail.service`, `/run/systemd/ask-password`, `tail`."""
    a = e.attrs
    path = a.get("path", "")
    if a.get("what") and path.startswith("/"):  # systemd: control group path of a unit
        return path.rstrip("/").rsplit("/", 1)[-1].replace("\\x2d", "-")
    prog = (a.get("prog") or e.ev.prog or "").rsplit("/", 1)[-1]
    if path:
        return f"{prog} ({path})" if prog else path
    return prog or "?"


@rule(
    code="LNX101",
    inputs=(*logs.LOG_SPECS, SYSCTL),
    fix=(
            step(f"echo '{KEY} = {TARGET}' > /etc/sysctl.d/60-inotify-watches.conf"),
            step(f"sysctl -w {KEY}={TARGET}"),
            step(f"sysctl {KEY}"),
            note("Find who holds the watches: `grep -c '^inotify' /proc/[0-9]*/fdinfo/* 2>/dev/null | "
                 "sort -t: -k2 -n | tail` (the PID is in the path)."),
            note("Programs that hit the limit do not retry by themselves: once it is raised, restart those that "
                 "reported it: {units}."),
        ),
)
def inotify_watches_exhausted(ctx: Context) -> Iterator[Hit]:
    logged: dict[str, list[logs.NodeEvent]] = {}
    for e in logs.events(ctx, None, KINDS):
        logged.setdefault(e.node, []).append(e)
    limits = ctx.by_node(SYSCTL)
    for node in ctx.nodes:
        evs = logged.get(node, [])
        sf = limits.get(node)
        limit = sf.value.int(KEY) if sf is not None else None
        limit_txt = f"; {KEY} = {limit}" if limit is not None else ""
        evidence: list[EvidenceRef] = []
        if sf is not None and limit is not None:
            evidence.append(sf.ref([sf.value.lines.get(KEY, 0)]))
        if evs:
            hit_by = Counter(_what(e) for e in evs)
            top = ", ".join(f"{w} ({n})" if n > 1 else w for w, n in hit_by.most_common(4))
            more = f" and {len(hit_by) - 4} more" if len(hit_by) > 4 else ""
            span = f"from {logs.time_label(evs[0])} to {logs.time_label(evs[-1])}" if len(evs) > 1 else f"at {logs.time_label(evs[0])}"
            cgroup_watch = sum(1 for e in evs if e.attrs.get("what"))
            others = sorted({_what(e) for e in evs if not e.attrs.get("what")})
            if cgroup_watch:
                others.append(f"systemd itself (it could not watch {len({_what(e) for e in evs if e.attrs.get('what')})}"
                              " units' control groups; `systemctl daemon-reexec` re-executes it and sets them up again)")
            yield Hit(
                f"{node}: inotify watches ran out {len(evs)} time(s) {span} (`No space left on device` / "
                f"`inotify watch limit reached`): {top}{more}{limit_txt}",
                nodes=node, evidence=logs.refs(evs) + evidence, when=When.PAST,
                params={"units": "; ".join(others)},
                details={"events": len(evs), "max_user_watches": limit, "affected": dict(hit_by)},
            )
        elif limit is not None and limit < FLOOR:
            yield Hit(
                f"{node}: {KEY} = {limit}, below {FLOOR} (the smallest default a kernel ever had): programs "
                "will fail to watch files with `No space left on device`",
                nodes=node, evidence=evidence, when=When.NOW, severity=Severity.MEDIUM,
                params={"units": "the programs that fail"},
                details={"max_user_watches": limit},
            )
