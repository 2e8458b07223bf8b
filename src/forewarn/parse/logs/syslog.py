"""System logs in every shape operators paste them: one parser, one pass, bounded memory.

Formats: traditional syslog (`Mar 21 09:12:44 host prog[pid]: msg`, no year), RFC 3339 syslog
and `journalctl -o short-iso`, `journalctl -o json`, corosync's own logfile
(`Nov 22 04:04:30 [8638] node4 corosync info    [KNET  ] ...`), and forum pastes with no
timestamp at all (`corosync[3813]:   [KNET  ] ...`), often indented and mixed with the
paster's own `// comment` lines. Only lines that match a signature are kept as events.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from datetime import datetime, timedelta, timezone
from typing import Any

from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser
from forewarn.parse.logs import engine
from forewarn.parse.logs.signatures import LITERALS, SIGNATURES

MAX_EVENTS = 200_000  # beyond this, events are counted but not kept (bounded memory)
PLACEHOLDER_YEAR = 2000  # a leap year, so "Feb 29" parses; facts/logs.py fixes the year

_MONTHS = {m: i for i, m in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)}

_TRAD = re.compile(
    r"^(?P<mon>[A-Z][a-z]{2}) +(?P<day>\d{1,2}) (?P<time>\d\d:\d\d:\d\d)(?:\.(?P<frac>\d+))? "
    r"(?:\[(?P<cpid>\d+)\] (?P<chost>\S+) (?P<cprog>corosync) (?P<clevel>\w+)\s+(?P<cmsg>.*)$|"
    r"(?P<host>\S+) (?P<prog>[^\s\[:]+)(?:\[(?P<pid>\d+)\])?: ?(?P<msg>.*)$)")
_ISO = re.compile(
    r"^(?P<ts>\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?) "
    r"(?P<host>\S+) (?P<prog>[^\s\[:]+)(?:\[(?P<pid>\d+)\])?: ?(?P<msg>.*)$")
# dmesg: "[ 1234.567890] nfs: server ..." or, with -T, "[Sun Nov 22 05:00:00 2026] ..."
_DMESG = re.compile(r"^\[\s*(?:(?P<up>\d+\.\d+)|(?P<wall>[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}))\] (?P<msg>.*)$")
_BARE = re.compile(r"^\s*(?P<prog>[A-Za-z][\w\-./]*)(?:\[(?P<pid>\d+)\])?: ?(?P<msg>.*)$")
_JOURNAL_MARK = re.compile(r"^-- (?:Boot [0-9a-f]+|Reboot|Logs begin at .*|No entries|Journal begins at .*) --$")
_COMMENT = re.compile(r"^\s*(//|#)")


@dataclass(frozen=True, slots=True)
class LogEvent:
    line_no: int
    kind: str
    ts: datetime | None  # naive, year = PLACEHOLDER_YEAR when `year_known` is False
    year_known: bool
    host: str | None
    prog: str | None
    pid: int | None
    text: str  # the whole line as read (for evidence excerpts)
    attrs: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class LogEvents:
    format: str  # "syslog" | "iso" | "json" | "corosync" | "bare" | "mixed" | "unknown"
    events: list[LogEvent]
    lines: int = 0
    timestamped: bool = False
    comments: int = 0
    unrecognised: int = 0
    dropped_events: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    programs: Counter[str] = field(default_factory=Counter)
    hosts: Counter[str] = field(default_factory=Counter)
    first_ts: datetime | None = None
    last_ts: datetime | None = None
    tz: str | None = None  # offset seen in ISO stamps, if any


def _iso(ts: str) -> tuple[datetime | None, str | None]:
    t = ts.replace(" ", "T", 1).replace(",", ".")
    m = re.match(r"^(.*?)([+-]\d\d)(\d\d)$", t)
    if m:  # journalctl short-iso writes +0100
        t = f"{m.group(1)}{m.group(2)}:{m.group(3)}"
    try:
        dt = datetime.fromisoformat(t.replace("Z", "+00:00"))
    except ValueError:
        return None, None
    tz = dt.strftime("%z") if dt.tzinfo else None
    if dt.tzinfo:
        dt = dt.astimezone(timezone.utc).replace(tzinfo=None)
    return dt, tz


def _header(line: str) -> tuple[str, dict[str, Any]] | None:
    """Split a log line into (format, fields). None: not a log line we know."""
    m = _TRAD.match(line)
    if m:
        mon = _MONTHS.get(m.group("mon"))
        if mon:
            h, mi, s = (int(x) for x in m.group("time").split(":"))
            try:
                ts = datetime(PLACEHOLDER_YEAR, mon, int(m.group("day")), h, mi, s,
                              int((m.group("frac") or "0")[:6].ljust(6, "0")))
            except ValueError:
                ts = None
            if m.group("cprog"):
                return "corosync", {"ts": ts, "year": False, "host": m.group("chost"),
                                    "prog": "corosync", "pid": m.group("cpid"), "msg": m.group("cmsg")}
            return "syslog", {"ts": ts, "year": False, "host": m.group("host"),
                              "prog": m.group("prog"), "pid": m.group("pid"), "msg": m.group("msg")}
    m = _ISO.match(line)
    if m:
        ts, tz = _iso(m.group("ts"))
        return "iso", {"ts": ts, "year": True, "tz": tz, "host": m.group("host"),
                       "prog": m.group("prog"), "pid": m.group("pid"), "msg": m.group("msg")}
    if line.startswith("{"):
        try:
            obj = json.loads(line)
        except ValueError:
            return None
        if isinstance(obj, dict) and "MESSAGE" in obj:
            ts = None
            us = obj.get("__REALTIME_TIMESTAMP")
            if isinstance(us, str) and us.isdigit():
                ts = datetime.fromtimestamp(int(us) / 1e6, tz=timezone.utc).replace(tzinfo=None)
            msg = obj.get("MESSAGE")
            if isinstance(msg, list):  # journald stores non-UTF-8 messages as byte arrays
                msg = bytes(x for x in msg if isinstance(x, int) and 0 <= x < 256).decode("utf-8", "replace")
            return "json", {"ts": ts, "year": True, "tz": "+0000", "host": obj.get("_HOSTNAME"),
                            "prog": obj.get("SYSLOG_IDENTIFIER") or obj.get("_COMM"),
                            "pid": obj.get("_PID") or obj.get("SYSLOG_PID"), "msg": str(msg or ""),
                            "boot_id": obj.get("_BOOT_ID")}
        return None
    m = _DMESG.match(line)
    if m:
        ts = None
        if m.group("wall"):
            try:
                ts = datetime.strptime(m.group("wall"), "%a %b %d %H:%M:%S %Y")
            except ValueError:
                ts = None
        return "dmesg", {"ts": ts, "year": ts is not None, "host": None, "prog": "kernel",
                         "pid": None, "msg": m.group("msg")}
    m = _BARE.match(line)
    if m and (m.group("pid") or m.group("msg").startswith("  [")):
        return "bare", {"ts": None, "year": False, "host": None, "prog": m.group("prog"),
                        "pid": m.group("pid"), "msg": m.group("msg")}
    return None


def clean_attrs(groups: dict[str, str | None]) -> dict[str, str]:
    """Named groups -> attributes: `lock2` is an alternative spelling of `lock`; markdown escapes
    (`file-replication\\_cfg` in a pasted note) and a closing quote of the sentence around a
    quoted message are not part of the value."""
    out: dict[str, str] = {}
    for k, v in groups.items():
        if v is None:
            continue
        out[k.rstrip("2")] = v.strip().replace("\\_", "_").rstrip('"').rstrip()
    return out


def _match(msg: str) -> list[tuple[str, dict[str, str]]]:
    found: list[tuple[str, dict[str, str]]] = []
    for sig in SIGNATURES:
        if sig.literal in msg:
            m = sig.regex.search(msg)
            if m:
                attrs = clean_attrs(m.groupdict())
                found.append((sig.kind, attrs))
                if sig.kind != "pmxcfs_cpg_error":
                    break
    # a cpg error is also a pmxcfs crit line; keep only the specific kind
    return found[:1]


SAMPLE_LINES = 5000  # header-parse this many lines for format, program and host statistics


class _Reader:
    """The per-line state of one pass: the first SAMPLE_LINES lines all count; after that
    only the lines that contain a signature's literal are looked at (the old prefilter)."""

    def __init__(self, sample: int = SAMPLE_LINES) -> None:
        self.out = LogEvents(format="unknown", events=[])
        self.formats: Counter[str] = Counter()
        self.problems: list[ParseProblem] = []
        self.sample_left = sample
        self.prev_ts: datetime | None = None

    def line(self, no: int, raw: str, maybe: bool = True) -> None:
        """One line. `maybe=False`: the engine's matcher found nothing a signature could match
        in it, so the literal check (which only gates `_match`) is skipped."""
        out = self.out
        line = raw.rstrip()
        if not line.strip():
            return
        if _COMMENT.match(line):
            out.comments += 1
            return
        interesting = maybe and any(lit in line for lit in LITERALS)
        if not interesting and self.sample_left <= 0:
            return
        self.sample_left -= 1
        stripped = line.strip()
        if _JOURNAL_MARK.match(stripped):
            self.formats["journal"] += 1
            if stripped.startswith(("-- Boot", "-- Reboot")):
                kind_attrs = _match(stripped)
                if kind_attrs:
                    _add(out, LogEvent(no, kind_attrs[0][0], self.prev_ts, False, None, None, None,
                                       stripped, kind_attrs[0][1]))
            return
        head = _header(stripped if not line[:1].isalpha() else line)
        if head is None:
            out.unrecognised += 1
            if len(self.problems) < 20:
                self.problems.append(ParseProblem("not a log line", no, raw[:200]))
            return
        fmt, f = head
        self._count(fmt, f)
        if not interesting:
            return
        for kind, attrs in _match(f["msg"]):
            _add(out, _event(no, kind, attrs, f, raw))

    def _count(self, fmt: str, f: dict[str, Any]) -> None:
        out = self.out
        self.formats[fmt] += 1
        if f.get("prog"):
            out.programs[f["prog"]] += 1
        if f.get("host"):
            out.hosts[f["host"]] += 1
        ts = f.get("ts")
        if ts is not None:
            out.timestamped = True
            out.first_ts = out.first_ts or ts
            out.last_ts = ts
            self.prev_ts = ts
            if f.get("tz") and not out.tz:
                out.tz = f["tz"]

    def apply(self, rec: tuple[Any, ...], offset: int, fallback_ts: datetime | None = None) -> None:
        """Add one record made by `_candidate` (line numbers shifted by `offset`). A boot
        marker whose earlier stamped line was out of reach takes `fallback_ts`, else the time
        of the last line this pass looked at."""
        if rec[0] == "mark":
            _tag, no, kind, attrs, stripped, ts = rec
            if ts is None:
                ts = fallback_ts if fallback_ts is not None else self.prev_ts
            self.formats["journal"] += 1
            _add(self.out, LogEvent(no + offset, kind, ts, False, None, None, None, stripped, attrs))
            return
        _tag, no, fmt, f, found, text = rec
        self._count(fmt, f)
        for kind, attrs in found:
            _add(self.out, _event(no + offset, kind, attrs, f, text))

    def result(self) -> Parsed[LogEvents]:
        out, formats, problems = self.out, self.formats, self.problems
        if formats:
            top = [k for k, _ in formats.most_common() if k != "journal"]
            out.format = top[0] if len(top) == 1 else ("mixed" if top else "journal")
        if out.lines and not formats:
            problems.insert(0, ParseProblem("no line looks like a system log"))
            return Parsed(None, problems)
        if out.unrecognised > len(problems):
            problems.append(ParseProblem(f"{out.unrecognised} lines in all were not log lines"))
        return Parsed(out, problems)


