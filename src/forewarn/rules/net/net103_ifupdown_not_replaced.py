"""NET103 ifupdown-not-replaced: a Proxmox VE 7 or later node that does not run ifupdown2."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts.context import Context
from forewarn.facts.logs import LOG_SPECS
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import CouldNotCheck, NotApplicable
from forewarn.facts.netconf import ifupdown_tool
from forewarn.parse.host.dpkg import DPKG
from forewarn.parse.pve.pveversion import PVEVERSION


@rule(
    code="NET103", reads=(*LOG_SPECS, DPKG, PVEVERSION),
    inputs=(),
    fix=(
            note("Convert /etc/network/interfaces first (NET101: `bond-slaves` under each bond; NET102: dashed "
                 "option names) and keep console access: the switch reloads the network."),
            step("apt install ifupdown2", safe=False),
            step("systemctl is-enabled networking"),
            note("If `networking` is disabled (it is, after `apt purge ifupdown`): `systemctl enable networking` "
                 "(ifupdown2 issue 177), or the network stays down after the next boot."),
            step("ifquery -a"),
        ),
)
def ifupdown_not_replaced(ctx: Context) -> Iterator[Hit]:
    nodes = sorted({f.node for f in ctx.facts(PVEVERSION)} | {f.node for f in ctx.facts(DPKG)})
    pve_nodes = 0
    undecided: list[str] = []
    found = 0
    for node in nodes:
        tool = ifupdown_tool(ctx, node)
        if tool.pve_major is None:
            continue
        pve_nodes += 1
        if tool.pve_major < 7 or tool.name == "ifupdown2":
            continue
        if tool.name == "ifupdown" or tool.ifupdown2_missing:
            found += 1
            yield Hit(f"{node}: Proxmox VE {tool.pve_major} without ifupdown2 — {tool.why}",
                      nodes=node, evidence=list(tool.evidence),
                      details={"pve_major": tool.pve_major, "tool": tool.name})
        else:
            undecided.append(f"{node} ({tool.why})")
    if not pve_nodes:
        if ctx.platform_present("pve"):
            raise CouldNotCheck("needs `pveversion -v` or `dpkg -l` to know the Proxmox VE version")
        raise NotApplicable("no Proxmox VE version in the evidence (pveversion -v, or pve-manager in dpkg -l)")
    if undecided and not found:
        raise CouldNotCheck("which ifupdown is installed is unknown on " + ", ".join(undecided))
