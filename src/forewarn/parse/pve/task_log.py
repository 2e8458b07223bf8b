"""PVE task logs (`/var/log/pve/tasks/<x>/UPID:...`) and error text copied from a task, the GUI
or a terminal.

    Requesting HA migration for CT 107 to node blue-server
    service 'ct:107' in error state, must be disabled and fixed first
    TASK ERROR: command 'ha-manager migrate ct:107 blue-server' failed: exit code 255

Task logs are plain lines without a syslog header; some (replication, vzdump) start with
`YYYY-MM-DD HH:MM:SS`. Every line is matched against the log signatures
(forewarn/signatures) wherever the message sits in it, so a message quoted inside a
sentence (a forum post, a runbook) is found too. The value is the same `LogEvents` the syslog
parser gives, with format "task".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from forewarn.model.keys import Key
from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser
from forewarn.parse.log.match import could_name, match
from forewarn.parse.log.events import MAX_EVENTS, LogEvent, LogEvents
from forewarn.parse.log.unwrap import outer, pieces

_STAMP = re.compile(r"^(?P<ts>\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d)\s")
_TASK_END = re.compile(r"^TASK (OK|ERROR|WARNINGS: \d+)")
_UPID = re.compile(r"^UPID:(?P<node>[^:]+):")


def _match(line: str) -> tuple[str, dict[str, str]] | None:
    """The first event of the line's pieces (unwrapped, unescaped: parse/log/unwrap.py)."""
    for piece in pieces(outer(line)[0]):
        hit = match(piece)
        if hit is not None:
            return hit[0].kind, hit[1]
    return None


TASK_LOG = Key("pve.task_log", LogEvents, alternatives=("pve.api_task_log", "pve.api_tasks_failed"))


@parser("pve.task_log", stream=True)
def parse_task_log(lines: Iterable[str]) -> Parsed[LogEvents]:
    """Parse a task log or pasted error text into log events.

    >>> r = parse_task_log(["Requesting HA migration for CT 107 to node blue-server",
    ...     "service 'ct:107' in error state, must be disabled and fixed first",
    ...     "TASK ERROR: command 'ha-manager migrate ct:107 blue-server' failed: exit code 255"])
    >>> [(e.line_no, e.kind, e.attrs) for e in r.value.events], r.value.format, r.problems
    ([(2, 'ha_service_error', {'sid': 'ct:107'})], 'task', [])
    """
    out = LogEvents(format="task", events=[])
    nonblank = 0
    for no, raw in enumerate(lines, 1):
        out.lines = no
        line = raw.rstrip()
        if not line.strip():
            continue
        nonblank += 1
        ts: datetime | None = None
        m = _STAMP.match(line)
        if m:
            try:
                ts = datetime.fromisoformat(m.group("ts").replace(" ", "T"))
            except ValueError:
                ts = None
            if ts is not None:
                out.timestamped = True
                out.first_ts = out.first_ts or ts
                out.last_ts = ts
        u = _UPID.match(line)
        if u:
            out.hosts[u.group("node")] += 1
        if _TASK_END.match(line.strip()):
            out.programs["task"] += 1
        if not could_name(line):
            continue
        hit = _match(line)
        if hit is None:
            continue
        kind, attrs = hit
        out.kinds[kind] += 1
        if len(out.events) < MAX_EVENTS:
            out.events.append(LogEvent(no, kind, ts, ts is not None, None, None, None, line.strip(), attrs))
        else:
            out.dropped_events += 1
    if not nonblank:
        return Parsed(None, [ParseProblem("empty task log")])
    return Parsed(out, [])