def _event(no: int, kind: str, attrs: dict[str, str], f: dict[str, Any], raw: str) -> LogEvent:
    pid = f.get("pid")
    return LogEvent(no, kind, f.get("ts"), bool(f.get("year")), f.get("host"), f.get("prog"),
                    int(pid) if isinstance(pid, (int, str)) and str(pid).isdigit() else None,
                    raw.strip(), attrs)


def line_ts(raw: str) -> datetime | None:
    """The time stamp the parser would take from this line, if any."""
    line = raw.rstrip()
    if not line.strip() or _COMMENT.match(line):
        return None
    stripped = line.strip()
    if _JOURNAL_MARK.match(stripped):
        return None
    head = _header(stripped if not line[:1].isalpha() else line)
    return head[1].get("ts") if head else None


def _ts_before(lines: Iterable[str]) -> datetime | None:
    """The time stamp of the nearest of `lines` that has one (None: none within reach)."""
    for text in lines:
        ts = line_ts(text)
        if ts is not None:
            return ts
    return None


def _candidate(hit: engine.Hit, acc: dict[str, int]) -> tuple[Any, ...] | None:
    """What the per-line code makes of a line the engine offers (past the sample): an event
    record, or None. Picklable, so a second process can make them too."""
    line = hit.text.rstrip()
    if not line.strip():
        return None
    if _COMMENT.match(line):
        acc["comments"] = acc.get("comments", 0) + 1
        return None
    if not any(lit in line for lit in LITERALS):
        return None
    stripped = line.strip()
    if _JOURNAL_MARK.match(stripped):
        if stripped.startswith(("-- Boot", "-- Reboot")):
            kind_attrs = _match(stripped)
            if kind_attrs:
                kind, attrs = kind_attrs[0]
                return ("mark", hit.line_no, kind, attrs, stripped, _ts_before(hit.lines_before()))
        return None
    head = _header(stripped if not line[:1].isalpha() else line)
    if head is None:
        return None
    fmt, f = head
    found = _match(f["msg"])
    if not found:
        return None
    return ("event", hit.line_no, fmt, f, found, hit.text)


