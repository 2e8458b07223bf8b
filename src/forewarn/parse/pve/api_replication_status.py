"""`GET /nodes/{node}/replication`: the replication jobs whose source is this node, parsed into
the same `PvesrStatus` as `pvesr status`.

`pvesr status` *is* this call printed (pve-manager, PVE/CLI/pvesr.pm: `status` runs
PVE::API2::Replication's `status`), so each column is read the way it prints it:

    {"id": "100-0", "guest": 100, "jobnum": 0, "type": "local", "target": "pve2",
     "last_sync": 1735680151, "next_sync": 1735680900, "duration": 1.855912, "fail_count": 0}

JobID is `id`; Enabled is `disable` unset; Target is `local/<target>` (the local plugin's
unique target id); LastSync is `last_sync` (absent or 0: never); NextSync is `next_sync`;
Duration is `duration`; FailCount is `fail_count`; State is `SYNCING` while the runner's `pid`
is alive, else the job's `error`, else `OK`. Times are epoch seconds: they are written here as
UTC in pvesr's `YYYY-MM-DD_HH:MM:SS` (pvesr prints the node's local time), and a next sync is
never `pending` here, since that depends on the moment of the call.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser
from forewarn.parse.pve._api_json import as_int, json_rows
from forewarn.parse.pve.pvesr_status import PvesrStatus, ReplicationJob


def _stamp(value: Any) -> str | None:
    t = as_int(value)
    if not t:
        return None
    try:
        return datetime.fromtimestamp(t, tz=timezone.utc).strftime("%Y-%m-%d_%H:%M:%S")
    except (OverflowError, OSError, ValueError):
        return None


def _float(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(str(value))
    except ValueError:
        return None


def _job(line: int, row: dict[str, Any]) -> ReplicationJob | ParseProblem:
    job_id = str(row.get("id") or "")
    guest_text, _, num_text = job_id.partition("-")
    guest = as_int(row.get("guest"))
    guest = guest if guest is not None else as_int(guest_text)
    num = as_int(row.get("jobnum"))
    num = num if num is not None else as_int(num_text)
    target = str(row.get("target") or "")
    if not job_id or guest is None or num is None or not target:
        return ParseProblem("replication job without id, guest or target", line, repr(row)[:120])
    error = row.get("error")
    state = "SYNCING" if as_int(row.get("pid")) else (str(error).strip() if error else "OK")
    return ReplicationJob(
        id=job_id, guest=guest, job_num=num, enabled=not as_int(row.get("disable")),
        target=f"{row.get('type') or 'local'}/{target}", target_node=target,
        last_sync=_stamp(row.get("last_sync")), next_sync=_stamp(row.get("next_sync")),
        duration=_float(row.get("duration")), fail_count=as_int(row.get("fail_count")) or 0,
        state=state, line=line)


@parser("pve.api_replication_status")
def parse_api_replication_status(text: str) -> Parsed[PvesrStatus]:
    """Parse the JSON of `GET /nodes/{node}/replication`.

    >>> r = parse_api_replication_status('[{"id": "100-0", "guest": 100, "jobnum": 0, "type": "local", "target": "pve2",'
    ...     ' "last_sync": 1735680151, "duration": 1.85, "fail_count": 0},\\n'
    ...     '{"id": "101-0", "guest": 101, "jobnum": 0, "type": "local", "target": "pve3", "fail_count": 3,'
    ...     ' "error": "command \\'zfs snapshot\\' failed: exit code 1"}]')
    >>> [(j.id, j.target, j.last_sync, j.fail_count, j.failing, j.state[:7], j.line) for j in r.value.jobs]
    [('100-0', 'local/pve2', '2024-12-31_21:22:31', 0, False, 'OK', 1), ('101-0', 'local/pve3', None, 3, True, 'command', 2)]
    >>> parse_api_replication_status('[]').value.jobs
    []
    """
    rows, problems = json_rows(text)
    if rows is None:
        return Parsed(None, problems)
    st = PvesrStatus()
    for line, row in rows:
        job = _job(line, row)
        if isinstance(job, ParseProblem):
            problems.append(job)
        else:
            st.jobs.append(job)
    if rows and not st.jobs:
        problems.insert(0, ParseProblem("no replication job understood"))
        return Parsed(None, problems)
    return Parsed(st, problems)
