"""`timedatectl` / `timedatectl status`: whether the clock is synchronised and a time service runs.

The labels changed across systemd releases (src/timedate/timedatectl.c), all read here:

    NTP enabled: yes              (before v228)      NTP synchronized: yes   (before v235)
    Network time on: no           (v228 to v234)     System clock synchronized: yes
    systemd-timesyncd.service active: yes  (v235, v236)
    NTP service: active | inactive | n/a   (v237 on)

`NTP service` speaks only of systemd-timesyncd (or the units named in
SYSTEMD_TIMEDATED_NTP_SERVICES): with chrony or ntpd it shows n/a or inactive while the clock is
synchronised, so the synchronised flag is what counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from forewarn.model.keys import Key
from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser
from forewarn.parse._text import lazy_compile

_LINE = lazy_compile(r"^\s*(?P<label>[A-Za-z][\w. -]*?):\s+(?P<value>.*?)\s*$")
_SYNC = ("System clock synchronized", "NTP synchronized")
_SERVICE = ("NTP service", "Network time on", "NTP enabled", "systemd-timesyncd.service active")
_YES = {"yes": True, "active": True, "no": False, "inactive": False}


@dataclass(slots=True)
class TimedatectlStatus:
    synchronized: bool | None = None  # the kernel's clock-synchronised flag (adjtimex STA_UNSYNC clear)
    ntp_service: bool | None = None  # systemd's own NTP unit on (None: n/a, not shown)
    timezone: str | None = None
    values: dict[str, str] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)


TIMEDATECTL_STATUS = Key("host.timedatectl_status", TimedatectlStatus)


@parser("host.timedatectl_status")
def parse_timedatectl_status(text: str) -> Parsed[TimedatectlStatus]:
    """Parse `timedatectl [status]` in any systemd release's wording.

    >>> r = parse_timedatectl_status(" Network time on: no\\nNTP synchronized: no\\n RTC in local TZ: no")
    >>> (r.value.synchronized, r.value.ntp_service, r.value.lines["synchronized"])
    (False, False, 2)
    """
    out = TimedatectlStatus()
    problems: list[ParseProblem] = []
    for no, raw in enumerate(text.splitlines(), 1):
        m = _LINE.match(raw)
        if m is None:
            continue  # prompts, prose around a paste
        label, value = m.group("label").strip(), m.group("value")
        out.values[label] = value
        if label in _SYNC:
            out.synchronized = _YES.get(value.lower())
            out.lines["synchronized"] = no
            if out.synchronized is None:
                problems.append(ParseProblem(f"{label}: unexpected value", no, raw))
        elif label in _SERVICE:
            out.ntp_service = _YES.get(value.lower())
            out.lines["ntp_service"] = no
        elif label == "Time zone":
            out.timezone = (value.split() or [None])[0]
            out.lines["timezone"] = no
    if out.synchronized is None and out.ntp_service is None:
        return Parsed(None, [ParseProblem("no `System clock synchronized` / `NTP synchronized` line"), *problems[:5]])
    return Parsed(out, problems[:10])
