"""Log events as the log parsers give them, and the per-kind cap that keeps memory flat.

Every parser of a log (parse/log/syslog.py, the PVE task logs, container logs) gives `LogEvents`:
typed events, with exact counts of every kind. A kind seen more than MAX_PER_KIND times in one
log keeps its first and last halves (a flood of one state line never pushes another kind's
events out), and the report and the timeline say so (facts/logs.py cap_notes).
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import datetime
from sys import intern
from typing import Any

from forewarn.parse.log.unexplained import Unexplained

# Events kept of one kind in one log: its first and last halves (a flood of one state line keeps
# memory flat; its count stays exact). tests/test_event_cap.py: a cap of 40 changes no finding.
MAX_PER_KIND = 10_000
MAX_EVENTS = 200_000  # the task-log and container-log parsers' own bound (all kinds together)


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
    format: str  # "syslog" | "iso" | "json" | "corosync" | "bare" | "klog" | "stamped" | "text" | "mixed" | ...
    events: list[LogEvent]
    lines: int = 0
    timestamped: bool = False
    comments: int = 0
    unrecognised: int = 0
    dropped_events: int = 0  # events of a kind beyond MAX_PER_KIND between its first and last halves
    kinds: Counter[str] = field(default_factory=Counter)
    programs: Counter[str] = field(default_factory=Counter)
    hosts: Counter[str] = field(default_factory=Counter)
    first_ts: datetime | None = None
    last_ts: datetime | None = None
    tz: str | None = None  # offset seen in ISO stamps, if any
    nul_runs: int = 0  # runs of NUL bytes skipped (a crash or power loss leaves them)
    nul_bytes: int = 0
    unexplained: Unexplained = field(default_factory=Unexplained)  # error-looking lines no signature named
    tails: dict[str, Any] = field(default_factory=dict, repr=False)  # kind -> its last events past the cap


def _evidence(raw: str) -> str:
    return raw.replace("\x00", "").strip()


def make_event(no: int, kind: str, attrs: dict[str, str], f: dict[str, Any], raw: str) -> LogEvent:
    """An event of a line's fields `f`; `attrs` as given (shared_attrs: one dict for every event
    of one message, which nobody changes)."""
    pid = f.get("pid")
    host, prog = f.get("host"), f.get("prog")
    return LogEvent(no, kind, f.get("ts"), bool(f.get("year")), _shared(host), _shared(prog),
                    int(pid) if isinstance(pid, (int, str)) and str(pid).isdigit() else None,
                    _evidence(raw), attrs)


def shared_attrs(attrs: dict[str, str]) -> dict[str, str]:
    """Attributes with their names and short values interned (see _shared)."""
    return {intern(k): _shared(v) for k, v in attrs.items()}


def _shared(v: Any) -> Any:
    """One copy of a short string that events repeat (host, program, attribute names and values
    such as states): a log keeps up to MAX_PER_KIND events of a kind, and a new copy of each
    field was a third of an event's memory."""
    return intern(v) if type(v) is str and len(v) <= 40 else v


def keep(out: LogEvents, ev: LogEvent) -> None:
    """Keep an event. A kind seen more than MAX_PER_KIND times keeps its first and its last
    MAX_PER_KIND // 2 events and counts the rest: a flood of one state line never pushes another
    kind's events out, and what a rule asks of a flood (that it happened, when it began, how it
    ended, how many: `kinds`) stays exact."""
    keep_made(out, ev.kind, ev)


def keep_line(out: LogEvents, no: int, kind: str, attrs: dict[str, str], f: dict[str, Any], raw: str) -> None:
    """keep(out, make_event(no, kind, attrs, f, raw)), the event made only if it is kept: past
    the first half of its kind's cap a line may yet be pushed out by later ones, so it waits
    as its parts (a 500 MB log's floods of state lines made ~140,000 events only to drop them)."""
    keep_made(out, kind, (no, kind, attrs, f, raw))


def keep_made(out: LogEvents, kind: str, ev: LogEvent | tuple[Any, ...]) -> None:
    """keep() of an event or of make_event's arguments (made when it is sure to be kept)."""
    n = out.kinds[kind] = out.kinds[kind] + 1
    if n <= MAX_PER_KIND // 2:
        out.events.append(ev if type(ev) is LogEvent else make_event(*ev))
        return
    tail = out.tails.get(kind)
    if tail is None:
        tail = out.tails[kind] = deque(maxlen=MAX_PER_KIND - MAX_PER_KIND // 2)
    if len(tail) == tail.maxlen:
        out.dropped_events += 1
    tail.append(ev)


def close_tails(out: LogEvents) -> None:
    """Put the kept last events of the flooded kinds back among the others, in line order."""
    if out.tails:
        for tail in out.tails.values():
            out.events.extend(ev if type(ev) is LogEvent else make_event(*ev) for ev in tail)
        out.tails = {}
        out.events.sort(key=lambda e: e.line_no)
