"""PVE141 firewall-disabled-not-masked: host.fw says `enable: 0` while pve-firewall.service is
still enabled or running."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from forewarn.facts.context import Context
from forewarn.facts.guests import guests
from forewarn.model.findings import When
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import CouldNotCheck, NotApplicable
from forewarn.rules.pve._storage_common import owner_node

UNIT = "pve-firewall.service"

FIX = (
    note("Only when no guest relies on the Proxmox firewall (no `firewall=1` on a guest NIC, "
         "cluster.fw not enabled): pve-firewall also applies the guests' rules."),
    step("systemctl stop pve-firewall.service", safe=False),
    step("systemctl disable pve-firewall.service", safe=False),
    step("systemctl mask pve-firewall.service", safe=False),
)


def _field(obj: Any, *names: str) -> Any:
    for n in names:
        if isinstance(obj, dict) and n in obj:
            return obj[n]
        v = getattr(obj, n, None)
        if v is not None:
            return v
    return None


def unit_state(value: Any, unit: str) -> tuple[Any, str | None, str | None, int | None]:
    """(unit object, ActiveState, UnitFileState, line) from the `pve.services` value, whatever its
    container (a mapping by unit name, or a list of units with `id`/`name`)."""
    units = _field(value, "units", "services", "entries")
    if units is None and isinstance(value, dict):
        units = value
    found = None
    if isinstance(units, dict):
        found = units.get(unit) or units.get(unit.removesuffix(".service"))
    elif isinstance(units, (list, tuple)):
        for u in units:
            if _field(u, "id", "name", "Id", "unit") in (unit, unit.removesuffix(".service")):
                found = u
                break
    if found is None:
        return None, None, None, None
    active = _field(found, "active_state", "ActiveState", "active")
    file_state = _field(found, "unit_file_state", "UnitFileState", "file_state", "enabled")
    line = _field(found, "line", "line_no")
    if isinstance(line, dict):
        line = next(iter(line.values()), None)
    lines = _field(found, "lines")
    if line is None and isinstance(lines, dict):
        line = lines.get("UnitFileState") or lines.get("ActiveState") or next(iter(lines.values()), None)
    return found, (str(active) if active is not None else None), \
        (str(file_state) if file_state is not None else None), (line if isinstance(line, int) else None)


@rule(code="PVE141", reads=("pve.guest_config", "pve.services"), inputs=("pve.host_fw",), requires=(), fix=FIX)
def firewall_disabled_not_masked(ctx: Context) -> Iterator[Hit]:
    disabled: dict[str, Any] = {}
    for f in ctx.facts("pve.host_fw"):
        node = owner_node(f)
        if f.value.enable is False and node not in disabled:
            disabled[node] = f
    if not disabled:
        raise NotApplicable("no host.fw with `enable: 0`")
    guest_fw = sorted({g.vmid for g in guests(ctx)
                       for k, v in g.config.options.items() if k.startswith("net") and "firewall=1" in v})
    checked = False
    for node, f in sorted(disabled.items()):
        svc = ctx.fact("pve.services", node)
        if svc is None:
            continue
        unit, active, file_state, line = unit_state(svc.value, UNIT)
        if unit is None:
            continue
        checked = True
        if (file_state or "").startswith("masked") or (active != "active" and file_state not in ("enabled", "static")):
            continue
        extra = (f"; guests with firewall=1 on a NIC: {', '.join(map(str, guest_fw))} — they need "
                 "pve-firewall, keep it" if guest_fw else "")
        yield Hit(f"{node}: host.fw says `enable: 0`, but {UNIT} is {active or '?'} and "
                  f"{file_state or '?'} (not masked){extra}",
                  nodes=node,
                  evidence=[f.ref([f.value.option_lines.get("enable", 0)]), svc.ref([line] if line else [])],
                  params={"node": node}, when=When.NOW,
                  details={"active": active, "unit_file_state": file_state, "guests_with_firewall": guest_fw})
    if not checked:
        raise CouldNotCheck(f"needs `systemctl show {UNIT}` (pve.services) of "
                            + ", ".join(sorted(disabled)))
