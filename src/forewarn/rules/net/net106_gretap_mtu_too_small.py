"""NET106 gretap-mtu-too-small: a GRETAP tunnel at its default MTU bridged into a 1500 bridge."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts.context import Context, Fact
from forewarn.parse.host.ip_link import IpLink
from forewarn.parse.host.link_commands import LinkCommand
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import StepTemplate
from forewarn.facts.netconf import (
    DEFAULT_MTU,
    GRETAP_DEFAULT_MTU,
    Placed,
    config_path,
    node_configs,
)
from forewarn.parse.host.interfaces import INTERFACES, Interfaces
from forewarn.parse.host.ip_link import IP_LINK

GRETAP_KINDS = ("gretap", "ip6gretap")


def _fix(name: str, bridge: str, path: str, want: int) -> list[StepTemplate]:
    return [
        note(f"In {path}, under `iface {name}`: create it with the stanza's MTU (`pre-up ip link add name $IFACE "
             f"mtu $IF_MTU type gretap local ... remote ...`) and add `mtu {want}` (seed 002's fix; GRE "
             "fragments the outer packets, so the tunnel can carry 1500-byte frames)."),
        step(f"ip link set dev {name} mtu {want}", safe=False),
        step(f"ip link set dev {bridge} mtu {want}", safe=False),
        step(f"ip -d link show {name}"),
        step(f"ip link show {bridge}"),
    ]


def _live(ctx: Context) -> tuple[list[Hit], set[tuple[str, str]]]:
    hits: list[Hit] = []
    seen: set[tuple[str, str]] = set()
    for f in ctx.facts(IP_LINK):
        links: IpLink = f.value
        for g in links.of_kind(*GRETAP_KINDS):
            seen.add((f.node, g.name))
            if g.mtu is None or not g.master:
                continue
            br = links.get(g.master)
            if br is not None and br.kind not in (None, "bridge"):
                continue  # a bond or a VRF, not a bridge
            others = [p for p in links.ports_of(g.master) if p.name != g.name and p.mtu and p.mtu > g.mtu]
            br_mtu = br.mtu if br is not None else None
            if not others and (br_mtu is None or br_mtu <= g.mtu) and g.mtu >= DEFAULT_MTU:
                continue
            if others or (br_mtu is not None and br_mtu > g.mtu):
                what = (f"bridge {g.master} is at {br_mtu}" if br_mtu and br_mtu > g.mtu else f"bridge {g.master}")
                what += (", beside " + ", ".join(f"{p.name} (MTU {p.mtu})" for p in others)) if others else ""
                effect = f"frames over {g.mtu} bytes from the other ports are dropped at the tunnel"
            else:
                what = f"bridge {g.master} has followed it down to {br_mtu}"
                effect = f"every port of {g.master} is held to {g.mtu} instead of {DEFAULT_MTU}"
            shown = [g] + ([br] if br is not None else []) + others
            default = " (GRETAP's default: 1500 − 38)" if g.mtu == GRETAP_DEFAULT_MTU else ""
            hits.append(Hit(
                f"{f.node}: {g.name} ({g.kind}, remote {g.remote or '?'}) has MTU {g.mtu}{default} and is a port "
                f"of {what}: {effect}",
                nodes=f.node,
                evidence=[f.ref([link.line for link in shown], excerpt=[link.shown for link in shown])],
                fix=_fix(g.name, g.master, "/etc/network/interfaces", DEFAULT_MTU),
                details={"gretap": g.name, "mtu": g.mtu, "bridge": g.master, "bridge_mtu": br_mtu},
            ))
    return hits, seen


def _final_mtu(name: str, created: tuple[Placed, LinkCommand] | None, own: list[Placed],
               sets: list[tuple[Placed, LinkCommand]]) -> tuple[int, str, list[tuple[Placed, int]]]:
    """The MTU the tunnel ends up with, why, and the lines that say so: an `up ip link set ... mtu N`
    runs last, then the stanza's `mtu` option (applied when the stanza comes up), then the `mtu` of
    the `ip link add`, else the kernel's default."""
    for p, lc in reversed(sets):
        if lc.mtu is not None:
            return lc.mtu, f"`ip link set {name} mtu {lc.mtu}` (line {lc.line})", [(p, lc.line)]
    for p in own:
        o = p.stanza.option("mtu")
        if o is not None and p.stanza.mtu is not None:
            return p.stanza.mtu, f"`mtu {p.stanza.mtu}` in its stanza (line {o.line})", [(p, o.line)]
    if created is not None:
        p, lc = created
        if lc.mtu is not None:
            return lc.mtu, f"created with `mtu {lc.mtu}` (line {lc.line})", [(p, lc.line)]
        how = "without an MTU" if not lc.mtu_written else f"with `mtu {lc.mtu_written}`, which is empty here"
        return GRETAP_DEFAULT_MTU, (f"created {how} (line {lc.line}), so at GRETAP's default "
                                    f"{GRETAP_DEFAULT_MTU} (1500 − 38)"), [(p, lc.line)]
    return GRETAP_DEFAULT_MTU, f"no MTU set, so GRETAP's default {GRETAP_DEFAULT_MTU}", []


