"""PVE110 ha-resource-error: an HA resource is in the `error` state."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts import logs
from forewarn.facts.context import Context
from forewarn.model.findings import When
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import CouldNotCheck, NotApplicable
from forewarn.facts.cluster import first_fact
from forewarn.parse.pve.ha_manager_status import HA_MANAGER_STATUS
from forewarn.parse.pve.section_config import HA_RESOURCES_CFG

FIX = (
    step("ha-manager set {sid} --state disabled"),
    note("Find and fix why it failed before enabling it again: `journalctl -u pve-ha-lrm` on {node} "
         "and the task log of the failed start/migrate (a missing disk on that node, a stuck lock, "
         "a failing storage...). A migrate or start of a resource in `error` is refused until then."),
    step("ha-manager set {sid} --state started"),
    step("ha-manager status", on=None),
)


@rule(code="PVE110", inputs=(HA_MANAGER_STATUS, HA_RESOURCES_CFG) + logs.LOG_SPECS, fix=FIX)
def ha_error_state(ctx: Context) -> Iterator[Hit]:
    reported: set[str] = set()
    status_seen = False
    for f in ctx.facts(HA_MANAGER_STATUS):
        status_seen = True
        for s in f.value.in_state("error"):
            if s.sid in reported:
                continue
            reported.add(s.sid)
            node = s.node or f.node
            yield Hit(
                f"{s.sid} is in the HA `error` state on {node} (ha-manager status on {f.node}): HA will "
                "neither start, migrate nor recover it until it is disabled and fixed",
                nodes=node, evidence=[f.ref([s.line])], params={"sid": s.sid, "node": node},
                when=When.NOW, details={"sid": s.sid, "state": s.state},
            )

    evs = logs.events(ctx, None, ("ha_service_error",))
    by_sid: dict[str, list[logs.NodeEvent]] = {}
    for e in evs:
        by_sid.setdefault(e.attrs.get("sid", "?"), []).append(e)
    for sid, group in by_sid.items():
        if sid in reported:
            continue
        reported.add(sid)
        node = group[0].node
        times = f"{len(group)} time(s), first at {logs.time_label(group[0])}"
        yield Hit(
            f"{node}: `service '{sid}' in error state, must be disabled and fixed first` ({times}): a "
            f"start or migrate of {sid} was refused because the HA resource is in `error`",
            nodes=node, evidence=logs.refs(group), params={"sid": sid, "node": node},
            when=When.PAST, details={"sid": sid, "count": len(group)},
        )

    if reported or status_seen:
        return
    res = first_fact(ctx, HA_RESOURCES_CFG)
    if res is not None and not res.value.sections:
        raise NotApplicable("no HA resources: /etc/pve/ha/resources.cfg is empty")
    if res is not None:
        raise CouldNotCheck("HA resources are configured but there is no `ha-manager status` to read "
                            "their state" + ("; the logs show no `in error state` line" if evs == [] and
                                             any(ctx.has(s) for s in logs.LOG_SPECS) else ""))
    raise CouldNotCheck("no `ha-manager status` and no HA configuration in the evidence; the logs show "
                        "no `in error state` line")
