"""NET105 vxlan-underlay-mtu: a VXLAN overlay smaller than the frames bridged into it."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts.context import Context, Fact
from forewarn.parse.host.ip_link import IpLink, Link
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import CouldNotCheck, StepTemplate
from forewarn.facts.netconf import (
    DEFAULT_MTU,
    VXLAN_OVERHEAD,
    NodeConfig,
    Placed,
    config_path,
    node_configs,
)
from forewarn.parse.host.interfaces import INTERFACES, Interfaces
from forewarn.parse.host.link_commands import LinkCommand
from forewarn.parse.host.ip_link import IP_LINK


def _fix(vx: str, underlay: str | None, need: int, bridge: str, overlay_mtu: int, path: str) -> list[StepTemplate]:
    steps: list[StepTemplate] = []
    if underlay:
        steps += [
            step(f"ip link set dev {underlay} mtu {need + VXLAN_OVERHEAD}", safe=False),
            step(f"ip link set dev {vx} mtu {need}", safe=False),
            note(f"Make it permanent in {path}: `mtu {need + VXLAN_OVERHEAD}` under `iface {underlay}` and "
                 f"`mtu {need}` under `iface {vx}`; the switch ports and every other host of this overlay need "
                 f"the underlay MTU {need + VXLAN_OVERHEAD} too (seed 000 did this on all of pv1-pv8)."),
        ]
    else:
        steps.append(note(f"Raise the MTU of the network that carries {vx} to {need + VXLAN_OVERHEAD} (every host "
                          f"and switch port), then set `mtu {need}` on {vx}."))
    steps += [
        note(f"Or keep the overlay at {overlay_mtu} and give every guest NIC on {bridge} that MTU: "
             f"`qm set <vmid> --netN <its options>,mtu={overlay_mtu}` (virtio) or "
             f"`pct set <ctid> --netN <its options>,mtu={overlay_mtu}`, or set it inside the guest."),
        step(f"ip -d link show {vx}"),
        step(f"ip link show master {bridge}"),
    ]
    return steps


def _live(ctx: Context) -> tuple[list[Hit], set[tuple[str, str]]]:
    hits: list[Hit] = []
    seen: set[tuple[str, str]] = set()
    for f in ctx.facts(IP_LINK):
        links: IpLink = f.value
        for vx in links.of_kind("vxlan"):
            seen.add((f.node, vx.name))
            if vx.mtu is None or not vx.master:
                continue
            br = links.get(vx.master)
            under = links.get(vx.underlay) if vx.underlay else None
            bigger = [p for p in links.ports_of(vx.master) if p.name != vx.name and p.mtu and p.mtu > vx.mtu]
            br_big = br is not None and br.mtu is not None and br.mtu > vx.mtu
            if not bigger and not br_big:
                continue
            why = (f" because its underlay {under.name} has MTU {under.mtu} (VXLAN takes {VXLAN_OVERHEAD} bytes)"
                   if under is not None and under.mtu is not None and under.mtu - VXLAN_OVERHEAD == vx.mtu else
                   f" on underlay {under.name} (MTU {under.mtu})" if under is not None else "")
            parts: list[str] = []
            if br_big and br is not None:
                parts.append(f"{br.name} itself is set to {br.mtu}")
            if bigger:
                parts.append("larger port(s) sit beside it: " + ", ".join(
                    f"{p.name} ({p.kind or 'device'}, MTU {p.mtu})" for p in bigger))
            need = max([p.mtu for p in bigger if p.mtu is not None]
                       + ([br.mtu] if br_big and br is not None and br.mtu is not None else []))
            shown: list[Link] = [vx] + ([br] if br is not None else []) + ([under] if under else []) + bigger
            hits.append(Hit(
                f"{f.node}: {vx.name} (vxlan id {vx.vxlan_id}) has MTU {vx.mtu}{why} and is a port of bridge "
                f"{vx.master}, where {' and '.join(parts)}: frames over {vx.mtu} bytes from those ports are "
                f"dropped silently (small packets pass, large transfers hang)",
                nodes=f.node,
                evidence=[f.ref([link.line for link in shown], excerpt=[link.shown for link in shown])],
                fix=_fix(vx.name, under.name if under else None, need, vx.master, vx.mtu, "/etc/network/interfaces"),
                details={"vxlan": vx.name, "vxlan_mtu": vx.mtu, "underlay": vx.underlay,
                         "underlay_mtu": under.mtu if under else None, "bridge": vx.master,
                         "bridge_mtu": br.mtu if br else None, "bigger_ports": {p.name: p.mtu for p in bigger}},
            ))
    return hits, seen


def _underlay(nc: NodeConfig, placed: Placed, dev: str | None) -> str | None:
    if dev:
        return dev
    st = placed.stanza
    physdev = st.get("vxlan-physdev")
    if physdev:
        return physdev.split()[0]
    local = st.get("vxlan-local-tunnelip")
    if local:
        for p in nc.stanzas:
            for a in p.stanza.values("address"):
                if a.split("/")[0] == local.split()[0]:
                    # an address on lo or a /32 is a routed underlay: the NIC is whatever the route says
                    if p.stanza.name == "lo" or a.endswith("/32") or a.endswith("/128"):
                        return None
                    return p.stanza.name
    return None


def _from_config(ctx: Context, skip: set[tuple[str, str]]) -> tuple[list[Hit], list[str]]:
    hits: list[Hit] = []
    undecided: list[str] = []
    for nc in node_configs(ctx):
        vxlans: dict[str, tuple[Placed, LinkCommand | None]] = {}
        for p in nc.stanzas:
            if p.stanza.get("vxlan-id") is not None:
                vxlans.setdefault(p.stanza.name, (p, None))
            for cmd in p.stanza.links:
                if cmd.action == "add" and cmd.kind == "vxlan":
                    vxlans.setdefault(cmd.name, (p, cmd))
        for name, (p, lc) in vxlans.items():
            if (nc.node, name) in skip:
                continue
            bridges = nc.bridge_of(name)
            if not bridges:
                continue
            own = nc.named(name)
            home = own[0] if own else p
            under = _underlay(nc, home, lc.dev if lc is not None else None)
            lines: dict[int, tuple[Fact[Interfaces], list[int]]] = {id(home.fact): (home.fact, [home.stanza.line])}
            if lc is not None:
                lines.setdefault(id(p.fact), (p.fact, []))[1].append(lc.line)
            u_mtu = None
            u_note = ""
            if under:
                m = nc.mtu(under)
                if m is not None:
                    u_mtu = m[0]
                    lines.setdefault(id(m[1].fact), (m[1].fact, []))[1].append(m[2].line)
                    u_note = f"underlay {under} has `mtu {u_mtu}`"
                elif nc.named(under) and nc.named(under)[0].stanza.kind in ("bond", "bridge") and any(
                        nc.mtu(port) for port in _ports(nc, under)):
                    undecided.append(f"{nc.node}: {name}'s underlay {under} sets no MTU of its own (its ports do); "
                                     "the bond's MTU is only known from `ip -d link`")
                    continue
                else:
                    u_mtu = DEFAULT_MTU
                    u_note = f"underlay {under} sets no MTU (so {DEFAULT_MTU})"
                    if nc.named(under):
                        st = nc.named(under)[0]
                        lines.setdefault(id(st.fact), (st.fact, []))[1].append(st.stanza.line)
            explicit = nc.mtu(name)
            if explicit is not None:
                lines.setdefault(id(explicit[1].fact), (explicit[1].fact, []))[1].append(explicit[2].line)
            v_set = explicit[0] if explicit else (lc.mtu if lc is not None else None)
            if u_mtu is not None:
                ceiling = u_mtu - VXLAN_OVERHEAD
            elif v_set is not None:
                ceiling = v_set
            else:
                undecided.append(f"{nc.node}: {name} names no underlay device and no MTU: the kernel gives it "
                                 f"{DEFAULT_MTU}, which fits only an underlay of {DEFAULT_MTU + VXLAN_OVERHEAD} or more, "
                                 "and the routed underlay's MTU is not in the file")
                continue
            v_eff = min(v_set, ceiling) if v_set is not None else ceiling
            problems: list[str] = []
            if v_set is not None and u_mtu is not None and v_set > ceiling:
                problems.append(f"{name} asks for `mtu {v_set}` but {u_note}, which carries at most {ceiling}: "
                                f"the kernel refuses the larger MTU and {name} stays at {ceiling}")
            for bp, bo in bridges:
                lines.setdefault(id(bp.fact), (bp.fact, []))[1].append(bo.line)
                b_mtu = nc.mtu(bp.stanza.name)
                if b_mtu is not None and b_mtu[0] > v_eff:
                    lines[id(bp.fact)][1].append(b_mtu[2].line)
                    problems.append(f"bridge {bp.stanza.name} is set to `mtu {b_mtu[0]}` over {name} at {v_eff}")
                elif b_mtu is None and v_eff < DEFAULT_MTU:
                    problems.append(f"bridge {bp.stanza.name} (bridge-ports {name}) sets no MTU, so the guests "
                                    f"on it keep {DEFAULT_MTU} while {name} carries {v_eff}"
                                    + (f" ({u_note})" if u_note else ""))
            if not problems:
                continue
            bridge = bridges[0][0].stanza.name
            hits.append(Hit(
                f"{nc.node}: " + "; ".join(problems) + ": frames over " + str(v_eff) + " bytes are dropped silently",
                nodes=nc.node,
                evidence=[f.ref(ls) for f, ls in lines.values()],
                fix=_fix(name, under, max(DEFAULT_MTU, v_set or 0), bridge, v_eff, config_path(home.fact)),
                details={"vxlan": name, "vxlan_mtu": v_eff, "underlay": under, "underlay_mtu": u_mtu,
                         "bridges": [bp.stanza.name for bp, _ in bridges]},
            ))
    return hits, undecided


def _ports(nc: NodeConfig, name: str) -> list[str]:
    ports: list[str] = []
    for p in nc.named(name):
        ports += p.stanza.words("bond-slaves") + p.stanza.words("bond-ports") + p.stanza.words("bridge-ports")
    ports += [p.stanza.name for p in nc.stanzas if p.stanza.get("bond-master") == name]
    return list(dict.fromkeys(ports))


@rule(code="NET105", inputs=(IP_LINK, INTERFACES))
def vxlan_underlay_mtu(ctx: Context) -> Iterator[Hit]:
    live, seen = _live(ctx)
    yield from live
    conf, undecided = _from_config(ctx, seen)
    yield from conf
    if undecided and not live and not conf:
        raise CouldNotCheck("; ".join(undecided))
