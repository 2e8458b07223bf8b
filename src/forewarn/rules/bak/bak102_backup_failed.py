"""BAK102 backup-failed: the newest vzdump job failed, or no successful one for days."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from forewarn.facts import logs
from forewarn.facts.context import Context
from forewarn.model.findings import Severity, When
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import NotApplicable

KINDS = ("vzdump_job_start", "vzdump_guest_failed", "vzdump_job_errors", "vzdump_job_ok", "vzdump_failed_at",
         "vzdump_task_end_error")
ENDS = ("vzdump_job_ok", "vzdump_job_errors")  # a job's own end line
# a collected task log's file name is its UPID: node, pid, pstart, start time (hex epoch), type
_UPID = re.compile(r"UPID:[^:/]+:[0-9A-Fa-f]+:[0-9A-Fa-f]+:(?P<start>[0-9A-Fa-f]{8}):(?P<type>[^:/]+):")
_UPID_PID = re.compile(r"UPID:[^:/]+:(?P<pid>[0-9A-Fa-f]+):")
STALE = timedelta(days=2)  # vzdump jobs are daily by default; two missed days is a pattern

FIX = (
    note("Read the failed task's log (Datacenter > Backup > job > task history, or "
         "/var/log/pve/tasks/) for each guest's error: {reasons}"),
    step("vzdump {vmids} --storage <backup storage> --mode snapshot"),
    note("Common causes have their own checks: target storage full (BAK114), a backup still running "
         "or stuck (BAK113), guest agent fs-freeze trouble (BAK112), snapshot mode unsupported (BAK110)."),
)


@dataclass(slots=True)
class Run:
    node: str
    artifact: str
    start: datetime | None = None
    collected: bool = False  # read from /var/log/pve/tasks (the node's history), not a paste
    failed: dict[str, str] = field(default_factory=dict)  # vmid -> reason
    errors: bool = False
    status: str = ""  # the task's end status, from a daemon's `end task <UPID> <status>` line
    ok: bool = False
    events: list[logs.NodeEvent] = field(default_factory=list)
    closed: bool = False  # its end line was read: the log's next vzdump lines are another job's
    after: datetime | None = None  # the newest start of the runs before it in its log (file order is job order)

    @property
    def good(self) -> bool:
        return self.ok and not self.failed and not self.errors

    @property
    def finished(self) -> bool:
        """Whether the run says how the job went (a job whose start line alone was logged is running, or hung)."""
        return any(e.kind != "vzdump_job_start" for e in self.events)

    @property
    def newness(self) -> datetime | None:
        return max((t for t in (self.start, self.after) if t is not None), default=None)


def _one_job(e: logs.NodeEvent) -> bool:
    """Whether the event's file is a task log of the node's history (named by its UPID): one job.
    Any other text is read job by job, so a pasted task log, which holds one, stays one."""
    m = _UPID.search(e.fact.artifact)
    return bool(m and m.group("type") == "vzdump")


def _joins_closed(r: Run, e: logs.NodeEvent) -> bool:
    """An end line right after a job's end that says the same (`TASK ERROR: job errors` after
    `Backup job finished with errors`) is that job's; any other vzdump line begins the next job."""
    return e.kind == "vzdump_job_errors" and r.errors and not r.ok


def _runs(ctx: Context) -> list[Run]:
    """The vzdump jobs the logs show, in reading order, each with the lines it logged.

    A collected task log is one job. Any other log (syslog, journal, pasted task output, which may
    hold several nights' jobs) is read job by job in file order: a job begins at vzdump's `starting
    new backup job` line, or at its first vzdump line after the previous job's end line (`Backup
    job finished ...`, a task's end); a daemon's `end task <UPID> <status>` line joins the job its
    worker (the UPID's pid) logged, or is a run of its own. A job that logged no outcome (running,
    or hung) is left out: there is nothing to judge in it."""
    runs: list[Run] = []
    keyed: dict[tuple[str, str], Run] = {}  # one run per task log, and per UPID of an `end task` line
    current: dict[tuple[str, str], Run] = {}  # the job being read in each log of many jobs
    for e in logs.events(ctx, None, KINDS):
        art = (e.node, e.fact.artifact)
        upid = e.attrs.get("upid", "") if e.kind == "vzdump_task_end_error" else ""
        r: Run | None = None
        if upid:
            job = current.get(art)
            pid = _UPID_PID.search(upid)
            if job is not None and pid and any(x.ev.pid == int(pid.group("pid"), 16) for x in job.events):
                r = job
            else:
                r = keyed.get((e.node, e.fact.artifact + upid))
                if r is None:
                    r = keyed[(e.node, e.fact.artifact + upid)] = Run(e.node, e.fact.artifact)
                    r.start = datetime.fromtimestamp(int(e.attrs.get("start", "0"), 16))
                    runs.append(r)
            if r is not job and job is not None:
                job.closed = True  # the task ended: the log's next lines are another job's
        elif _one_job(e):
            r = keyed.get(art)
            if r is None:
                r = keyed[art] = Run(e.node, e.fact.artifact)
                m = _UPID.search(e.fact.artifact)
                if m and m.group("type") == "vzdump":
                    r.collected = True
                    r.start = datetime.fromtimestamp(int(m.group("start"), 16))
                runs.append(r)
        else:
            r = current.get(art)
            if r is None or e.kind == "vzdump_job_start" or r.closed and not _joins_closed(r, e):
                r = current[art] = Run(e.node, e.fact.artifact)
                runs.append(r)
        r.events.append(e)
        if e.kind == "vzdump_guest_failed":
            r.failed[e.attrs.get("vmid", "?")] = e.attrs.get("reason", "").strip()
        elif e.kind == "vzdump_job_errors":
            r.errors = True
        elif e.kind == "vzdump_task_end_error":
            r.errors = True
            r.status = e.attrs.get("status", "").strip()
            r.closed = True
        elif e.kind == "vzdump_job_ok":
            r.ok = True
        elif e.kind == "vzdump_failed_at" and r.start is None:
            try:
                r.start = datetime.fromisoformat(e.attrs["when"].replace(" ", "T"))
            except (KeyError, ValueError):
                pass
        if e.kind in ENDS:
            r.closed = True
        if r.start is None and e.ts is not None:
            r.start = e.ts
    # a job later in a log than another is the newer, whether or not it logged a time
    newest: dict[tuple[str, str], datetime | None] = {}
    for r in runs:
        key = (r.node, r.artifact)
        r.after = newest.get(key)
        newest[key] = r.newness
    return [r for r in runs if r.finished]


@rule(code="BAK102", inputs=logs.LOG_SPECS, fix=FIX, when=When.PAST)
def backup_failed(ctx: Context) -> Iterator[Hit]:
    runs = _runs(ctx)
    if not runs:
        raise NotApplicable("no finished vzdump job in the logs read")
    now = ctx.now.replace(tzinfo=None)
    for node in sorted({r.node for r in runs}):
        mine = [r for r in runs if r.node == node]
        # newest first; runs without a time keep their reading order after the dated ones
        last = max(mine, key=lambda r: (r.newness is not None, r.newness or datetime.min, mine.index(r)))
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
