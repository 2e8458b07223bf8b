"""Container logs and runtime error text: `docker logs`, `kubectl logs [--timestamps]`,
`crictl logs`, the files under /var/log/containers (CRI format) or Docker's json-file logs,
and error output pasted from docker, kubectl or ctr.

    I0722 20:27:25.279953       1 log.go:172] http: TLS handshake error from 10.200.1.127:47606: ...
    2020-07-22T20:27:25.279953123Z stderr F I0722 20:27:25.279953 ...
    {"log":"iptables-restore: line 2 failed\\n","stream":"stderr","time":"2020-11-20T03:33:33Z"}
    OCI runtime create failed: container_linux.go:349: starting container process caused ...

Every line is matched against the knowledge base's signatures (forewarn/signatures) wherever the
message sits in it. klog headers give a time without a year (like traditional syslog); CRI and
json-file wrappers give a full timestamp. The value is the `LogEvents` the syslog parser gives,
with format "container".
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any

from forewarn.model.evidence import LineStream
from forewarn.model.keys import Key
from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser
from forewarn.parse.log.match import could_name, match
from forewarn.parse.log.events import MAX_EVENTS, LogEvent, LogEvents
from forewarn.parse.log.headers import PLACEHOLDER_YEAR
from forewarn.parse.log.unwrap import pieces

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
    """The first event of the message's pieces (unescaped, unwrapped: parse/log/unwrap.py)."""
    for piece in pieces(text):
        hit = match(piece)
        if hit is not None:
            return hit[0].kind, hit[1]
    return None


SAMPLE_LINES = 2000  # time stamps are read from this many non-blank lines; after that, event lines only


CONTAINER_LOG = Key("k8s.container_log", LogEvents)


@parser("k8s.container_log", stream=True)
def parse_container_log(lines: Iterable[str], *, sample: int = SAMPLE_LINES) -> Parsed[LogEvents]:
    """Parse container log lines into log events.

    Given `EvidenceRecord.lines()`, a big log is read by the fast engine (logscan/engine.py)
    as the syslog parser reads it: the same events, and `last_ts` is the time of the last
    stamped line of the log (looked for in its last 1-2 MiB).

    >>> r = parse_container_log(["I0722 20:27:25.279953       1 log.go:172] http: TLS handshake error "
    ...     "from 10.200.1.127:47606: read tcp 10.200.1.127:5443->10.200.1.127:47606: read: connection reset by peer"])
    >>> e = r.value.events[0]
    >>> (e.kind, e.attrs["client"], e.ts.month, e.ts.day, e.year_known, r.value.format)
    ('apiserver_tls_handshake_error', '10.200.1.127:47606', 7, 22, False, 'container')
    """
    rd = _Reader(sample)
    if isinstance(lines, LineStream):  # an artifact: the engine reads its bytes
        from forewarn.logscan import engine
        from forewarn.parse.log.syslog import _pattern_set

        scan = engine.scan_log(lines, engine.matcher_for(_pattern_set()), sampling=lambda: rd.nonblank < rd.sample,
                               sample_line=rd.line, make=_candidate, apply=rd.apply, tail=_tail_ts)
        rd.out.lines = scan.lines
        if scan.tail is not None:
            rd.out.timestamped = True
            rd.out.last_ts = scan.tail
        return rd.result()
    for no, raw in enumerate(lines, 1):
        rd.out.lines = no
        rd.line(no, raw)
    return rd.result()


class _Reader:
    def __init__(self, sample: int) -> None:
        self.out = LogEvents(format="container", events=[])
        self.nonblank = 0
        self.sample = sample

    def line(self, no: int, raw: str, maybe: bool = True) -> None:
        """One line (`maybe=False`: the engine saw nothing a signature could match in it)."""
        if not raw.strip():
            return
        self.nonblank += 1
        interesting = maybe and could_name(raw)
        if not interesting and self.nonblank > self.sample:
            return
        text, ts, year = _unwrap(raw)
        self._stamp(ts)
        if not interesting:
            return
        hit = _match(text)
        if hit is not None:
            self._add(no, hit[0], hit[1], ts, year, raw.strip())

    def _stamp(self, ts: datetime | None) -> None:
        if ts is not None:
            self.out.timestamped = True
            self.out.first_ts = self.out.first_ts or ts
            self.out.last_ts = ts

    def _add(self, no: int, kind: str, attrs: dict[str, str], ts: datetime | None, year: bool, text: str) -> None:
        out = self.out
        out.kinds[kind] += 1
        if len(out.events) < MAX_EVENTS:
            out.events.append(LogEvent(no, kind, ts, year, None, None, None, text, attrs))
        else:
            out.dropped_events += 1

    def apply(self, rec: tuple[Any, ...], offset: int, _fallback: Any = None) -> None:
        _tag, no, kind, attrs, ts, year, text = rec
        self._stamp(ts)
        self._add(no + offset, kind, attrs, ts, year, text)

    def result(self) -> Parsed[LogEvents]:
        if not self.nonblank:
            return Parsed(None, [ParseProblem("empty log")])
        return Parsed(self.out, [])


def _candidate(hit: Any, _acc: dict[str, Any]) -> tuple[Any, ...] | None:
    """A line the engine offers past the sample: an event record, or None (picklable)."""
    raw = hit.text
    if not raw.strip() or not could_name(raw):
        return None
    text, ts, year = _unwrap(raw)
    found = _match(text)
    if found is None:
        return None
    return ("event", hit.line_no, found[0], found[1], ts, year, raw.strip())


def _tail_ts(last_lines: Iterable[str]) -> datetime | None:
    for raw in last_lines:
        if raw.strip():
            ts = _unwrap(raw)[1]
            if ts is not None:
                return ts
    return None
