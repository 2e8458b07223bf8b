"""System logs, and any text, in every shape operators paste them: one reader, one pass.

Formats with a prefix (time, host, program) are those of headers.py: syslog in any locale,
`journalctl -o short*|json`, corosync's own logfile, dmesg, klog, ISO-stamped lines and
forum pastes with no time stamp (`corosync[3813]:   [KNET  ] ...`), often indented and mixed
with the paster's own `// comment` lines. Lines without a prefix are read as plain text: every
line is matched against every signature of the knowledge base (forewarn/signatures), after
unwrap.py takes off what wraps the message (terraform's box, JSON, ansible results, kubectl
Events rows, escapes). Only lines that match a signature are kept as events.

NUL runs (what a crash or power loss leaves in a log) are skipped and counted; the text
around them is read.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from sys import intern
from typing import Any

from forewarn.model.evidence import LineStream
from forewarn.model.keys import Key
from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser
from forewarn.logscan import engine
from forewarn.parse.log.headers import PLACEHOLDER_YEAR, classic_stamp, header  # noqa: F401  (PLACEHOLDER_YEAR re-exported)
from forewarn.parse.log.match import (  # noqa: F401  (clean_attrs re-exported)
    clean_attrs, could_name, match, match_among, signatures, wrapped,
)
from forewarn.parse.log.events import LogEvent, LogEvents, close_tails, keep, keep_line, shared_attrs
from forewarn.parse.log.unexplained import could_be_error, looks_error, shape_key, template
from forewarn.parse.log.unwrap import event_source, outer, pieces

SAMPLE_LINES = 5000  # header-parse this many lines for format, program and host statistics

_JOURNAL_MARK = re.compile(r"^-- (?:Boot [0-9a-f]+|Reboot|Logs begin at .*|No entries|Journal begins at .*) --$")
_COMMENT = re.compile(r"^\s*(//|#)")


def _fields(text: str) -> tuple[str, dict[str, Any]]:
    head = header(text)
    if head is not None:
        return head
    return "text", {"ts": None, "year": False, "host": None, "prog": event_source(text), "pid": None, "msg": text}


def _found(msg: str, among: tuple[int, ...] | None = None) -> list[tuple[str, dict[str, str]]]:
    """The events a message names: each piece unwrap.py makes of it, matched against the
    knowledge base (`among`: only these signatures can match, see match_among). Cached: the
    same message comes from many processes (`pvescheduler[1170239]: INFO: Backup job finished
    successfully`), whose lines differ in their pid and so miss the rest cache (_BY_REST).
    The lists and their attributes are shared by the events they make: nobody changes them."""
    key = (msg, among)
    out = _BY_MESSAGE.get(key)
    if out is None:
        out = []
        for piece in pieces(msg):
            hit = match(piece) if among is None else match_among(piece, among)
            if hit is not None:
                out.append((hit[0].kind, shared_attrs(hit[1])))
        if len(_BY_MESSAGE) >= _BY_REST_MAX:
            _BY_MESSAGE.clear()
        _BY_MESSAGE[key] = out
    return out


_BY_MESSAGE: dict[tuple[str, tuple[int, ...] | None], list[tuple[str, dict[str, str]]]] = {}


class _Reader:
    """The per-line state of one pass: the first SAMPLE_LINES lines all count; after that only
    the lines where a signature can match are looked at. `generic`: a file nobody recognised
    (log.text), where lines without a log prefix are no problem to report."""

    def __init__(self, sample: int = SAMPLE_LINES, generic: bool = False, keep: bool = False) -> None:
        self.out = LogEvents(format="unknown", events=[])
        self.formats: Counter[str] = Counter()
        self.problems: list[ParseProblem] = []
        self.sample_left = sample
        self.prev_ts: datetime | None = None
        self.generic = generic
        self.keep = keep  # give the result even when no line was a log line nor named (for its unexplained errors)

    def line(self, no: int, raw: str, maybe: bool = True) -> None:
        """One line. `maybe=False`: the engine's matcher found nothing a signature could match
        in it, so only its statistics count."""
        out = self.out
        line = raw.rstrip()
        if not line.strip():
            return
        if _COMMENT.match(line):
            out.comments += 1
            return
        interesting = maybe and could_name(line)
        erring = maybe and could_be_error(line)
        if not interesting and not erring and self.sample_left <= 0:
            return
        self.sample_left -= 1
        if "\x00" in line:
            self.nuls(line)
        text = outer(line)[0]
        if not text:
            return
        if _JOURNAL_MARK.match(text):
            self.formats["journal"] += 1
            if text.startswith(("-- Boot", "-- Reboot")):
                for kind, attrs in _found(text):
                    keep(out, LogEvent(no, kind, self.prev_ts, False, None, None, None, text, attrs))
            return
        fmt, f = _fields(text)
        if fmt == "text":
            out.unrecognised += 1
            if len(self.problems) < 20 and not self.generic:
                self.problems.append(ParseProblem("not a log line", no, raw[:200]))
        self._count(fmt, f)
        found = _found(f["msg"]) if interesting else []
        for kind, attrs in found:
            keep_line(out, no, kind, attrs, f, raw)
        if not found and erring and looks_error(f["msg"]):
            out.unexplained.add(no, f["msg"], f.get("ts"), raw, bool(f.get("year")))

    def nuls(self, line: str) -> None:
        self.out.nul_runs += len(re.findall("\x00+", line))
        self.out.nul_bytes += line.count("\x00")

    def _count(self, fmt: str, f: dict[str, Any]) -> None:
        out = self.out
        if fmt != "text":
            self.formats[fmt] += 1
        get = f.get
        if prog := get("prog"):
            out.programs[prog] += 1
        if host := get("host"):
            out.hosts[host] += 1
        ts = get("ts")
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
            _tag, no, found, text, ts = rec
            if ts is None:
                ts = fallback_ts if fallback_ts is not None else self.prev_ts
            self.formats["journal"] += 1
            for kind, attrs in found:
                keep(self.out, LogEvent(no + offset, kind, ts, False, None, None, None, text, attrs))
            return
        if rec[0] == "unexplained":
            _tag, no, key, ts, raw, year = rec
            self.out.unexplained.add_template(no + offset, key, ts, raw, year)
            return
        _tag, no, fmt, f, found, raw = rec
        self._count(fmt, f)
        for kind, attrs in found:
            keep_line(self.out, no + offset, kind, attrs, f, raw)

    def result(self) -> Parsed[LogEvents]:
        out, formats, problems = self.out, self.formats, self.problems
        close_tails(out)
        if formats:
            top = [k for k, _ in formats.most_common() if k != "journal"]
            out.format = top[0] if len(top) == 1 else ("mixed" if top else "journal")
        elif out.kinds:
            out.format = "text"
        if out.nul_runs:
            problems.append(ParseProblem(
                f"{out.nul_runs} run(s) of NUL bytes ({out.nul_bytes} bytes) were skipped, as a crash "
                "or power loss leaves them; the text around them was read"))
        if (out.lines or self.generic) and not formats and not out.kinds and not self.keep:
            if not self.generic:
                problems.insert(0, ParseProblem("no line looks like a system log"))
            return Parsed(None, problems)
        if out.unrecognised > len(problems) and not self.generic:
            problems.append(ParseProblem(f"{out.unrecognised} lines in all were not log lines"))
        return Parsed(out, problems)


def line_ts(raw: str) -> datetime | None:
    """The time stamp the parser would take from this line, if any."""
    line = raw.rstrip()
    if not line.strip() or _COMMENT.match(line):
        return None
    text = outer(line)[0]
    if not text or _JOURNAL_MARK.match(text):
        return None
    head = header(text)
    return head[1].get("ts") if head else None


def _ts_before(lines: Iterable[str]) -> datetime | None:
    """The time stamp of the nearest of `lines` that has one (None: none within reach)."""
    for text in lines:
        ts = line_ts(text)
        if ts is not None:
            return ts
    return None


def _candidate(hit: engine.MatchedLine, acc: dict[str, Any]) -> tuple[Any, ...] | None:
    """What the per-line code makes of a line the engine offers (past the sample): an event
    record, or None. Picklable, so a second process can make them too.

    When the matcher said which patterns matched (`hit.ids`) and the line holds no escape, NUL
    or JSON (whose unwrapped text the raw line does not show), only the signatures among them
    are tried: every piece of the message is a part of the raw line as it is."""
    line = hit.text.rstrip()
    if not line.strip():
        return None
    if _COMMENT.match(line):
        acc["comments"] = acc.get("comments", 0) + 1
        return None
    among: tuple[int, ...] | None = None
    if hit.ids is not None:
        nsig = len(signatures())
        # the error words' pattern (index nsig) finds every line `could_be_error` does but one
        # whose klog E/F prefix alone says it is an error
        erring = nsig in hit.ids or line[:1] in "EFef" and could_be_error(line)
        if wrapped(line):
            named = could_name(line)
        else:
            among = tuple(sorted(i for i in hit.ids if 0 <= i < nsig))
            named = bool(among)
    else:
        named = could_name(line)  # else no signature can name it: only an error it may be
        erring = could_be_error(line)
    if not named and not erring:
        return None
    if "\x00" in line:
        acc["nul_runs"] = acc.get("nul_runs", 0) + len(re.findall("\x00+", line))
        acc["nul_bytes"] = acc.get("nul_bytes", 0) + line.count("\x00")
    stamp = classic_stamp(line)
    if stamp is not None:  # a syslog line: what its rest makes is cached, its time is its own
        end, ts = stamp
        # a line no signature names makes what its rest's digit shape makes (see _BY_SHAPE)
        cache: dict[Any, tuple[Any, ...]] = _BY_REST if named else _BY_SHAPE
        key = line[end:] if named else shape_key(line[end:])
        made = cache.get(key)
        if made is None:
            # outer() of a line that starts with a stamp only drops the NULs of its rest (a rest
            # holds a backslash or a NUL, or `wrapped` is false, whatever the stamp before it)
            made = _made_of(outer(line)[0] if wrapped(line) else line, among, named)
            if made[1] != "text":  # a rest no header reads: its message is the whole line, stamp and all
                if len(cache) >= _BY_REST_MAX:
                    cache.clear()
                cache[key] = made
        return _record(made, hit, ts, made[1] != "text", acc)
    text = outer(line)[0]
    if not text:
        return None
    if _JOURNAL_MARK.match(text):
        if text.startswith(("-- Boot", "-- Reboot")):
            found = _found(text, among)
            if found:
                return ("mark", hit.line_no, found, text, _ts_before(hit.lines_before()))
        return None
    return _record(_made_of(text, among, named), hit, None, False, acc)


# A syslog line's rest (after its stamp: host, program, pid, message) -> what it makes. State
# lines repeat word for word (`pve-ha-lrm[2201]: status change wait_for_agent_lock => active`):
# two in three event lines of the independent corpus. Exact: what a line makes depends on its
# rest alone when a header reads it (headers.classic_stamp), and `among` holds every signature
# that matches its message.
_BY_REST: dict[str, tuple[Any, ...]] = {}
_BY_REST_MAX = 5_000  # per cache, cleared when full: 20,000 cost ~30 MiB a process and were no faster
# A rest no signature names -> what it makes, keyed by its digit shape (unexplained.shape_key): such a
# line is an unexplained error or nothing, and which, and its template, depend on its shape alone
# (the header reads digits as \d, looks_error's words hold none and its "0 errors" keeps 0, the
# masks treat 1-9 alike). The failed logins of a log (`authentication failure; rhost=<address>`)
# differ in their digits only: one template for all, made once instead of ~30 µs a line.
_BY_SHAPE: dict[bytes, tuple[Any, ...]] = {}


def _made_of(text: str, among: tuple[int, ...] | None, named: bool) -> tuple[Any, ...]:
    """("event", format, fields, found) | ("unexplained", format, template, fields) | ("none", format)."""
    fmt, f = _fields(text)
    msg = f.pop("msg")  # read here; a record goes without it (the second process's records are pickled)
    found = _found(msg, among) if named else []
    if found:
        return ("event", fmt, f, found)
    if looks_error(msg):
        # masked here: in the worker process for the second half of a big log
        return ("unexplained", fmt, intern(template(msg)), f)
    return ("none", fmt)


def _record(made: tuple[Any, ...], hit: engine.MatchedLine, ts: datetime | None, stamped: bool,
            acc: dict[str, Any]) -> tuple[Any, ...] | None:
    if made[0] == "event":
        _tag, fmt, f, found = made
        return ("event", hit.line_no, fmt, {**f, "ts": ts} if stamped else f, found, hit.text)
    if made[0] == "unexplained":
        _tag, _fmt, key, f = made
        return ("unexplained", hit.line_no, key, ts if stamped else f.get("ts"), _example(key, hit.text, acc),
                bool(f.get("year")))
    return None


_EXAMPLES_KEPT = 20_000  # templates whose example this pass gave already (past that, every line gives it)


def _example(key: str, raw: str, acc: dict[str, Any]) -> str | None:
    """The line as an example of its template, or None when this pass gave one already: a
    template keeps its first line only (Unexplained.add_template), and the records of a big
    log's second half are pickled through a pipe of bounded size (an error line a template
    repeats was 2/3 of a record's bytes; with it the worker waited on a full pipe)."""
    given: set[str] = acc.setdefault("_examples", set())
    if key in given:
        return None
    if len(given) < _EXAMPLES_KEPT:
        given.add(key)
    return raw


