"""The prefix of a log line: time stamp, host, program, pid; what follows is the message.

Shapes, each seen in real pastes (tests/parsers/log.syslog/SOURCE.md, tests/evidence/pastes):

- syslog and `journalctl -o short|short-precise`: `Mar 21 09:12:44[.123456] host prog[pid]: msg`,
  with the month as the locale writes it (`6月 24 13:16:48`, `Okt 2 …`, `févr. 3 …`);
- corosync's own logfile: `Nov 22 04:04:30 [8638] node4 corosync info    [KNET  ] …`;
- RFC 3339 syslog and `journalctl -o short-iso[-precise]`: `2026-11-22T05:25:57+0000 host prog[pid]: msg`;
- `journalctl -o json` lines (`{"MESSAGE": …}`);
- dmesg, raw and `-T`: `[ 1234.567890] msg`, `[Sun Nov 22 05:00:00 2026] msg`;
- klog (kubelet, apiserver): `I0722 20:27:25.279953       1 file.go:172] msg`;
- any line that starts with an ISO time stamp (`2021-02-15 17:57:57 msg`: PVE task logs, oslo,
  calico, terraform's debug log, CRI container logs' `… stderr F msg`);
- a bare `prog[pid]: msg` (forum pastes without time stamps).
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any

PLACEHOLDER_YEAR = 2000  # a leap year, so "Feb 29" parses; facts/logs.py fixes the year

# Month abbreviations as `%b` prints them in the locales operators paste from.
_MONTH_NAMES = {
    1: "jan janv jän ene gen янв", 2: "feb févr fév fev фев", 3: "mar mär mars мар",
    4: "apr avr abr апр", 5: "may mai mag мая май", 6: "jun juin giu июн",
    7: "jul juil lug июл", 8: "aug août ago авг", 9: "sep sept set сен",
    10: "oct okt ott out окт", 11: "nov ноя", 12: "dec dez déc dic дек",
}
_MONTHS = {name: num for num, names in _MONTH_NAMES.items() for name in names.split()}
_MON = r"(?P<mon>[^\W\d_]{3,5}\.?|\d{1,2}(?:月|월))"

_TRAD = re.compile(
    rf"^{_MON} +(?P<day>\d{{1,2}})(?:日|일)? (?P<time>\d\d:\d\d:\d\d)(?:\.(?P<frac>\d+))? "
    r"(?:\[(?P<cpid>\d+)\] (?P<chost>\S+) (?P<cprog>corosync) (?P<clevel>\w+)\s+(?P<cmsg>.*)$|"
    r"(?P<host>\S+) (?P<prog>[^\s\[:]+)(?:\[(?P<pid>\d+)\])?: ?(?P<msg>.*)$)")
_ISO = re.compile(
    r"^(?P<ts>\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?) "
    r"(?P<host>\S+) (?P<prog>[^\s\[:]+)(?:\[(?P<pid>\d+)\])?: ?(?P<msg>.*)$")
_STAMP = re.compile(
    r"^(?P<ts>\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z| ?[+-]\d\d:?\d\d)?)(?: |$)"
    r"(?:(?:stdout|stderr) [FP] )?(?P<msg>.*)$")
_DMESG = re.compile(r"^\[\s*(?:(?P<up>\d+\.\d+)|(?P<wall>[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}))\] (?P<msg>.*)$")
_KLOG = re.compile(r"^(?P<level>[IWEF])(?P<mon>\d\d)(?P<day>\d\d) (?P<time>\d\d:\d\d:\d\d)\.(?P<frac>\d{6})\s+"
                   r"(?P<pid>\d+) (?P<src>[\w.\-]+):\d+\] (?P<msg>.*)$")
_BARE = re.compile(r"^\s*(?P<prog>[A-Za-z][\w\-./]*)(?:\[(?P<pid>\d+)\])?: ?(?P<msg>.*)$")


def iso_time(ts: str) -> tuple[datetime | None, str | None]:
    """A naive UTC time (when the stamp has an offset) and the offset as written."""
    t = ts.replace(" ", "T", 1).replace(",", ".").replace(" ", "")
    m = re.match(r"^(.*?)([+-]\d\d)(\d\d)$", t)
    if m:  # journalctl short-iso writes +0100
        t = f"{m.group(1)}{m.group(2)}:{m.group(3)}"
    m = re.match(r"^(.*T\d\d:\d\d:\d\d)(\.\d+)?(.*)$", t)
    if m and m.group(2):  # at most 6 fraction digits (CRI logs write 9)
        t = m.group(1) + m.group(2)[:7] + m.group(3)
    try:
        dt = datetime.fromisoformat(t.replace("Z", "+00:00"))
    except ValueError:
        return None, None
    tz = dt.strftime("%z") if dt.tzinfo else None
    if dt.tzinfo:
        dt = dt.astimezone(timezone.utc).replace(tzinfo=None)
    return dt, tz


def _month(tok: str) -> int | None:
    tok = tok.rstrip(".").lower()
    if tok[:-1].isdigit():  # 6月, 6월
        n = int(tok[:-1])
        return n if 1 <= n <= 12 else None
    return _MONTHS.get(tok) or _MONTHS.get(tok[:3])


@lru_cache(maxsize=4096)
def _clock(mon: int, day: str, time: str, frac: str | None) -> datetime | None:
    """A syslog stamp's time (cached: a log writes many lines a second, and datetime is immutable)."""
    try:  # `time` is hh:mm:ss (every caller's pattern says \d\d:\d\d:\d\d)
        return datetime(PLACEHOLDER_YEAR, mon, int(day), int(time[:2]), int(time[3:5]), int(time[6:8]),
                        int(frac[:6].ljust(6, "0")) if frac else 0)
    except ValueError:
        return None


