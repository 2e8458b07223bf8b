"""NET104 arp-flux: several addressed interfaces and the kernel's default ARP behaviour."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

from forewarn.facts.context import Context, Fact
from forewarn.model.findings import Severity
from forewarn.parse.host.sysctl import Sysctl
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import CouldNotCheck
from forewarn.parse.host.ip_addr import IP_ADDR
from forewarn.parse.host.sysctl import SYSCTL, SYSCTL_CONF

KEYS = ("arp_ignore", "arp_announce")
# sysctl --system reads these directories; a file name in an earlier one hides the same name later
_DIR_ORDER = ("/etc/sysctl.d/", "/run/sysctl.d/", "/usr/local/lib/sysctl.d/", "/usr/lib/sysctl.d/", "/lib/sysctl.d/")


def _conf_merged(facts: list[Fact[Sysctl]]) -> tuple[dict[str, tuple[str, Fact[Sysctl], int]], list[Fact[Sysctl]]]:
    """The sysctl.d files as `sysctl --system` applies them: by file name, /etc first among equal names,
    /etc/sysctl.conf last. Returns key -> (value, fact, line) and the files used."""
    chosen: dict[str, tuple[int, Fact[Sysctl]]] = {}
    main: list[Fact[Sysctl]] = []
    for f in facts:
        path = "/" + (f.record.source or f.artifact).lstrip("/")
        base = path.rsplit("/", 1)[-1]
        if base == "sysctl.conf":
            main.append(f)
            continue
        prio = next((i for i, d in enumerate(_DIR_ORDER) if d in path), len(_DIR_ORDER))
        if base not in chosen or prio < chosen[base][0]:
            chosen[base] = (prio, f)
    used = [chosen[b][1] for b in sorted(chosen)] + main
    merged: dict[str, tuple[str, Fact[Sysctl], int]] = {}
    for f in used:
        sc: Sysctl = f.value
        for k, v in sc.values.items():
            merged[k] = (v, f, sc.lines.get(k, 0))
    return merged, used


def _key(iface: str, what: str) -> str:
    return f"net.ipv4.conf.{iface.replace('.', '/')}.{what}"


@rule(
    code="NET104", reads=(SYSCTL, SYSCTL_CONF),
    inputs=(IP_ADDR,),
    fix=(
            step("printf 'net.ipv4.conf.all.arp_ignore=1\\nnet.ipv4.conf.all.arp_announce=2\\n' > /etc/sysctl.d/arp.conf"),
            step("sysctl --system", safe=False),
            step("sysctl net.ipv4.conf.all.arp_ignore net.ipv4.conf.all.arp_announce"),
            note("Then, from another host on that network, `ip neigh` (or `arp -a`) must show a different MAC "
                 "for each of this host's addresses."),
        ),
)
def arp_flux(ctx: Context) -> Iterator[Hit]:
    undecided: list[str] = []
    found = 0
    for ipf in ctx.facts(IP_ADDR):
        node = ipf.node
        cands = []
        for i in ipf.value.interfaces:
            if i.name == "lo":
                continue
            addrs = []
            for a in i.addrs:
                if a.family != "inet":
                    continue
                try:
                    ip = ipaddress.ip_address(a.address)
                except ValueError:
                    continue
                if ip.is_loopback or ip.is_link_local:
                    continue
                addrs.append(a)
            if addrs:
                cands.append((i, addrs))
        if len(cands) < 2:
            continue
        run = ctx.fact(SYSCTL, node)
        confs = [f for f in ctx.facts(SYSCTL_CONF) if f.node == node]
        merged, used = _conf_merged(confs) if confs else ({}, [])
        if run is None and not confs:
            undecided.append(f"{node}: {len(cands)} addressed interfaces, no `sysctl -a` or sysctl.d files")
            continue

        def value(key: str) -> tuple[int | None, Fact[Sysctl] | None, int]:
            if run is not None:
                return run.value.int(key), run, run.value.lines.get(key, 0)
            if key in merged:
                v, f, line = merged[key]
                try:
                    return int(v), f, line
                except ValueError:
                    return None, f, line
            return None, None, 0

        bad: dict[str, list[str]] = {}
        cited: dict[int, tuple[Fact[Sysctl], list[int]]] = {}
        all_vals = {}
        for what in KEYS:
            v, f, line = value(f"net.ipv4.conf.all.{what}")
            all_vals[what] = v
            if f is not None:
                cited.setdefault(id(f), (f, []))[1].append(line)
        if run is not None and any(v is None for v in all_vals.values()):
            undecided.append(f"{node}: `sysctl -a` has no net.ipv4.conf.all.arp_ignore/arp_announce")
            continue
        for i, _ in cands:
            for what in KEYS:
                own, f, line = value(_key(i.name, what))
                eff = max(v for v in (all_vals[what] or 0, own or 0))
                if own is not None and f is not None and own > 0:
                    cited.setdefault(id(f), (f, []))[1].append(line)
                if eff == 0:
                    bad.setdefault(i.name, []).append(what)
        if not bad:
            continue
        nets: dict[str, list[str]] = {}
        for i, addrs in cands:
            for a in addrs:
                if a.network is not None:
                    nets.setdefault(str(a.network), []).append(i.name)
        shared = {n: sorted(set(v)) for n, v in nets.items() if len(set(v)) > 1}
        listing = ", ".join(f"{i.name} {', '.join(f'{a.address}/{a.prefixlen}' for a in addrs)}" for i, addrs in cands)
        where = ("; " + "; ".join(f"{' and '.join(v)} both in {n}" for n, v in shared.items())) if shared else \
            "; each in its own subnet, so this matters where those networks meet (one switch or VLAN)"
        source = "running, `sysctl -a`" if run is not None else "at boot from the sysctl.d files, no `sysctl -a` given"
        settings = ", ".join(f"net.ipv4.conf.all.{w} = {all_vals[w] if all_vals[w] is not None else 0}"
                             for w in KEYS)
        pending = ""
        if run is not None and merged:
            want = [k for k in (f"net.ipv4.conf.all.{w}" for w in KEYS)
                    if k in merged and merged[k][0].strip() != str(run.value.int(k))]
            if want:
                f = merged[want[0]][1]
                pending = (f"; {f.artifact} sets {', '.join(f'{k}={merged[k][0]}' for k in want)} but the running "
                           "kernel does not have it: `sysctl --system` was not run since")
                for k in want:
                    cited.setdefault(id(f), (f, []))[1].append(merged[k][2])
        excerpt = [f"{i.name}: inet {', '.join(f'{a.address}/{a.prefixlen}' for a in addrs)}" for i, addrs in cands]
        found += 1
        yield Hit(
            f"{node}: {len(cands)} interfaces carry IPv4 addresses ({listing}{where}) and ARP is at the kernel "
            f"default for {', '.join(sorted(bad))} ({source}: {settings}): the host answers ARP for each of these "
            f"addresses on every interface, so a dead link is masked by another NIC{pending}",
            nodes=node,
            evidence=[ipf.ref([1], excerpt=excerpt)] + [f.ref(lines) for f, lines in cited.values()],
            severity=Severity.MEDIUM if shared else Severity.LOW,
            details={"interfaces": [i.name for i, _ in cands], "shared_subnets": shared, "source": source},
        )
    if undecided and not found:
        raise CouldNotCheck("; ".join(undecided))