def _from_config(ctx: Context, skip: set[tuple[str, str]]) -> list[Hit]:
    hits: list[Hit] = []
    for nc in node_configs(ctx):
        created: dict[str, tuple[Placed, LinkCommand | None]] = {}
        sets: dict[str, list[tuple[Placed, LinkCommand]]] = {}
        for p in nc.stanzas:
            st = p.stanza
            if st.method == "tunnel" and (st.get("mode") or st.get("tunnel-mode") or "") in GRETAP_KINDS:
                created.setdefault(st.name, (p, None))
            for cmd in st.links:
                if cmd.action == "add" and cmd.kind in GRETAP_KINDS:
                    created[cmd.name] = (p, cmd)
                elif cmd.action == "set" and cmd.mtu is not None:
                    sets.setdefault(cmd.name, []).append((p, cmd))
        for name, (p, lc) in created.items():
            if (nc.node, name) in skip:
                continue
            bridges = nc.bridge_of(name)
            if not bridges:
                continue
            own = nc.named(name)
            mtu, how, cited = _final_mtu(name, None if lc is None else (p, lc), own, sets.get(name, []))
            for bp, bo in bridges:
                b = nc.mtu(bp.stanza.name)
                b_mtu = b[0] if b else DEFAULT_MTU
                if mtu >= b_mtu:
                    continue
                lines: dict[int, tuple[Fact[Interfaces], list[int]]] = {}
                for cp, line in cited + [(bp, bo.line)] + ([(b[1], b[2].line)] if b else []):
                    lines.setdefault(id(cp.fact), (cp.fact, []))[1].append(line)
                for o in own:
                    lines.setdefault(id(o.fact), (o.fact, []))[1].append(o.stanza.line)
                b_how = f"`mtu {b_mtu}`" if b else f"no MTU set, so {DEFAULT_MTU} like the guests on it"
                hits.append(Hit(
                    f"{nc.node}: GRETAP {name} is {how} and is a port of {bp.stanza.name} (`{bo.name} {bo.value}`, "
                    f"line {bo.line}; {b_how}): {bp.stanza.name} drops to {mtu}, or frames over {mtu} bytes from its "
                    "other ports are dropped",
                    nodes=nc.node,
                    evidence=[f.ref(ls) for f, ls in lines.values()],
                    fix=_fix(name, bp.stanza.name, config_path((own[0] if own else p).fact), b_mtu),
                    details={"gretap": name, "mtu": mtu, "bridge": bp.stanza.name, "bridge_mtu": b_mtu},
                ))
    return hits


@rule(code="NET106", inputs=(IP_LINK, INTERFACES))
def gretap_mtu_too_small(ctx: Context) -> Iterator[Hit]:
    live, seen = _live(ctx)
    yield from live
    yield from _from_config(ctx, seen)
