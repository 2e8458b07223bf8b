"""vzdump jobs as the logs show them: one run per job, with the lines it logged (BAK102, BAK115).

A collected task log (/var/log/pve/tasks, named by its UPID) is one job. Any other log (syslog,
journal, pasted task output) may hold several nights' jobs and is read job by job in file order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from forewarn.facts import logs
from forewarn.facts.context import Context

KINDS = ("vzdump_job_start", "vzdump_guest_failed", "vzdump_job_errors", "vzdump_job_ok", "vzdump_failed_at",
         "vzdump_task_end_error")
ENDS = ("vzdump_job_ok", "vzdump_job_errors")  # a job's own end line
# a collected task log's file name is its UPID: node, pid, pstart, start time (hex epoch), type
_UPID = re.compile(r"UPID:[^:/]+:[0-9A-Fa-f]+:[0-9A-Fa-f]+:(?P<start>[0-9A-Fa-f]{8}):(?P<type>[^:/]+):")
_UPID_PID = re.compile(r"UPID:[^:/]+:(?P<pid>[0-9A-Fa-f]+):")


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
        return any(e.kind in _OUTCOMES for e in self.events)

    @property
    def newness(self) -> datetime | None:
        return max((t for t in (self.start, self.after) if t is not None), default=None)


_OUTCOMES = frozenset(KINDS) - {"vzdump_job_start"}  # what says how a job went


def _task_log(e: logs.NodeEvent) -> re.Match[str] | None:
    """The UPID of the event's file when it is a vzdump task log of the node's history: one job.
    Any other text is read job by job, so a pasted task log, which holds one, stays one."""
    m = _UPID.search(e.fact.artifact)
    return m if m and m.group("type") == "vzdump" else None


def _joins_closed(r: Run, e: logs.NodeEvent) -> bool:
    """An end line right after a job's end that says the same (`TASK ERROR: job errors` after
    `Backup job finished with errors`) is that job's; any other vzdump line begins the next job."""
    return e.kind == "vzdump_job_errors" and r.errors and not r.ok


def runs(ctx: Context, extra: tuple[str, ...] = ()) -> list[Run]:
    """The vzdump jobs the logs show, in reading order, each with the lines it logged.

    A collected task log is one job. Any other log (syslog, journal, pasted task output, which may
    hold several nights' jobs) is read job by job in file order: a job begins at vzdump's `starting
    new backup job` line, or at its first vzdump line after the previous job's end line (`Backup
    job finished ...`, a task's end); a daemon's `end task <UPID> <status>` line joins the job its
    worker (the UPID's pid) logged, or is a run of its own. A job that logged no outcome (running,
    or hung) is left out: there is nothing to judge in it. Events of the `extra` kinds (lines a
    job's hook script printed) join the job being read in their log without changing its outcome."""
    runs: list[Run] = []
    keyed: dict[tuple[str, str], Run] = {}  # one run per task log, and per UPID of an `end task` line
    current: dict[tuple[str, str], Run] = {}  # the job being read in each log of many jobs
    for e in logs.events(ctx, None, KINDS + extra):
        art = (e.node, e.fact.artifact)
        task = _task_log(e)
        r: Run | None = None
        if e.kind in extra:
            r = keyed.get(art) if task else current.get(art)
            if r is None or r.closed and not task:
                r = Run(e.node, e.fact.artifact)
                (keyed if task else current)[art] = r
                runs.append(r)
            r.events.append(e)
            continue
        upid = e.attrs.get("upid", "") if e.kind == "vzdump_task_end_error" else ""
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
        elif task:
            r = keyed.get(art)
            if r is None:
                r = keyed[art] = Run(e.node, e.fact.artifact, collected=True,
                                     start=datetime.fromtimestamp(int(task.group("start"), 16)))
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


