"""BAK102 backup-failed: the newest vzdump job failed, or no successful one for days."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from forewarn.facts import logs
from forewarn.facts.context import Context
from forewarn.facts.vzdump_jobs import runs as vzdump_runs
from forewarn.model.findings import Severity, When
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import NotApplicable

STALE = timedelta(days=2)  # vzdump jobs are daily by default; two missed days is a pattern

FIX = (
    note("Read the failed task's log (Datacenter > Backup > job > task history, or "
         "/var/log/pve/tasks/) for each guest's error: {reasons}"),
    step("vzdump {vmids} --storage <backup storage> --mode snapshot"),
    note("Common causes have their own checks: target storage full (BAK114), a backup still running "
         "or stuck (BAK113), guest agent fs-freeze trouble (BAK112), snapshot mode unsupported (BAK110)."),
)


@rule(code="BAK102", inputs=logs.LOG_SPECS, fix=FIX, when=When.PAST)
def backup_failed(ctx: Context) -> Iterator[Hit]:
    runs = vzdump_runs(ctx)
    if not runs:
        raise NotApplicable("no finished vzdump job in the logs read")
    now = ctx.now.replace(tzinfo=None)
    for node in sorted({r.node for r in runs}):
        mine = [r for r in runs if r.node == node]
        # newest first; runs without a time keep their reading order after the dated ones
        order = {id(r): i for i, r in enumerate(mine)}  # (not mine.index: a log of months of nightly jobs)
        last = max(mine, key=lambda r: (r.newness is not None, r.newness or datetime.min, order[id(r)]))
        good = [r for r in mine if r.good and r.start is not None]
        newest_good = max((r.start for r in good if r.start), default=None)
        history = all(r.collected for r in mine)
        stale = history and (newest_good is None or now - newest_good > STALE)
        if last.good and not stale:
            continue
        evidence = logs.refs(last.events)
        if last.good and stale and newest_good is not None:
            days = (now - newest_good).days
            yield Hit(f"{node}: the newest successful vzdump job ran {days} days ago ({newest_good:%Y-%m-%d %H:%M}); "
                      f"no backup job has succeeded since (high: guests have no recent restore point)",
                      nodes=node, evidence=evidence, severity=Severity.HIGH,
                      params={"reasons": "no job ran or succeeded since", "vmids": "--all"},
                      details={"newest_success": newest_good.isoformat()})
            continue
        if last.good:
            continue
        guests = ", ".join(f"VM/CT {v} ({why or 'no reason logged'})" for v, why in sorted(last.failed.items()))
        when = f" at {last.start:%Y-%m-%d %H:%M}" if last.start else ""
        what = (f"backup of {guests} failed" if last.failed else
                f"the task ended with `{last.status}`" if last.status else "the job finished with errors")
        sev, tail = Severity.MEDIUM, ("medium: one failed run; the guests may still have an older backup "
                                      "(more task history tells how long they have gone without one)")
        if stale:
            since = f"since {newest_good:%Y-%m-%d}" if newest_good else "in the task history read"
            sev, tail = Severity.HIGH, f"high: no successful backup job {since}"
        yield Hit(f"{node}: the newest vzdump job{when} did not succeed: {what} ({tail})",
                  nodes=node, evidence=evidence, severity=sev,
                  params={"reasons": "; ".join(f"{v}: {w}" for v, w in sorted(last.failed.items())) or "see the log",
                          "vmids": " ".join(sorted(last.failed)) or "--all"},
                  details={"failed": dict(last.failed), "start": last.start.isoformat() if last.start else None})
