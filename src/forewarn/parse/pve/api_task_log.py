"""`GET /nodes/{node}/tasks/{upid}/log`: a task's log as the API pages it, parsed into the same
`LogEvents` as the task log file.

    [{"n": 1, "t": "trying to acquire lock..."},
     {"n": 2, "t": "TASK ERROR: can't lock file '/var/lock/qemu-server/lock-100.conf' - got timeout"}]

Each element is one line of the file (`n` its number, `t` its text: pve-common's
dump_logfile). The lines are matched by the task-log parser itself, and an event keeps the line
of its element in the stored answer, so a report points at that element.
"""

from __future__ import annotations

from dataclasses import replace

from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser
from forewarn.parse.log.events import LogEvents
from forewarn.parse.pve._api_json import json_rows
from forewarn.parse.pve.task_log import parse_task_log


@parser("pve.api_task_log")
def parse_api_task_log(text: str) -> Parsed[LogEvents]:
    """Parse the JSON of a task's log.

    >>> r = parse_api_task_log('[{"n": 1, "t": "trying to acquire lock..."},\\n'
    ...     '{"n": 2, "t": "TASK ERROR: VM is locked (snapshot-delete)"}]')
    >>> [(e.line_no, e.kind, e.attrs) for e in r.value.events], r.value.programs["task"]
    ([(2, 'guest_locked', {'type': 'VM', 'lock': 'snapshot-delete'})], 1)
    """
    rows, problems = json_rows(text)
    if rows is None:
        return Parsed(None, problems)
    texts: list[str] = []
    where: list[int] = []  # the answer's line of each element (several share one in a one-line paste)
    for line, row in rows:
        t = row.get("t")
        if not isinstance(t, str):
            problems.append(ParseProblem("a log element without its text `t`", line, repr(row)[:120]))
            continue
        texts.append(t)
        where.append(line)
    if not texts:
        problems.insert(0, ParseProblem("no log line in the answer"))
        return Parsed(None, problems)
    got = parse_task_log(texts)
    if got.value is not None:
        got.value.events = [replace(e, line_no=where[e.line_no - 1]) for e in got.value.events]
    return Parsed(got.value, problems + list(got.problems))
