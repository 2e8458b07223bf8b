"""chrony's view of time: `chronyc -n sources` and `chronyc tracking`.

    MS Name/IP address         Stratum Poll Reach LastRx Last sample
    ===============================================================================
    ^? 192.0.2.1                     0   6     0     -     +0ns[   +0ns] +/-    0ns
    ^* 10.99.0.1                     8   6    17     9    +50ns[ +594ns] +/- 5804ns

M is the mode (`^` server, `=` peer, `#` reference clock), S the state (`*` synchronised to,
`+` combined, `-` not combined, `?` unusable or unreachable, `x` falseticker, `~` too variable).
Reach is the octal shift register of the last eight polls: 0 means none of them was answered,
377 all eight. chronyc prints `506 Cannot talk to daemon` when chronyd is not running.

    Reference ID    : 00000000 ()
    Stratum         : 0
    System time     : 0.000000000 seconds fast of NTP time
    Leap status     : Not synchronised

`System time` is how far the system clock is from chrony's estimate of true time right now
(`fast` ahead, `slow` behind); chrony slews it away unless told to step. A `Leap status` of
`Not synchronised` (reference ID 00000000, stratum 0) means chrony has never synchronised or has
lost every source.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from forewarn.model.keys import Key
from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser
from forewarn.parse._text import lazy_compile, to_int

_SOURCE = lazy_compile(
    r"^(?P<mode>[\^=#])(?P<state>[*+\-?x~ ])\s+(?P<name>\S+)\s+(?P<stratum>\d+)\s+(?P<poll>-?\d+)\s+"
    r"(?P<reach>[0-7]{1,3})\s+(?P<lastrx>\S+)\s+(?P<sample>.*?)\s*$")
_HEADER = lazy_compile(r"^\s*MS Name/IP address\s+Stratum")
_DAEMON_ERROR = lazy_compile(r"^(50\d .*|Cannot talk to daemon.*|chronyc: .*)$")
_LEGEND = lazy_compile(r"^\s*(\.-|/ \.-|\| /|\|\||\|\s|\s*\|)")


@dataclass(frozen=True, slots=True)
class ChronySource:
    mode: str  # "^" server, "=" peer, "#" reference clock
    state: str  # "*", "+", "-", "?", "x", "~"
    name: str
    stratum: int
    poll: int
    reach: int  # the register's value (octal in the output): 0 = no answer to the last 8 polls
    last_rx: str
    last_sample: str
    line: int

    @property
    def reach_octal(self) -> str:
        return format(self.reach, "o")

    @property
    def selected(self) -> bool:
        return self.state == "*"

    @property
    def reachable(self) -> bool:
        return self.reach != 0


@dataclass(slots=True)
class ChronySources:
    sources: list[ChronySource] = field(default_factory=list)
    daemon_error: str | None = None  # `506 Cannot talk to daemon`: chronyd is not running
    error_line: int = 0

    @property
    def selected(self) -> ChronySource | None:
        return next((s for s in self.sources if s.selected), None)

    @property
    def all_unreachable(self) -> bool:
        return bool(self.sources) and not any(s.reachable for s in self.sources)


CHRONY_SOURCES = Key("host.chrony_sources", ChronySources)


@parser("host.chrony_sources")
def parse_chrony_sources(text: str) -> Parsed[ChronySources]:
    """Parse `chronyc -n sources` (with or without `-v`).

    >>> r = parse_chrony_sources("MS Name/IP address         Stratum Poll Reach LastRx Last sample\\n"
    ...     "===============================================================================\\n"
    ...     "^? 192.0.2.1                     0   6     0     -     +0ns[   +0ns] +/-    0ns\\n")
    >>> s = r.value.sources[0]
    >>> (s.name, s.state, s.reach, r.value.all_unreachable, r.problems)
    ('192.0.2.1', '?', 0, True, [])
    """
    out = ChronySources()
    problems: list[ParseProblem] = []
    header = False
    for no, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip()
        if not line.strip():
            continue
        if _HEADER.match(line):
            header = True
            continue
        if set(line.strip()) <= {"="}:
            continue
        m = _SOURCE.match(line)
        if m:
            out.sources.append(ChronySource(
                m.group("mode"), m.group("state"), m.group("name"), int(m.group("stratum")),
                int(m.group("poll")), int(m.group("reach"), 8), m.group("lastrx"), m.group("sample"), no))
            continue
        if _DAEMON_ERROR.match(line.strip()) and out.daemon_error is None:
            out.daemon_error, out.error_line = line.strip(), no
            continue
        if not header or _LEGEND.match(line) or line.lstrip().startswith(("210 Number of sources", "Number of sources")):
            continue  # `-v` legend above the header, chrony 2.x's count line
        problems.append(ParseProblem("not a chronyc sources line", no, raw))
    if not header and not out.sources and out.daemon_error is None:
        return Parsed(None, [ParseProblem("no `MS Name/IP address` header and no source line: not chronyc sources")])
    return Parsed(out, problems)


_SECONDS = lazy_compile(r"^(?P<value>[+-]?\d+(?:\.\d+)?) seconds(?: (?P<dir>fast|slow) of NTP time)?")
_REF = lazy_compile(r"^(?P<id>\S+)\s*\((?P<name>[^)]*)\)")


@dataclass(slots=True)
class ChronyTracking:
    reference_id: str | None = None  # "0A630001"; "00000000" when there is no reference
    reference_name: str | None = None  # what chronyc printed in brackets (an address or a name)
    stratum: int | None = None
    ref_time: str | None = None
    system_time: float | None = None  # seconds the system clock is ahead (+) or behind (-) NTP time
    last_offset: float | None = None
    rms_offset: float | None = None
    leap_status: str | None = None  # "Normal", "Not synchronised", "Insert second", "Delete second"
    daemon_error: str | None = None
    lines: dict[str, int] = field(default_factory=dict)

    @property
    def synchronised(self) -> bool | None:
        if self.leap_status is None:
            return None
        return self.leap_status.lower() != "not synchronised"


_KEYS = {"reference id": "reference_id", "stratum": "stratum", "ref time (utc)": "ref_time",
         "system time": "system_time", "last offset": "last_offset", "rms offset": "rms_offset",
         "leap status": "leap_status"}


CHRONY_TRACKING = Key("host.chrony_tracking", ChronyTracking)


@parser("host.chrony_tracking")
def parse_chrony_tracking(text: str) -> Parsed[ChronyTracking]:
    """Parse `chronyc tracking`.

    >>> r = parse_chrony_tracking("Reference ID    : 0A630001 (10.99.0.1)\\nStratum         : 9\\n"
    ...     "System time     : 2.499987364 seconds slow of NTP time\\nLeap status     : Normal\\n")
    >>> v = r.value
    >>> (v.reference_name, v.stratum, v.system_time, v.synchronised, r.problems)
    ('10.99.0.1', 9, -2.499987364, True, [])
    """
    out = ChronyTracking()
    problems: list[ParseProblem] = []
    seen = 0
    for no, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        if _DAEMON_ERROR.match(line):
            out.daemon_error = out.daemon_error or line
            out.lines.setdefault("daemon_error", no)
            continue
        key, sep, value = line.partition(":")
        if not sep:
            problems.append(ParseProblem("not a `Name : value` line", no, raw))
            continue
        key, value = key.strip().lower(), value.strip()
        attr = _KEYS.get(key)
        if attr is None:
            if key in ("frequency", "residual freq", "skew", "root delay", "root dispersion", "update interval"):
                seen += 1
            else:
                problems.append(ParseProblem("unknown chronyc tracking field", no, raw))
            continue
        seen += 1
        out.lines[attr] = no
        if attr == "reference_id":
            m = _REF.match(value)
            if m:
                out.reference_id, out.reference_name = m.group("id"), m.group("name").strip()
            else:
                out.reference_id = value.split()[0] if value else None
        elif attr == "stratum":
            out.stratum = to_int(value, signed=False)
        elif attr in ("system_time", "last_offset", "rms_offset"):
            m = _SECONDS.match(value)
            if not m:
                problems.append(ParseProblem("not `N seconds`", no, raw))
                continue
            v = float(m.group("value"))
            if m.group("dir") == "slow":
                v = -v
            setattr(out, attr, v)
        elif attr == "ref_time":
            out.ref_time = value
        elif attr == "leap_status":
            out.leap_status = value
    if not seen and out.daemon_error is None:
        return Parsed(None, [ParseProblem("no chronyc tracking field found")] + problems[:5])
    return Parsed(out, problems)
