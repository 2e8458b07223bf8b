"""BAK115 hook-script-errors: a vzdump job's hook script failed inside the task log, whatever the job's end."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts import logs
from forewarn.facts.context import Context
from forewarn.facts.vzdump_jobs import runs
from forewarn.model.findings import When
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import NotApplicable

HOOK_KINDS = ("vzdump_hook_usage_error", "influx_point_rejected")
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
    jobs = runs(ctx, HOOK_KINDS)  # a log of several jobs is read job by job: each hook error is its own job's
    if not jobs:
        raise NotApplicable("no vzdump job in the logs read")  # the same words elsewhere are someone else's script
    for job in jobs:
        hook = [e for e in job.events if e.kind in HOOK_KINDS]
        if not hook:
            continue
        errors = "; ".join(dict.fromkeys(_what(e) for e in hook))
        end = "the job itself finished successfully" if job.good else "the job also reported errors (BAK102)"
        yield Hit(f"{job.node}: the vzdump job's hook script failed ({errors}); {end}, so whatever the script does "
                  f"after the backup (metrics, copies, notifications) did not happen (low: the backup is not at stake)",
                  nodes=job.node, evidence=logs.refs(hook), params={"errors": errors})
