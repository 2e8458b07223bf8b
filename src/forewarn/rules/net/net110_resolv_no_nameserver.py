"""NET110 resolv-no-nameserver: resolv.conf has no `nameserver` at all."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts import logs
from forewarn.facts.context import Context
from forewarn.facts.dns import path_of, resolv_files
from forewarn.model.findings import When
from forewarn.parse.host.resolv_conf import RESOLV_CONF as RESOLV, ResolvConf
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import StepTemplate

KINDS = ("coredns_no_nameservers",)


def _others(ctx: Context, node: str) -> list[tuple[str, str]]:
    """(nameserver, node) pairs that other nodes' resolv.conf files use: a real value to suggest."""
    seen: dict[str, str] = {}
    for f in ctx.facts(RESOLV):
        if f.node == node:
            continue
        for n in f.value.used:
            if not n.address.startswith(("127.", "::1")):
                seen.setdefault(n.address, f.node)
    return list(seen.items())


def _fix(ctx: Context, node: str, path: str, coredns: bool) -> list[StepTemplate]:
    out: list[StepTemplate] = []
    others = _others(ctx, node)
    if others:
        ns, src = others[0]
        out.append(note(f"{src} resolves through {ns}; if {node} is on the same network, use it too."))
        out.append(step(f"echo 'nameserver {ns}' >> {path}", safe=False))
    else:
        out.append(note(f"Add your site's DNS server to {path} (`nameserver <its IP>`), through whatever writes the "
                        "file (netplan/NetworkManager/ifupdown `dns-nameservers`, DHCP), so it survives a reboot."))
    out.append(step(f"grep '^nameserver' {path}"))
    if coredns:
        out.append(note("Air-gapped on purpose? Then CoreDNS must not forward to the host's resolv.conf: remove "
                        "`forward . /etc/resolv.conf` from the Corefile (`kubectl -n kube-system edit configmap "
                        "coredns`) instead of adding a server."))
        out.append(step("kubectl -n kube-system rollout restart deployment coredns", on=None))
    return out


@rule(
    code="NET110",
    inputs=(RESOLV, *logs.LOG_SPECS),
    fix=(note("Add a `nameserver` line for a DNS server this host can reach."),
             step("grep '^nameserver' /etc/resolv.conf")),
)
def resolv_no_nameserver(ctx: Context) -> Iterator[Hit]:
    logged = logs.group_by_node(logs.events(ctx, None, KINDS))
    for node in ctx.nodes:
        evs = logged.get(node, [])
        reported = False
        for f in resolv_files(ctx, node):
            rc: ResolvConf = f.value
            if rc.nameservers:
                continue
            path = path_of(f)
            why = "is empty" if rc.empty else "has no valid `nameserver` line"
            if rc.invalid:
                why = "has only invalid nameserver lines (" + ", ".join(
                    f"`{n.address or '(none)'}` line {n.line}" for n in rc.invalid) + ")"
            evidence = [f.ref([n.line for n in rc.invalid] + list(rc.lines.values()))]
            extra = ""
            if evs and not reported:
                extra = f"; CoreDNS failed with `plugin/forward: no nameservers found` {len(evs)} time(s)"
                evidence += logs.refs(evs)
            reported = True
            yield Hit(f"{node}: {path} {why}: no DNS server to ask{extra}", nodes=node, evidence=evidence,
                      fix=_fix(ctx, node, path, bool(evs)),
                      details={"path": path, "others": dict(_others(ctx, node))})
        if evs and not reported:
            yield Hit(
                f"{node}: CoreDNS failed with `plugin/forward: no nameservers found` {len(evs)} time(s): the "
                "resolv.conf it forwards to (the host's /etc/resolv.conf) has no nameserver",
                nodes=node, evidence=logs.refs(evs), when=When.PAST,
                fix=_fix(ctx, node, "/etc/resolv.conf", True), details={"count": len(evs)},
            )
