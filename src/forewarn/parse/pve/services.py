"""`systemctl show -p Id,ActiveState,SubState,UnitFileState,LoadState <units>`: the state of the
Proxmox services.

One block of `Key=Value` lines per unit, blocks separated by a blank line, in the order the units
were named; systemd prints the properties in its own order (Id, LoadState, ActiveState, SubState,
UnitFileState), whatever the order of `-p`:

    Id=corosync.service
    LoadState=loaded
    ActiveState=inactive
    SubState=dead
    UnitFileState=enabled

A unit that does not exist has `LoadState=not-found`. Without a running systemd, systemctl prints
only an error (`System has not been booted with systemd ...`, `Failed to connect to bus ...`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from forewarn.model.keys import Key
from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser
from forewarn.parse._text import lazy_compile

_KV = lazy_compile(r"^(?P<key>[A-Z][A-Za-z]+)=(?P<value>.*)$")
_ERROR = lazy_compile(r"^(System has not been booted with systemd.*|Failed to connect to bus.*|"
                      r"Failed to get properties.*|Running in chroot, ignoring request.*)$")


@dataclass(frozen=True, slots=True)
class UnitState:
    id: str  # "corosync.service"
    load_state: str | None = None  # loaded, not-found, masked, error
    active_state: str | None = None  # active, inactive, failed, activating, deactivating, reloading
    sub_state: str | None = None  # running, dead, failed, exited, stop-sigterm, ...
    unit_file_state: str | None = None  # enabled, disabled, static, masked, "" (no unit file)
    line: int = 0  # line of the block's first property
    lines: tuple[int, ...] = ()  # every line of the block

    @property
    def name(self) -> str:
        """The unit name without `.service`."""
        return self.id[: -len(".service")] if self.id.endswith(".service") else self.id

    @property
    def active(self) -> bool:
        return self.active_state == "active"

    @property
    def exists(self) -> bool:
        return self.load_state not in ("not-found", None)

    def describe(self) -> str:
        """`inactive (dead)`, `failed (failed)`, `not installed`, ..."""
        if self.load_state == "not-found":
            return "not installed (no unit file)"
        if self.load_state == "masked":
            return "masked"
        state = self.active_state or "?"
        return f"{state} ({self.sub_state})" if self.sub_state else state


@dataclass(slots=True)
class Services:
    units: dict[str, UnitState] = field(default_factory=dict)  # by Id ("corosync.service")
    error: str | None = None

    def get(self, name: str) -> UnitState | None:
        """A unit by name, with or without `.service`."""
        return self.units.get(name) or self.units.get(f"{name}.service")


_FIELDS = {"Id": "id", "LoadState": "load_state", "ActiveState": "active_state", "SubState": "sub_state",
           "UnitFileState": "unit_file_state"}


def _unit(props: dict[str, str], lines: list[int], index: int) -> UnitState:
    uid = props.get("Id") or props.get("Names", "").split(" ")[0] or f"unit#{index}"
    return UnitState(uid, props.get("LoadState"), props.get("ActiveState"), props.get("SubState"),
                     props.get("UnitFileState"), lines[0] if lines else 0, tuple(lines))


PVE_SERVICES = Key("pve.services", Services)


@parser("pve.services")
def parse_services(text: str) -> Parsed[Services]:
    """Parse `systemctl show -p Id,ActiveState,SubState,UnitFileState,LoadState <units>`.

    >>> r = parse_services("Id=corosync.service\\nLoadState=loaded\\nActiveState=inactive\\n"
    ...                    "SubState=dead\\nUnitFileState=enabled\\n\\nId=pvestatd.service\\n"
    ...                    "LoadState=loaded\\nActiveState=active\\nSubState=running\\nUnitFileState=enabled\\n")
    >>> [(u.name, u.describe()) for u in r.value.units.values()], r.problems
    ([('corosync', 'inactive (dead)'), ('pvestatd', 'active (running)')], [])
    """
    problems: list[ParseProblem] = []
    out = Services()
    props: dict[str, str] = {}
    lines: list[int] = []
    count = 0

    def flush() -> None:
        nonlocal props, lines, count
        if props:
            count += 1
            u = _unit(props, lines, count)
            if "Id" not in props:
                problems.append(ParseProblem("a block without Id= (pass Id in -p)", lines[0] if lines else None))
            out.units.setdefault(u.id, u)
        props, lines = {}, []

    for no, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            flush()
            continue
        m = _ERROR.match(line)
        if m:
            out.error = out.error or m.group(1)
            continue
        m = _KV.match(line)
        if not m:
            problems.append(ParseProblem("not Key=Value", no, raw))
            continue
        key = m.group("key")
        if key == "Id" and "Id" in props:  # blocks pasted without the blank line between them
            flush()
        if key in _FIELDS or key == "Names":
            props[key] = m.group("value")
        lines.append(no)
    flush()
    if not out.units and out.error is None:
        problems.insert(0, ParseProblem("no unit properties found"))
        return Parsed(None, problems)
    return Parsed(out, problems)
