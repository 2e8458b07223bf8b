"""OSK103 openstack-mixed-controller-address: service configs reach one controller at two addresses."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts.context import Context, Fact
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import CouldNotCheck
from forewarn.facts.openstack import (CONF_KEYS, Endpoint, HOST_SERVICES, VIP_SERVICES, api_hosts, by_service,
                                        controller_hosts, endpoints, first_refs, globals_fact, is_ip,
                                        log_ref, refused_events, services_of)
from forewarn.parse.osk.kolla_globals import KOLLA_GLOBALS
from forewarn.parse.osk.nova_compute_log import NOVA_COMPUTE_LOG, NovaComputeLog, NovaEvent

FIX = (
    step("grep -rnE '{wrong}' /etc/kolla"),
    note("Make every service reach the controller at one address: fix kolla_internal_vip_address in "
         "/etc/kolla/globals.yml (OSK102) and regenerate the configs instead of editing them by hand."),
    step("kolla-ansible -i multinode reconfigure", on=None),
    step("curl -sS http://{right}:5000/v3", safe=True),
)


def _refused_at(ctx: Context, hosts: set[str]) -> list[tuple[Fact[NovaComputeLog], NovaEvent]]:
    out: list[tuple[Fact[NovaComputeLog], NovaEvent]] = []
    for f, e in refused_events(ctx):
        if e.host in hosts and e.kind == "connection_refused":
            out.append((f, e))
    return out


def _refused_text(refused: list[tuple[Fact[NovaComputeLog], NovaEvent]]) -> str:
    if not refused:
        return ""
    f, e = refused[0]
    more = f" (+{len(refused) - 1} more)" if len(refused) > 1 else ""
    return f"; {f.node} log line {e.line}: connection to {e.host}:{e.port} refused{more}"


@rule(code="OSK103", reads=(KOLLA_GLOBALS, NOVA_COMPUTE_LOG), inputs=CONF_KEYS, fix=FIX)
def openstack_mixed_controller_address(ctx: Context) -> Iterator[Hit]:
    eps = endpoints(ctx)
    if not eps:
        raise CouldNotCheck("the service configs given name no controller endpoint")
    reported: set[str] = set()

    # (1) one service, several addresses
    for service, group in sorted(by_service(eps).items()):
        if service not in VIP_SERVICES | HOST_SERVICES:
            continue
        by_hosts: dict[tuple[str, ...], list[Endpoint]] = {}
        for e in group:
            by_hosts.setdefault(tuple(sorted(e.hosts)), []).append(e)
        if len(by_hosts) < 2:
            continue
        hosts = {h for hs in by_hosts for h in hs}
        refused = _refused_at(ctx, hosts)
        parts = []
        for hs, where in sorted(by_hosts.items(), key=lambda kv: -len(kv[1])):
            cites = ", ".join(e.where for e in where[:3]) + (f" (+{len(where) - 3} more)" if len(where) > 3 else "")
            parts.append(f"{'/'.join(hs)} in {cites}")
        majority = max(by_hosts.items(), key=lambda kv: len(kv[1]))[0]
        minority = [h for hs in by_hosts if hs != majority for h in hs]
        reported.update(minority)
        nodes = sorted({e.node for e in group})
        yield Hit(f"{service} is reached at {len(by_hosts)} addresses: " + "; ".join(parts) + _refused_text(refused),
                  nodes=nodes, evidence=first_refs(group) + [log_ref(f, [e]) for f, e in refused[:2]],
                  params={"wrong": "|".join(minority).replace(".", r"\."), "right": majority[0]},
                  details={"service": service, "addresses": [list(h) for h in by_hosts]})

    # (2) one controller, two addresses (the seed: rabbit at .110, keystone/placement at .120)
    gf = globals_fact(ctx)
    haproxy_off = gf is not None and gf.value.flag("enable_haproxy") is False
    ctl = controller_hosts(eps)
    api = api_hosts(eps)
    if len(ctl) == 1:
        c = next(iter(ctl))
        others = {a: group for a, group in api.items() if a != c and is_ip(a) and a not in reported}
        refused = _refused_at(ctx, set(others))
        if others and (haproxy_off or refused):
            why = ('enable_haproxy is "no", so nothing serves a second address'
                   if haproxy_off else "")
            for a, group in others.items():
                ref_a = [r for r in refused if r[1].host == a]
                if not haproxy_off and not ref_a:
                    continue
                reported.add(a)
                msg = (f"the configs reach the one controller at {c} ({services_of(ctl[c])}: {ctl[c][0].where}) "
                       f"and at {a} ({services_of(group)}: {group[0].where}"
                       + (f" +{len(group) - 1} more" if len(group) > 1 else "") + ")"
                       + (f"; {why}" if why else "") + _refused_text(ref_a))
                ev = first_refs(ctl[c][:1] + group) + [log_ref(f, [e]) for f, e in ref_a[:2]]
                if haproxy_off and gf is not None:
                    ev.append(gf.ref([gf.value.line("enable_haproxy") or 0]))
                yield Hit(msg, nodes=sorted({e.node for e in group} | {ctl[c][0].node}), evidence=ev,
                          params={"wrong": a.replace(".", r"\."), "right": c},
                          details={"controller": c, "other": a})

    # (3) configs rendered from another globals.yml
    if gf is not None:
        g = gf.value
        vip = g.literal("kolla_internal_fqdn") or g.literal("kolla_internal_vip_address")
        if vip and api:
            stale = {a: group for a, group in api.items() if a != vip and is_ip(a) and is_ip(vip)
                     and a not in reported}
            if stale and vip not in api:
                for a, group in stale.items():
                    line = g.line("kolla_internal_fqdn") or g.line("kolla_internal_vip_address")
                    yield Hit(f"globals.yml line {line} says the internal VIP is {vip}, but the configs reach "
                              f"{services_of(group)} at {a} ({group[0].where}"
                              + (f" +{len(group) - 1} more" if len(group) > 1 else "")
                              + "): they were rendered from another globals.yml, and the next reconfigure "
                              f"moves every service to {vip}",
                              nodes=sorted({e.node for e in group}), evidence=[gf.ref([line or 0])] + first_refs(group),
                              params={"wrong": a.replace(".", r"\."), "right": vip},
                              details={"vip": vip, "configs_use": a})
