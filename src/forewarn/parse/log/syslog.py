"""System logs, and any text, in every shape operators paste them: one reader, one pass.

Formats with a prefix (time, host, program) are those of headers.py: syslog in any locale,
`journalctl -o short*|json`, corosync's own logfile, dmesg, klog, ISO-stamped lines and
forum pastes with no time stamp (`corosync[3813]:   [KNET  ] ...`), often indented and mixed
with the paster's own `// comment` lines. Lines without a prefix are read as plain text: every
line is matched against every signature of the knowledge base (forewarn/signatures), after
unwrap.py takes off what wraps the message (terraform's box, JSON, ansible results, kubectl
Events rows, escapes). Only lines that match a signature are kept as events.

NUL runs (what a crash or power loss leaves in a log) are skipped and counted; the text
around them is read. A big log's lines past the first SAMPLE_LINES go through the fast engine
(logscan/), which offers only the lines a signature can match; parse/log/records.py makes each
into a record, in one of two processes, and this reader applies them in file order.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from forewarn.model.evidence import LineStream
from forewarn.model.keys import Key
from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser
from forewarn.logscan import engine
from forewarn.parse.log.events import LogEvent, LogEvents, close_tails, keep, keep_line
from forewarn.parse.log.match import could_name
from forewarn.parse.log.records import COMMENT, JOURNAL_MARK, candidate, events_of, fields, tail_ts
from forewarn.parse.log.unexplained import could_be_error, looks_error
from forewarn.parse.log.unwrap import outer

SAMPLE_LINES = 5000  # header-parse this many lines for format, program and host statistics


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
        if COMMENT.match(line):
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
        if JOURNAL_MARK.match(text):
            self.formats["journal"] += 1
            if text.startswith(("-- Boot", "-- Reboot")):
                for kind, attrs in events_of(text):
                    keep(out, LogEvent(no, kind, self.prev_ts, False, None, None, None, text, attrs))
            return
        fmt, f = fields(text)
        if fmt == "text":
            out.unrecognised += 1
            if len(self.problems) < 20 and not self.generic:
                self.problems.append(ParseProblem("not a log line", no, raw[:200]))
        self._count(fmt, f)
        found = events_of(f["msg"]) if interesting else []
        for kind, attrs in found:
            keep_line(out, no, kind, attrs, f, raw)
        if not found and erring and looks_error(f["msg"], f.get("level")):
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
        """Add one record made by `records.candidate` (line numbers shifted by `offset`). A boot
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
                           sample_line=rd.line, make=candidate, apply=rd.apply, tail=tail_ts)
    rd.out.lines = scan.lines
    rd.out.comments += scan.acc.get("comments", 0)
    rd.out.nul_runs += scan.acc.get("nul_runs", 0)
    rd.out.nul_bytes += scan.acc.get("nul_bytes", 0)
    if scan.tail is not None:
        rd.out.last_ts = scan.tail
        rd.out.timestamped = True
    return rd.result()


