"""NET101 ifupdown2-bond-master-ignored: a bond that gets its ports only from `bond-master` lines."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts.context import Context, Fact
from forewarn.model.findings import When
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import CouldNotCheck
from forewarn.facts.netconf import Placed, config_path, ifupdown_tool, node_configs
from forewarn.parse.host.dpkg import DPKG
from forewarn.parse.host.interfaces import INTERFACES, Interfaces
from forewarn.parse.pve.pveversion import PVEVERSION


@rule(code="NET101", reads=(DPKG, PVEVERSION), inputs=(INTERFACES,), when=When.CONFIG)
def ifupdown2_bond_master_ignored(ctx: Context) -> Iterator[Hit]:
    undecided: list[str] = []
    found = 0
    for nc in node_configs(ctx):
        masters: dict[str, list[tuple[Placed, int]]] = {}
        for p in nc.stanzas:
            for o in p.stanza.options:
                if o.key == "bond-master" and o.value.split():
                    masters.setdefault(o.value.split()[0], []).append((p, o.line))
        legacy = [(p, o) for p in nc.stanzas for o in p.stanza.options if o.key == "slaves"]
        if not masters and not legacy:
            continue
        tool = ifupdown_tool(ctx, nc.node)
        if tool.name == "ifupdown" or tool.ifupdown2_missing:
            continue  # ifupdown reads bond-master; without ifupdown2 at all, NET103 speaks
        for bond in sorted(set(masters) | {p.stanza.name for p, _ in legacy}):
            ports = list(dict.fromkeys(p.stanza.name for p, _ in masters.get(bond, [])))
            ports += [w for p, o in legacy if p.stanza.name == bond for w in o.value.split()
                      if w not in ports and w != "none"]
            listed: list[str] = []
            bond_stanzas = nc.named(bond)
            for bp in bond_stanzas:
                listed += bp.stanza.words("bond-slaves") + bp.stanza.words("bond-ports")
            missing = [port for port in ports if port not in listed]
            if not missing:
                continue
            if tool.name is None:
                undecided.append(f"{nc.node}: {bond} ({tool.why})")
                continue
            refs: dict[int, tuple[Fact[Interfaces], list[int]]] = {}
            for p, line in masters.get(bond, []):
                if p.stanza.name in missing:
                    refs.setdefault(id(p.fact), (p.fact, []))[1].append(line)
            for p, o in legacy:
                if p.stanza.name == bond:
                    refs.setdefault(id(p.fact), (p.fact, []))[1].append(o.line)
            for bp in bond_stanzas:
                refs.setdefault(id(bp.fact), (bp.fact, []))[1].append(bp.stanza.line)
            evidence = [f.ref(lines) for f, lines in refs.values()] + list(tool.evidence)
            where = bond_stanzas[0] if bond_stanzas else masters[bond][0][0] if masters.get(bond) else None
            path = config_path(where.fact) if where is not None else "/etc/network/interfaces"
            all_ports = " ".join(dict.fromkeys(listed + missing))
            lines_of = ", ".join(f"{p.stanza.name} line {line}" for p, line in masters.get(bond, [])
                                 if p.stanza.name in missing)
            how = f"`bond-master {bond}` ({lines_of})" if lines_of else f"ifenslave's `slaves` line under `iface {bond}`"
            if listed:
                state = f"`iface {bond}` lists only `bond-slaves {' '.join(listed)}`"
            elif bond_stanzas:
                state = f"`iface {bond}` (line {bond_stanzas[0].stanza.line}) has no `bond-slaves`"
            else:
                state = f"there is no `iface {bond}` stanza at all"
            after = "has none of its ports" if not listed else f"loses {' '.join(missing)}"
            found += 1
            yield Hit(
                f"{nc.node}: {' '.join(missing)} join {bond} only through {how}, which ifupdown2 ignores, and "
                f"{state}: after the next reboot or `ifreload -a` {bond} {after} ({tool.why})",
                nodes=nc.node, evidence=evidence,
                params={"bond": bond, "ports": all_ports, "file": path},
                fix=[
                    note(f"Under `iface {bond}` in {path}, add the line:    bond-slaves {all_ports}"),
                    note(f"Keep the `bond-master {bond}` lines on the ports until the host has rebooted once with "
                         "the new line: ifupdown ignores `bond-slaves` and ifupdown2 ignores `bond-master`."),
                    step(f"ifquery {bond}"),
                    step("ifreload -a", safe=False),
                    step(f"ifquery --check {bond}"),
                    step(f"cat /proc/net/bonding/{bond}"),
                ],
                details={"bond": bond, "ports_missing": missing, "bond_slaves": listed, "tool": tool.name},
            )
    if undecided and not found:
        raise CouldNotCheck("bonds get their ports only from `bond-master` lines, which only ifupdown reads, "
                            "and nothing says whether ifupdown or ifupdown2 is installed: " + "; ".join(undecided)
                            + " (give `dpkg -l` or `pveversion -v`)")
