"""LNX102 unit-tasksmax-limit: a unit's TasksMax caps its processes (lightdm at 4915)."""

from __future__ import annotations

import math
from collections.abc import Iterator

from forewarn.facts import logs
from forewarn.facts.context import Context, Fact
from forewarn.model.findings import EvidenceRef, When
from forewarn.parse.host.systemd_tasks import SYSTEMD_TASKS, SystemdTasks, UnitTasks
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import StepTemplate

KINDS = ("pids_fork_rejected",)
NEAR = 0.9  # TasksCurrent at or above 90% of TasksMax


def suggest(tasks_max: int | None, current: int | None) -> int:
    """A new TasksMax: four times the old one (at least twice what runs), rounded up to two digits."""
    want = max(4 * (tasks_max or 0), 2 * (current or 0), 64)
    step_ = 10 ** max(0, int(math.log10(want)) - 1)
    return int(math.ceil(want / step_) * step_)


def _unit_of(cgroup: str) -> str:
    return cgroup.rstrip("/").rsplit("/", 1)[-1].replace("\\x2d", "-") or cgroup


def _fix(unit: str, new: int | None, lightdm: bool) -> list[StepTemplate]:
    if new is None:  # the limit is not known: never risk lowering it
        return [
            step(f"systemctl show -p TasksMax,TasksCurrent {unit}"),
            note(f"The limit hit may be {unit}'s own TasksMax or a parent slice's (`systemctl show -p TasksMax "
                 "system.slice`); raise that one to about four times its value with `systemctl set-property "
                 "<unit> TasksMax=<n>`."),
        ]
    out = [
        step(f"systemctl set-property {unit} TasksMax={new}"),
        step(f"systemctl show -p TasksMax,TasksCurrent {unit}"),
        note("`set-property` takes effect at once and persists (a drop-in under /etc/systemd/system.control/). "
             "To raise the default of every unit instead: `DefaultTasksMax=` in /etc/systemd/system.conf, then "
             "`systemctl daemon-reexec`."),
    ]
    if lightdm:
        out.insert(1, note("Seed 000 raised lightdm.service to 18000 (`systemctl set-property lightdm.service "
                           "TasksMax=18000`); every process of the graphical sessions counts against it."))
    return out


@rule(
    code="LNX102",
    inputs=(SYSTEMD_TASKS, *logs.LOG_SPECS),
    fix=(step("systemctl set-property {unit} TasksMax={new}"), step("systemctl show -p TasksMax,TasksCurrent {unit}")),
)
def unit_tasksmax_limit(ctx: Context) -> Iterator[Hit]:
    logged: dict[str, list[logs.NodeEvent]] = {}
    for e in logs.events(ctx, None, KINDS):
        logged.setdefault(e.node, []).append(e)
    for node in ctx.nodes:
        f: Fact[SystemdTasks] | None = ctx.fact(SYSTEMD_TASKS, node)
        st: SystemdTasks | None = f.value if f is not None else None
        default = st.default_tasks_max if st else None
        by_unit: dict[str, list[logs.NodeEvent]] = {}
        for e in logged.get(node, []):
            by_unit.setdefault(_unit_of(e.attrs.get("cgroup", "")), []).append(e)
        near: list[UnitTasks] = []
        if st is not None:
            near = [u for u in st.units if u.use is not None and u.use >= NEAR]
        names = list(dict.fromkeys([u.id for u in near] + list(by_unit)))
        for unit in names:
            u = st.get(unit) if st else None
            evs = by_unit.get(unit, [])
            parts: list[str] = []
            evidence: list[EvidenceRef] = []
            if u is not None and f is not None:
                evidence.append(f.ref(u.lines))
                pct = f" ({round(100 * u.use)}%)" if u.use is not None else ""
                limit = f"TasksMax={u.tasks_max}" if u.tasks_max is not None else f"TasksMax={u.tasks_max_raw}"
                if u.tasks_current is None:
                    parts.append(f"{unit} has {limit} (not running now)")
                else:
                    parts.append(f"{unit} runs {u.tasks_current} tasks with {limit}{pct}")
            if evs:
                cg = evs[0].attrs.get("cgroup", unit)
                parts.append(f"the kernel refused a fork in {cg} {len(evs)} time(s) "
                             f"({'at ' + logs.time_label(evs[0]) if len(evs) == 1 else 'first at ' + logs.time_label(evs[0])})")
                evidence += logs.refs(evs)
                if u is None:
                    parts.append("its TasksMax (or a parent slice's) is reached")
            tasks_max = u.tasks_max if u else None
            lightdm = unit.startswith("lightdm") or (tasks_max is not None and tasks_max in (4915, default))
            if tasks_max is not None and default is not None and tasks_max == default:
                parts.append(f"that is systemd's DefaultTasksMax ({default}), 15% of the kernel's task limit")
            elif tasks_max == 4915:
                parts.append("4915 is systemd's default (15% of 32768)")
            new = suggest(tasks_max, u.tasks_current if u else None) if tasks_max is not None else None
            yield Hit(
                f"{node}: " + "; ".join(parts), nodes=node, evidence=evidence,
                when=When.NOW if u is not None and u.use is not None and u.use >= NEAR else When.PAST,
                params={"unit": unit, "new": new}, fix=_fix(unit, new, unit.startswith("lightdm")),
                details={"unit": unit, "tasks_max": tasks_max, "tasks_current": u.tasks_current if u else None,
                         "fork_rejected": len(evs), "default_tasks_max": default, "lightdm_like": lightdm},
            )
