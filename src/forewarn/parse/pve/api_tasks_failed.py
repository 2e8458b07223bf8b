"""`GET /nodes/{node}/tasks?errors=1`: a node's recent failed tasks, parsed into the same
`LogEvents` as a task log, one line per task.

    [{"upid": "UPID:pve1:...:vzdump:100:root@pam:", "type": "vzdump", "id": "100",
      "starttime": 1715000000, "endtime": 1715000100, "status": "job errors"}, ...]

A finished task's `status` is its last line without the `TASK ERROR: ` prefix (`OK` when it
succeeded, `WARNINGS: N` with warnings; pve-common's PVE::Tools::upid_read_status), so each task is read as the line
`TASK ERROR: <status>` at its end time (UTC, its year known) and matched like a task log's
line. Tasks still running (no `endtime`) and `OK` ones say nothing.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser
from forewarn.parse.log.events import LogEvents
from forewarn.parse.pve._api_json import as_int, json_rows
from forewarn.parse.pve.task_log import parse_task_log


@parser("pve.api_tasks_failed")
def parse_api_tasks_failed(text: str) -> Parsed[LogEvents]:
    """Parse the JSON of a node's task list.

    >>> r = parse_api_tasks_failed('[{"upid": "UPID:pve1:1:2:3:qmstart:100:root@pam:", "type": "qmstart",'
    ...     ' "id": "100", "endtime": 1715000100, "status": "VM is locked (backup)"},\\n'
    ...     '{"upid": "UPID:pve1:4:5:6:vzdump:100:root@pam:", "type": "vzdump", "status": "OK", "endtime": 1}]')
    >>> [(e.line_no, e.kind, e.attrs["lock"], e.ts.isoformat(), e.year_known) for e in r.value.events]
    [(1, 'guest_locked', 'backup', '2024-05-06T12:55:00', True)]
    """
    rows, problems = json_rows(text)
    if rows is None:
        return Parsed(None, problems)
    texts: list[str] = []
    where: list[tuple[int, datetime | None]] = []
    for line, row in rows:
        status = row.get("status")
        if not isinstance(status, str):
            if not row.get("upid"):
                problems.append(ParseProblem("a task without upid or status", line, repr(row)[:120]))
            continue
        end = as_int(row.get("endtime"))
        if end is None or status.strip() in ("", "OK") or status.startswith("WARNINGS: "):
            continue  # running, succeeded, or succeeded with warnings (not an error to Proxmox)
        try:
            ts: datetime | None = datetime.fromtimestamp(end, tz=timezone.utc).replace(tzinfo=None)
        except (OverflowError, OSError, ValueError):
            ts = None
        texts.append(f"TASK ERROR: {status.strip()}")
        where.append((line, ts))
    got = parse_task_log(texts or [""])
    value = got.value if got.value is not None else LogEvents(format="task", events=[])
    value.lines = len(rows)
    value.events = [replace(e, line_no=where[e.line_no - 1][0], ts=where[e.line_no - 1][1],
                            year_known=where[e.line_no - 1][1] is not None) for e in value.events]
    stamps = [ts for _, ts in where if ts is not None]
    if stamps:
        value.timestamped, value.first_ts, value.last_ts = True, min(stamps), max(stamps)
    return Parsed(value, problems)