def _tail_ts(last_lines: Iterable[str]) -> datetime | None:
    return _ts_before(last_lines)


@parser("log.syslog", "log.corosync", stream=True)
def parse_syslog(lines: Iterable[str], *, sample: int = SAMPLE_LINES) -> Parsed[LogEvents]:
    """Parse any system log into typed events, in one pass.

    Given `EvidenceRecord.lines()` (anything with `open_bytes()`), the log is read as bytes by
    the fast engine (parse/logs/engine.py): the first `sample` lines go through the per-line
    code (`parse_lines`), the rest only where a signature can match. Events, line numbers,
    lines and comments are those of the per-line code. Past the sample, formats, programs and
    hosts are counted from the event lines only (the per-line code also counted lines that
    merely contain a literal); a journal boot marker takes the time of the nearest earlier
    stamped line, and `last_ts` is the time of the last stamped line of the log, each looked
    for in the last 1-2 MiB before it (else the time of the last line looked at). For a log of
    fewer than `sample` lines the result is exactly the per-line code's.

    >>> r = parse_syslog(["    corosync[3813]:   [KNET  ] link: host: 8 link: 0 is down",
    ...                   "    // Link to another host is garbled"])
    >>> e = r.value.events[0]
    >>> (r.value.format, e.kind, e.attrs["host"], e.ts, r.value.comments)
    ('bare', 'knet_link_down', '8', None, 1)
    """
    if hasattr(lines, "open_bytes"):
        ps = _pattern_set()
        if not ps.every_line:
            return _parse_bytes(lines, sample, ps)  # type: ignore[arg-type]
    return parse_lines(lines, sample=sample)


