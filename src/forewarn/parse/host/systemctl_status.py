"""`systemctl status UNIT...`: per unit its Loaded line (unit-file state) and Active state.

    ● ntpd.service - Network Time Service
       Loaded: loaded (/usr/lib/systemd/system/ntpd.service; disabled; vendor preset: disabled)
       Active: inactive (dead)
    Unit chronyd.service could not be found.

The bullet is `●` (or `○` inactive and `×` failed from systemd 249 on, `*` without UTF-8).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from forewarn.model.keys import Key
from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser
from forewarn.parse._text import lazy_compile

_HEAD = lazy_compile(r"^\s*(?:[●○×*]\s*)?(?P<unit>[\w@.:\\-]+\.(?:service|socket|timer|target|mount|scope|slice))"
                     r"(?:\s+-\s+(?P<desc>.*))?$")
_LOADED = lazy_compile(r"^\s+Loaded:\s+(?P<load>\S+)(?:\s+\((?P<detail>[^)]*)\)?)?")
_ACTIVE = lazy_compile(r"^\s+Active:\s+(?P<state>[\w-]+)(?:\s+\((?P<sub>[^)]*)\))?")
_MISSING = lazy_compile(r"Unit (?P<unit>\S+?) could not be found")


@dataclass(slots=True)
class UnitStatus:
    unit: str
    line: int
    description: str = ""
    load: str | None = None  # loaded | not-found | masked ...
    enabled: str | None = None  # enabled | disabled | static ... (second field of the Loaded detail)
    active: str | None = None  # active | inactive | failed | activating ...
    sub: str | None = None  # running | dead | exited ...
    lines: list[int] = field(default_factory=list)


@dataclass(slots=True)
class SystemctlStatus:
    units: list[UnitStatus] = field(default_factory=list)
    not_found: dict[str, int] = field(default_factory=dict)  # unit -> line

    def unit(self, name: str) -> UnitStatus | None:
        for u in self.units:
            if u.unit == name or u.unit == f"{name}.service":
                return u
        return None


SYSTEMCTL_STATUS = Key("host.systemctl_status", SystemctlStatus)


@parser("host.systemctl_status")
def parse_systemctl_status(text: str) -> Parsed[SystemctlStatus]:
    """Parse `systemctl status` of one or more units.

    >>> r = parse_systemctl_status("● ntpd.service - Network Time Service\\n"
    ...     "   Loaded: loaded (/usr/lib/systemd/system/ntpd.service; disabled; vendor preset\\n"
    ...     "   Active: inactive (dead)\\nUnit chrony.service could not be found.")
    >>> u = r.value.units[0]
    >>> (u.unit, u.enabled, u.active, u.sub, r.value.not_found)
    ('ntpd.service', 'disabled', 'inactive', 'dead', {'chrony.service': 4})
    """
    out = SystemctlStatus()
    cur: UnitStatus | None = None
    for no, raw in enumerate(text.splitlines(), 1):
        miss = _MISSING.search(raw)
        if miss:
            out.not_found[miss.group("unit").rstrip(".")] = no
            cur = None
            continue
        h = _HEAD.match(raw)
        if h:
            cur = UnitStatus(h.group("unit"), no, (h.group("desc") or "").strip(), lines=[no])
            out.units.append(cur)
            continue
        if cur is None:
            continue
        m = _LOADED.match(raw)
        if m:
            cur.load = m.group("load")
            parts = [p.strip() for p in (m.group("detail") or "").split(";")]
            cur.enabled = parts[1] if len(parts) > 1 and parts[1] else None
            cur.lines.append(no)
            continue
        m = _ACTIVE.match(raw)
        if m:
            cur.active, cur.sub = m.group("state"), m.group("sub")
            cur.lines.append(no)
    if not out.units and not out.not_found:
        return Parsed(None, [ParseProblem("no `● unit - description` block or `Unit … could not be found` line")])
    return Parsed(out, [])
