"""nova-compute's log (oslo.log format) and nova/Kolla error text pasted from a terminal.

An oslo.log line is `DATE TIME.ms PID LEVEL LOGGER [REQUEST CONTEXT] MESSAGE`:

    2019-03-20 10:12:13.123 7 ERROR oslo_messaging.rpc.server [req-922596a7-... - default default] \
Exception during message handling: InvalidCPUInfo: Unacceptable CPU info: CPU doesn't have compatibility.

The same line may carry a syslog/journald prefix (`Jul 31 15:17:34 host nova_compute[354378]: `),
or come without the date from a blog or chat paste. Only the lines the OSK rules act on become
events (the rest are counted): a refused CPU comparison, a refused connection to HOST:PORT, other
migration errors, and a Docker volume path that does not exist. The log is streamed, so a large
file is never held whole.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from forewarn.model.keys import Key
from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser

MAX_EVENTS = 5000

_OSLO = re.compile(
    r"(?:(?P<date>\d{4}-\d\d-\d\d) (?P<time>\d\d:\d\d:\d\d)(?:\.(?P<frac>\d+))? +(?P<pid>\d+) +)?"
    r"(?P<level>DEBUG|INFO|WARNING|ERROR|CRITICAL|TRACE) +(?P<logger>[A-Za-z_][\w.]*)"
    r"(?: +\[(?P<ctx>[^\]]*)\])? ?(?P<msg>.*)$")

_CPU = re.compile(r"InvalidCPUInfo|Unacceptable CPU info|CPU doesn't have compatibility"
                  r"|guest and host CPU are not compatible|Host CPU does not provide required features"
                  r"|guest CPU doesn't match specification", re.I)
_CPU_REASON = (re.compile(r"Unacceptable CPU info:\s*(?P<reason>.*)$"),
               re.compile(r"InvalidCPUInfo:\s*(?P<reason>.*)$"))
_REFUSED = re.compile(r"Connection refused|ECONNREFUSED|Errno 111\]|\[Errno 111", re.I)
_URL = re.compile(r"\b(?P<scheme>https?|rabbit|amqp|mysql(?:\+\w+)?|qemu\+\w+)://"
                  r"(?:[^@/\s'\"]*@)?(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.\-]+)(?::(?P<port>\d+))?")
_POOL = re.compile(r"host='(?P<host>[^']+)', port=(?P<port>\d+)")
_CURL = re.compile(r"Failed to connect to (?P<host>\S+) port (?P<port>\d+)")
_AT = re.compile(r"(?:server at|on|to) '?(?P<host>[A-Za-z0-9_.\-]+|\[[0-9A-Fa-f:.]+\]):(?P<port>\d+)'?")
_CONNECT_FAILED = re.compile(r"Unable to establish connection to (?P<url>\S+?)[:.]?(?:\s|$)")
_MIGRATION = re.compile(r"Live Migration failure|live[ _-]?migration.*(?:fail|error)|MigrationPreCheckError"
                        r"|Migration pre-check error|MigrationError", re.I)
_VOLUME = re.compile(r"(?P<path>/var/lib/docker/volumes/(?P<volume>[A-Za-z0-9_.\-]+)/_data)"
                     r".{0,120}?no such file or directory", re.I)
_GUTTER = re.compile(r"^\s*\d+\s+\|\s?")  # `1 | ` line-number gutter of a pasted code block

DEFAULT_PORTS = {"http": 80, "https": 443, "rabbit": 5672, "amqp": 5672}


@dataclass(frozen=True, slots=True)
class NovaEvent:
    kind: str  # cpu_incompatible | connection_refused | connect_failed | migration_error | volume_missing
    line: int
    text: str
    ts: datetime | None = None
    level: str | None = None
    request: str | None = None
    host: str | None = None
    port: int | None = None
    detail: str | None = None  # CPU reason, URL, volume name ...


@dataclass(slots=True)
class NovaComputeLog:
    events: list[NovaEvent] = field(default_factory=list)
    lines: int = 0
    oslo_lines: int = 0
    errors: int = 0
    first_ts: datetime | None = None
    last_ts: datetime | None = None
    dropped: int = 0  # events beyond MAX_EVENTS

    def of(self, *kinds: str) -> list[NovaEvent]:
        return [e for e in self.events if e.kind in kinds]


def _ts(m: re.Match[str]) -> datetime | None:
    if not m.group("date"):
        return None
    frac = (m.group("frac") or "0")[:6].ljust(6, "0")
    try:
        return datetime.strptime(f"{m.group('date')} {m.group('time')}.{frac}", "%Y-%m-%d %H:%M:%S.%f")
    except ValueError:
        return None


def _endpoint(text: str) -> tuple[str | None, int | None, str | None]:
    """The HOST, PORT (and URL) a connection error names, first match wins."""
    m = _URL.search(text)
    if m:
        port = int(m.group("port")) if m.group("port") else DEFAULT_PORTS.get(m.group("scheme"))
        return m.group("host").strip("[]"), port, m.group(0)
    for rx in (_POOL, _CURL, _AT):
        m = rx.search(text)
        if m:
            return m.group("host").strip("[]"), int(m.group("port")), None
    return None, None, None


def classify(msg: str) -> tuple[str, dict[str, object]] | None:
    """The event kind of a message and its attributes, or None for an uninteresting line.

    >>> classify("curl: (7) Failed to connect to 192.168.56.120 port 35357: Connection refused")
    ('connection_refused', {'host': '192.168.56.120', 'port': 35357, 'detail': None})
    >>> classify("/var/lib/docker/volumes/kolla_logs/_data: no such file or directory")[1]["detail"]
    'kolla_logs'
    """
    m = _VOLUME.search(msg)
    if m:
        return "volume_missing", {"detail": m.group("volume"), "host": None, "port": None,
                                  "path": m.group("path")}
    if _CPU.search(msg):
        r = _CPU_REASON[0].search(msg) or _CPU_REASON[1].search(msg)
        return "cpu_incompatible", {"detail": (r.group("reason").strip() if r else msg.strip())[:300]}
    if _REFUSED.search(msg):
        host, port, url = _endpoint(msg)
        return "connection_refused", {"host": host, "port": port, "detail": url}
    m = _CONNECT_FAILED.search(msg)
    if m:
        host, port, url = _endpoint(m.group("url"))
        return "connect_failed", {"host": host, "port": port, "detail": url or m.group("url")}
    if _MIGRATION.search(msg):
        return "migration_error", {"detail": msg.strip()[:300]}
    return None


NOVA_COMPUTE_LOG = Key("osk.nova_compute_log", NovaComputeLog)


@parser("osk.nova_compute_log", stream=True)
def parse_nova_compute_log(lines: Iterable[str]) -> Parsed[NovaComputeLog]:
    """`/var/lib/docker/volumes/kolla_logs/_data/nova/nova-compute.log` (Kolla) or
    `/var/log/nova/nova-compute.log`, or error text pasted from a terminal.

    >>> r = parse_nova_compute_log([
    ...     "2019-03-20 10:12:13.123 7 ERROR oslo_messaging.rpc.server [req-9 2c 8d - default default] "
    ...     "Exception during message handling: InvalidCPUInfo: Unacceptable CPU info: CPU doesn't have compatibility.",
    ...     "curl: (7) Failed to connect to 192.168.56.120 port 35357: Connection refused"])
    >>> [(e.kind, e.line, e.host, e.port) for e in r.value.events]
    [('cpu_incompatible', 1, None, None), ('connection_refused', 2, '192.168.56.120', 35357)]
    >>> r.value.events[0].detail, r.value.events[0].ts.year
    ("CPU doesn't have compatibility.", 2019)
    """
    out = NovaComputeLog()
    seen_tb: set[tuple[str, str | None, str | None]] = set()
    for no, raw in enumerate(lines, 1):
        out.lines += 1
        line = re.sub(r"\s+\|\s*$", "", _GUTTER.sub("", raw, count=1)) if _GUTTER.match(raw) else raw
        m = _OSLO.search(line)
        ts = level = req = None
        msg = line
        if m and (m.group("date") or m.start() == 0 or line[:m.start()].rstrip().endswith((":", "|"))):
            out.oslo_lines += 1
            ts, level, msg = _ts(m), m.group("level"), m.group("msg")
            req = (m.group("ctx") or "").split(" ", 1)[0] or None
            if ts is not None:
                out.first_ts = out.first_ts or ts
                out.last_ts = ts
            if level in ("ERROR", "CRITICAL"):
                out.errors += 1
        c = classify(msg)
        if c is None:
            continue
        kind, attrs = c
        # a traceback repeats its exception line under the same request: one event per request
        key = (kind, req, str(attrs.get("detail")) if req else f"{no}")
        if req and key in seen_tb:
            continue
        seen_tb.add(key)
        if len(out.events) >= MAX_EVENTS:
            out.dropped += 1
            continue
        out.events.append(NovaEvent(kind, no, raw[:500], ts, level, req,
                                    attrs.get("host"), attrs.get("port"),  # type: ignore[arg-type]
                                    attrs.get("detail")))  # type: ignore[arg-type]
    if out.lines == 0:
        return Parsed(None, [ParseProblem("empty log")])
    if out.oslo_lines == 0 and not out.events:
        return Parsed(None, [ParseProblem("no oslo.log lines and no nova/Kolla error text")])
    return Parsed(out, [])
