"""BAK115 hook-script-errors: a vzdump job's hook script failed inside the task log, whatever the job's end."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts import logs
from forewarn.facts.context import Context
from forewarn.model.findings import When
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import NotApplicable

HOOK_KINDS = ("vzdump_hook_usage_error", "influx_point_rejected")
JOB_KINDS = ("vzdump_job_ok", "vzdump_job_errors", "vzdump_guest_failed")
FIX = (
    step("grep -n '^script' /etc/vzdump.conf /etc/pve/jobs.cfg"),
    note("Run the hook script by hand with the phase and variables vzdump passes (phase `backup-end`/"
         "`log-end`, TARGET, LOGFILE, ...) and fix what it prints: {errors}. Make it quote its variables "
         "and check that a file exists before `stat`/`curl` use it."),
    note("The backup itself is judged by the job's own end line; BAK102 reports failed jobs."),
)


def _what(e: logs.NodeEvent) -> str:
    if e.kind == "influx_point_rejected":
        return f"InfluxDB rejected the point ({e.attrs.get('why', 'invalid line protocol')})"
    return f"`{e.attrs.get('cmd', '?')}: {e.attrs.get('what', 'error')}`"


@rule(code="BAK115", inputs=logs.LOG_SPECS, fix=FIX, when=When.PAST)
def hook_script_errors(ctx: Context) -> Iterator[Hit]:
    evs = logs.events(ctx, None, HOOK_KINDS + JOB_KINDS)
    tasks: dict[tuple[str, str], list[logs.NodeEvent]] = {}
    for e in evs:
        tasks.setdefault((e.node, e.fact.artifact), []).append(e)
    found = False
    for (node, art), group in sorted(tasks.items()):
        hook = [e for e in group if e.kind in HOOK_KINDS]
        job = {e.kind for e in group if e.kind in JOB_KINDS}
        if not job:
            continue  # not a vzdump log: the same words elsewhere are someone else's script
        found = True
        if not hook:
            continue
        errors = "; ".join(dict.fromkeys(_what(e) for e in hook))
        end = ("the job itself finished successfully" if job == {"vzdump_job_ok"}
               else "the job also reported errors (BAK102)")
        yield Hit(f"{node}: the vzdump job's hook script failed ({errors}); {end}, so whatever the script does "
                  f"after the backup (metrics, copies, notifications) did not happen (low: the backup is not at stake)",
                  nodes=node, evidence=logs.refs(hook), params={"errors": errors})
    if not found:
        raise NotApplicable("no vzdump task log")
