"""PVE141 firewall-disabled-not-masked: host.fw says `enable: 0` while pve-firewall.service is
still enabled or running."""

from __future__ import annotations

from collections.abc import Iterator
from forewarn.facts.context import Context, Fact
from forewarn.facts.guests import guests
from forewarn.model.findings import When
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import CouldNotCheck, NotApplicable
from forewarn.facts.cluster import owner_node
from forewarn.parse.pve.guest_config import GUEST_CONFIG
from forewarn.parse.pve.host_fw import HOST_FW, FirewallFile
from forewarn.parse.pve.services import PVE_SERVICES

UNIT = "pve-firewall.service"

FIX = (
    note("Only when no guest relies on the Proxmox firewall (no `firewall=1` on a guest NIC, "
         "cluster.fw not enabled): pve-firewall also applies the guests' rules."),
    step("systemctl stop pve-firewall.service", safe=False),
    step("systemctl disable pve-firewall.service", safe=False),
    step("systemctl mask pve-firewall.service", safe=False),
)


@rule(code="PVE141", reads=(GUEST_CONFIG, PVE_SERVICES), inputs=(HOST_FW,), requires=(), fix=FIX)
def firewall_disabled_not_masked(ctx: Context) -> Iterator[Hit]:
    disabled: dict[str, Fact[FirewallFile]] = {}
    for f in ctx.facts(HOST_FW):
        node = owner_node(f)
        if f.value.enable is False and node not in disabled:
            disabled[node] = f
    if not disabled:
        raise NotApplicable("no host.fw with `enable: 0`")
    guest_fw = sorted({g.vmid for g in guests(ctx)
                       for k, v in g.config.options.items() if k.startswith("net") and "firewall=1" in v})
    checked = False
    for node, f in sorted(disabled.items()):
        svc = ctx.fact(PVE_SERVICES, node)
        if svc is None:
            continue
        unit = svc.value.get(UNIT)
        if unit is None:
            continue
        active, file_state = unit.active_state, unit.unit_file_state
        line = unit.line
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
