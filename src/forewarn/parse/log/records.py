"""What a log line makes, in either process of a big log's scan: the reader's records.

The engine (logscan/engine.py) offers the lines where a signature can match; `candidate` makes
each into a picklable record (an event, an unexplained error, a journal boot mark), in the
parent for its half and in a forked worker for the other; parse/log/syslog.py applies them in
file order. What a line makes is cached by its rest (after the syslog stamp), by the digit shape
of a rest no signature names, and by message; the worker's records are kept small because they
go through a pipe of bounded size.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from sys import intern
from typing import Any

from forewarn.logscan import engine
from forewarn.parse.log.events import shared_attrs
from forewarn.parse.log.headers import classic_stamp, header
from forewarn.parse.log.match import could_name, match, match_among, signatures, wrapped
from forewarn.parse.log.unexplained import could_be_error, looks_error, shape_key, template
from forewarn.parse.log.unwrap import event_source, outer, pieces

JOURNAL_MARK = re.compile(r"^-- (?:Boot [0-9a-f]+|Reboot|Logs begin at .*|No entries|Journal begins at .*) --$")
COMMENT = re.compile(r"^\s*(//|#)")


def fields(text: str) -> tuple[str, dict[str, Any]]:
    head = header(text)
    if head is not None:
        return head
    return "text", {"ts": None, "year": False, "host": None, "prog": event_source(text), "pid": None, "msg": text}


def events_of(msg: str, among: tuple[int, ...] | None = None) -> list[tuple[str, dict[str, str]]]:
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


def line_ts(raw: str) -> datetime | None:
    """The time stamp the parser would take from this line, if any."""
    line = raw.rstrip()
    if not line.strip() or COMMENT.match(line):
        return None
    text = outer(line)[0]
    if not text or JOURNAL_MARK.match(text):
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


def candidate(hit: engine.MatchedLine, acc: dict[str, Any]) -> tuple[Any, ...] | None:
    """What the per-line code makes of a line the engine offers (past the sample): an event
    record, or None. Picklable, so a second process can make them too.

    When the matcher said which patterns matched (`hit.ids`) and the line holds no escape, NUL
    or JSON (whose unwrapped text the raw line does not show), only the signatures among them
    are tried: every piece of the message is a part of the raw line as it is."""
    line = hit.text.rstrip()
    if not line:
        return None
    first = line[0]  # COMMENT needs white space, `/` or `#` first (\s is str.isspace)
    if (first in "#/" or first.isspace()) and COMMENT.match(line):
        acc["comments"] = acc.get("comments", 0) + 1
        return None
    among: tuple[int, ...] | None = None
    ids = hit.ids
    if ids is not None:
        nsig = len(signatures())
        # the error words' pattern (index nsig) finds every line `could_be_error` does but one
        # whose klog E/F prefix alone says it is an error
        erring = nsig in ids or first in "EFef" and could_be_error(line)
        if wrapped(line):
            named = could_name(line)
        else:
            among = tuple(sorted([i for i in ids if 0 <= i < nsig]))
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
    if JOURNAL_MARK.match(text):
        if text.startswith(("-- Boot", "-- Reboot")):
            found = events_of(text, among)
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
    fmt, f = fields(text)
    msg = f.pop("msg")  # read here; a record goes without it (the second process's records are pickled)
    found = events_of(msg, among) if named else []
    if found:
        return ("event", fmt, f, found)
    if looks_error(msg, f.get("level")):
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


def tail_ts(last_lines: Iterable[str]) -> datetime | None:
    return _ts_before(last_lines)


