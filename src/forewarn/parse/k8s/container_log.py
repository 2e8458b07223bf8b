"""Container logs and runtime error text: `docker logs`, `kubectl logs [--timestamps]`,
`crictl logs`, the files under /var/log/containers (CRI format) or Docker's json-file logs,
and error output pasted from docker, kubectl or ctr.

    I0722 20:27:25.279953       1 log.go:172] http: TLS handshake error from 10.200.1.127:47606: ...
    2020-07-22T20:27:25.279953123Z stderr F I0722 20:27:25.279953 ...
    {"log":"iptables-restore: line 2 failed\\n","stream":"stderr","time":"2020-11-20T03:33:33Z"}
    OCI runtime create failed: container_linux.go:349: starting container process caused ...

Every line is matched against the log signatures (parse/logs/signatures.py) wherever the
message sits in it. klog headers give a time without a year (like traditional syslog); CRI and
json-file wrappers give a full timestamp. The value is the `LogEvents` the syslog parser gives,
with format "container".
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import datetime, timezone

from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser
from forewarn.parse.logs.signatures import LITERALS, SIGNATURES
from forewarn.parse.logs.syslog import MAX_EVENTS, PLACEHOLDER_YEAR, LogEvent, LogEvents

_KLOG = re.compile(r"^(?P<level>[IWEF])(?P<mon>\d\d)(?P<day>\d\d) (?P<time>\d\d:\d\d:\d\d)\.(?P<frac>\d{6})\s+(?P<pid>\d+) (?P<src>[\w.\-]+):\d+\] ")
_CRI = re.compile(r"^(?P<ts>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) (?:(?:stdout|stderr) [FP] )?")


def _iso(ts: str) -> datetime | None:
    t = ts.replace("Z", "+00:00")
    m = re.match(r"^(.*T\d\d:\d\d:\d\d)(\.\d+)?(.*)$", t)
    if m and m.group(2):  # fromisoformat takes at most 6 fraction digits before 3.11's relaxations
        t = m.group(1) + m.group(2)[:7] + m.group(3)
    try:
        dt = datetime.fromisoformat(t)
    except ValueError:
        return None
    return dt.astimezone(timezone.utc).replace(tzinfo=None) if dt.tzinfo else dt


def _unwrap(line: str) -> tuple[str, datetime | None, bool]:
    """(inner message, timestamp, year known) of one line in any of the container log shapes."""
    ts: datetime | None = None
    year = False
    s = line.strip()
    if s.startswith('{"log":'):
        try:
            obj = json.loads(s)
        except ValueError:
            obj = None
        if isinstance(obj, dict) and isinstance(obj.get("log"), str):
            s = obj["log"].rstrip("\n")
            if isinstance(obj.get("time"), str):
                ts, year = _iso(obj["time"]), True
    m = _CRI.match(s)
    if m:
        ts, year = _iso(m.group("ts")), True
        s = s[m.end():]
    k = _KLOG.match(s)
    if k and ts is None:
        try:
            h, mi, sec = (int(x) for x in k.group("time").split(":"))
            ts = datetime(PLACEHOLDER_YEAR, int(k.group("mon")), int(k.group("day")), h, mi, sec,
                          int(k.group("frac")))
        except ValueError:
            ts = None
    return s, ts, year


def _match(text: str) -> tuple[str, dict[str, str]] | None:
    for sig in SIGNATURES:
        if sig.literal in text:
            m = sig.regex.search(text)
            if m:
                return sig.kind, {k.rstrip("2"): v.strip() for k, v in m.groupdict().items() if v is not None}
    return None


@parser("k8s.container_log", stream=True)
def parse_container_log(lines: Iterable[str]) -> Parsed[LogEvents]:
    """Parse container log lines into log events.

    >>> r = parse_container_log(["I0722 20:27:25.279953       1 log.go:172] http: TLS handshake error "
    ...     "from 10.200.1.127:47606: read tcp 10.200.1.127:5443->10.200.1.127:47606: read: connection reset by peer"])
    >>> e = r.value.events[0]
    >>> (e.kind, e.attrs["client"], e.ts.month, e.ts.day, e.year_known, r.value.format)
    ('apiserver_tls_handshake_error', '10.200.1.127:47606', 7, 22, False, 'container')
    """
    out = LogEvents(format="container", events=[])
    nonblank = 0
    for no, raw in enumerate(lines, 1):
        out.lines = no
        if not raw.strip():
            continue
        nonblank += 1
        interesting = any(lit in raw for lit in LITERALS)
        if not interesting and nonblank > 2000:
            continue
        text, ts, year = _unwrap(raw)
        if ts is not None:
            out.timestamped = True
            out.first_ts = out.first_ts or ts
            out.last_ts = ts
        if not interesting:
            continue
        hit = _match(text)
        if hit is None:
            continue
        kind, attrs = hit
        out.kinds[kind] += 1
        if len(out.events) < MAX_EVENTS:
            out.events.append(LogEvent(no, kind, ts, year, None, None, None, raw.strip(), attrs))
        else:
            out.dropped_events += 1
    if not nonblank:
        return Parsed(None, [ParseProblem("empty log")])
    return Parsed(out, [])