def _tail_ts(last_lines: Iterable[str]) -> datetime | None:
    return _ts_before(last_lines)


SYSLOG = Key("log.syslog", LogEvents)
COROSYNC = Key("log.corosync", LogEvents)


@parser("log.syslog", "log.corosync", stream=True)
def parse_syslog(lines: Iterable[str], *, sample: int = SAMPLE_LINES) -> Parsed[LogEvents]:
    """Parse any system log into typed events, in one pass.

    Given `EvidenceRecord.lines()` (anything with `open_bytes()`), the log is read as bytes by
    the fast engine (logscan/engine.py): the first `sample` lines go through the per-line
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
    return _parse(lines, sample, generic=False)


LOG_TEXT = Key("log.text", LogEvents)


@parser("log.text", stream=True)
def parse_text(lines: Iterable[str], *, sample: int = SAMPLE_LINES, keep: bool = False) -> Parsed[LogEvents]:
    """Any text no sniffer recognised, read as a generic log: every line against every signature.

    >>> r = parse_text(["Jul 16 11:53:24 host kernel: [1310061.327439] CPU 0/KVM invoked oom-killer: gfp_mask=0x0",
    ...                 "TASK ERROR: storage 'truenas-hdd' does not exist"])
    >>> [(e.line_no, e.kind) for e in r.value.events], r.problems
    ([(1, 'oom_invoked'), (2, 'pve_storage_missing')], [])
    """
    return _parse(lines, sample, generic=True, keep=keep)


def _parse(lines: Iterable[str], sample: int, *, generic: bool, keep: bool = False) -> Parsed[LogEvents]:
    if isinstance(lines, LineStream):  # an artifact: the engine reads its bytes
        return _parse_bytes(lines, sample, generic, keep)
    return parse_lines(lines, sample=sample, generic=generic, keep=keep)


def parse_lines(lines: Iterable[str], *, sample: int = SAMPLE_LINES, generic: bool = False,
                keep: bool = False) -> Parsed[LogEvents]:
    """The per-line path: every line through Python (the reference the engine is tested against)."""
    rd = _Reader(sample, generic, keep)
    for no, raw in enumerate(lines, 1):
        rd.out.lines = no
        rd.line(no, raw)
    return rd.result()


def _pattern_set() -> engine.PatternSet:
    """The knowledge base's patterns (built when first needed, then kept)."""
    return engine.knowledge_base_patterns()


def _parse_bytes(src: Any, sample: int, generic: bool, keep: bool = False) -> Parsed[LogEvents]:
    rd = _Reader(sample, generic, keep)
    scan = engine.scan_log(src, engine.matcher_for(_pattern_set()), sampling=lambda: rd.sample_left > 0,
                           sample_line=rd.line, make=_candidate, apply=rd.apply, tail=_tail_ts)
    rd.out.lines = scan.lines
    rd.out.comments += scan.acc.get("comments", 0)
    rd.out.nul_runs += scan.acc.get("nul_runs", 0)
    rd.out.nul_bytes += scan.acc.get("nul_bytes", 0)
    if scan.tail is not None:
        rd.out.last_ts = scan.tail
        rd.out.timestamped = True
    return rd.result()


