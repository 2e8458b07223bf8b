"""Time zones: the node's own zone from its evidence, `--tz`, and placing a logged time."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from forewarn.facts import logs
from forewarn.facts.context import Context
from forewarn.facts.timeline.model import OFFSET, UTC_STAMP


# -- zones ------------------------------------------------------------------------------------
def parse_zone(value: str) -> tzinfo:
    """`Europe/Berlin`, `UTC`, `+02:00`, `-0530`. Raises ValueError for anything else."""
    v = value.strip()
    m = OFFSET.match(v)
    if m:
        sign = -1 if m.group(1) == "-" else 1
        delta = timedelta(hours=int(m.group(2)), minutes=int(m.group(3) or 0))
        if delta >= timedelta(hours=24):
            raise ValueError(f"time zone offset {value!r} is out of range")
        return timezone(sign * delta, v)
    if v.upper() in ("UTC", "Z", "GMT"):
        return timezone.utc
    try:
        return ZoneInfo(v)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {value!r} (give a name like Europe/Berlin or an offset like +02:00)") \
            from exc


ZONE_SPECS = ("host.timezone", "host.timedatectl")  # /etc/timezone; `timedatectl [show]`


def evidence_zone(ctx: Context, node: str) -> tzinfo | None:
    """The node's own time zone, when the evidence has it (`/etc/timezone`: `Europe/Berlin`;
    `timedatectl show`: `Timezone=Europe/Berlin`; `timedatectl`: `Time zone: Europe/Berlin (CET, +0100)`)."""
    for spec in ZONE_SPECS:
        for rec in ctx.raw(spec, node):
            try:
                lines = [ln.strip() for ln in rec.text(4096).splitlines() if ln.strip()]
            except (OSError, EOFError, ValueError):
                continue
            for ln in lines:
                if ln.startswith("Timezone="):
                    cand = ln.split("=", 1)[1]
                elif ln.startswith("Time zone:"):
                    cand = (ln.split(":", 1)[1].split() or [""])[0]
                elif len(lines) == 1 and " " not in ln:
                    cand = ln
                else:
                    continue
                try:
                    return parse_zone(cand)
                except ValueError:
                    continue
    return None


def zone_name(z: tzinfo | None) -> str | None:
    if z is None:
        return None
    if z is timezone.utc:
        return "UTC"
    return str(getattr(z, "key", None) or z.tzname(None) or z)


def has_zone(e: logs.NodeEvent) -> bool:
    """True when the line's own stamp says its zone (ISO with offset, journal JSON): the parser
    has then already turned it into UTC."""
    return bool(e.ev.year_known and UTC_STAMP.match(e.ev.text))


def place_time(ts: datetime | None, exact_utc: bool, zone: tzinfo | None, display: tzinfo | None) -> datetime | None:
    if ts is None:
        return None
    if exact_utc:
        aware = ts.replace(tzinfo=timezone.utc)
    elif zone is not None:
        aware = ts.replace(tzinfo=zone)
    else:
        return ts  # zone unknown: as logged
    return aware.astimezone(display or timezone.utc).replace(tzinfo=None)