def parse_lines(lines: Iterable[str], *, sample: int = SAMPLE_LINES) -> Parsed[LogEvents]:
    """The per-line path: every line through Python (the reference the engine is tested against)."""
    rd = _Reader(sample)
    for no, raw in enumerate(lines, 1):
        rd.out.lines = no
        rd.line(no, raw)
    return rd.result()


@lru_cache(maxsize=4)
def _patterns(signatures: tuple[Any, ...]) -> engine.PatternSet:
    return engine.build_patterns(signatures)


def _pattern_set() -> engine.PatternSet:
    """Built from the signature table as it is when first needed (then kept)."""
    return _patterns(SIGNATURES)


def _parse_bytes(src: Any, sample: int, ps: engine.PatternSet) -> Parsed[LogEvents]:
    rd = _Reader(sample)
    scan = engine.scan_log(src, engine.matcher_for(ps), sampling=lambda: rd.sample_left > 0,
                           sample_line=rd.line, make=_candidate, apply=rd.apply, tail=_tail_ts)
    rd.out.lines = scan.lines
    rd.out.comments += scan.acc.get("comments", 0)
    if scan.tail is not None:
        rd.out.last_ts = scan.tail
        rd.out.timestamped = True
    return rd.result()


def _add(out: LogEvents, ev: LogEvent) -> None:
    out.kinds[ev.kind] += 1
    if len(out.events) < MAX_EVENTS:
        out.events.append(ev)
    else:
        out.dropped_events += 1


def shift(ts: datetime | None, seconds: float) -> datetime | None:
    return ts + timedelta(seconds=seconds) if ts else None