def _journal_json(line: str) -> dict[str, Any] | None:
    try:
        obj = json.loads(line)
    except ValueError:
        return None
    if not isinstance(obj, dict) or "MESSAGE" not in obj:
        return None
    ts = None
    us = obj.get("__REALTIME_TIMESTAMP")
    if isinstance(us, str) and us.isdigit():
        ts = datetime.fromtimestamp(int(us) / 1e6, tz=timezone.utc).replace(tzinfo=None)
    msg = obj.get("MESSAGE")
    if isinstance(msg, list):  # journald stores non-UTF-8 messages as byte arrays
        msg = bytes(x for x in msg if isinstance(x, int) and 0 <= x < 256).decode("utf-8", "replace")
    return {"ts": ts, "year": True, "tz": "+0000", "host": obj.get("_HOSTNAME"),
            "prog": obj.get("SYSLOG_IDENTIFIER") or obj.get("_COMM"),
            "pid": obj.get("_PID") or obj.get("SYSLOG_PID"), "msg": str(msg or ""), "boot_id": obj.get("_BOOT_ID")}


# The classic syslog stamp (`Mar 21 09:12:44 `, English month, no fraction): header() reads the
# rest of such a line alone, whatever the stamp's time (parse/log/records.py caches what a rest makes).
_CLASSIC = re.compile(r"([A-Za-z]{3}) +(\d{1,2}) (\d\d:\d\d:\d\d) ")
# `_month` of the names as syslog writes them (`Mar`), without its folding
_CAPITALISED = {name.capitalize(): num for name, num in _MONTHS.items() if len(name) == 3 and name.isascii()}


def classic_stamp(line: str) -> tuple[int, datetime | None] | None:
    """(where the rest starts, the stamp's time) for a line that starts with a classic syslog
    stamp of a known month; None otherwise. `header(line)` is then `header` of any other line
    with the same rest, but for its time, which is this one.

    >>> end, ts = classic_stamp("Mar 21 09:12:44 pve5 kernel: x")
    >>> end, ts.month, ts.hour
    (16, 3, 9)
    >>> classic_stamp("Mar 21 09:12:44.123 pve5 kernel: x") is None, classic_stamp("Xyz 21 09:12:44 a b: c")
    (True, None)
    """
    got = _STAMPS.get(line[:16])
    if got is not None:
        return got
    m = _CLASSIC.match(line)
    if m is None:
        return None
    name, day, clock = m.groups()
    mon = _CAPITALISED.get(name) or _month(name)
    if not mon:
        return None
    got = m.end(), _clock(mon, day, clock, None)
    if got[0] <= 16:  # `Mar 21 09:12:44 `: a line that starts so has this stamp, whatever follows
        if len(_STAMPS) >= 20_000:
            _STAMPS.clear()
        _STAMPS[line[:16]] = got
    return got


# The first 16 characters of a line -> its classic stamp, for the lines a second (the regex and the
# clock's lookup cost 1.5 µs a line, the slice and this lookup 0.2)
_STAMPS: dict[str, tuple[int, datetime | None]] = {}


def header(line: str) -> tuple[str, dict[str, Any]] | None:
    """Split a log line into (format, fields). None: no log prefix we know (plain text).

    >>> header("6月 24 13:16:48 k8s-node1 kubelet[1234]: E0624 failed")[1]["ts"].month
    6
    >>> header("I0722 20:27:25.279953       1 log.go:172] http: TLS handshake error")[0]
    'klog'
    >>> header("2021-02-15 17:57:57 starting migration of VM 100")[1]["msg"]
    'starting migration of VM 100'
    """
    m = _TRAD.match(line)
    if m:
        mon = _month(m.group("mon"))
        if mon:
            ts = _clock(mon, m.group("day"), m.group("time"), m.group("frac"))
            if m.group("cprog"):
                return "corosync", {"ts": ts, "year": False, "host": m.group("chost"),
                                    "prog": "corosync", "pid": m.group("cpid"), "msg": m.group("cmsg")}
            return "syslog", {"ts": ts, "year": False, "host": m.group("host"),
                              "prog": m.group("prog"), "pid": m.group("pid"), "msg": m.group("msg")}
    m = _ISO.match(line)
    if m and not m.group("prog")[:1].isdigit():
        ts, tz = iso_time(m.group("ts"))
        if ts is not None:
            return "iso", {"ts": ts, "year": True, "tz": tz, "host": m.group("host"),
                           "prog": m.group("prog"), "pid": m.group("pid"), "msg": m.group("msg")}
    if line.startswith("{"):
        f = _journal_json(line)
        return ("json", f) if f is not None else None
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
    m = _KLOG.match(line)
    if m:
        ts = _clock(int(m.group("mon")), m.group("day"), m.group("time"), m.group("frac")) \
            if 1 <= int(m.group("mon")) <= 12 else None
        return "klog", {"ts": ts, "year": False, "host": None, "prog": None, "pid": m.group("pid"),
                        "msg": m.group("msg"), "level": m.group("level")}
    m = _STAMP.match(line)
    if m:
        ts, tz = iso_time(m.group("ts"))
        if ts is not None:
            return "stamped", {"ts": ts, "year": True, "tz": tz, "host": None, "prog": None, "pid": None,
                               "msg": m.group("msg")}
    m = _BARE.match(line)
    if m and (m.group("pid") or m.group("msg").startswith("  [")):
        return "bare", {"ts": None, "year": False, "host": None, "prog": m.group("prog"),
                        "pid": m.group("pid"), "msg": m.group("msg")}
    return None
