"""NET109 resolv-too-many-nameservers: more than three `nameserver` lines; the rest are ignored."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts import logs
from forewarn.facts.context import Context
from forewarn.facts.dns import path_of, resolv_files
from forewarn.model.findings import When
from forewarn.parse.host.resolv_conf import RESOLV_CONF as RESOLV, MAXNS, ResolvConf
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import StepTemplate

KINDS = ("dns_nameserver_limit",)


def _fix(path: str, rc: ResolvConf | None) -> list[StepTemplate]:
    out: list[StepTemplate] = []
    keep = " ".join(n.address for n in rc.used) if rc else "<the three to keep>"
    if rc is not None and rc.generator == "NetworkManager":
        out.append(note(f"NetworkManager writes {path}: edit the connection, not the file: "
                        f"`nmcli connection modify <connection> ipv4.dns \"{keep}\"` (and `ipv4.ignore-auto-dns yes` "
                        "if DHCP adds more), then `nmcli connection up <connection>`."))
    elif rc is not None and rc.generator == "systemd-resolved":
        out.append(note(f"{path} is systemd-resolved's list of upstream servers (kubelet reads it on resolved "
                        "hosts): give kubelet a file of its own with at most three, `resolvConf: "
                        "/etc/kubernetes/resolv.conf` in /var/lib/kubelet/config.yaml, or set fewer `DNS=` in "
                        "/etc/systemd/resolved.conf."))
    elif rc is not None and rc.ignored:
        lines = ";".join(f"{n.line}d" for n in rc.ignored)
        out.append(note(f"Keep at most {MAXNS} nameserver lines (first ones win: {keep}). If a DHCP client or "
                        "resolvconf writes the file, change its source instead or the lines come back."))
        out.append(step(f"sed -i.bak '{lines}' {path}", safe=False))
    out.append(step(f"grep -c '^nameserver' {path}"))
    out.append(note("kubelet reads the file when it creates a pod: restart kubelet (`systemctl restart kubelet`) and "
                    "recreate pods that were created while the file had more than three."))
    return out


@rule(
    code="NET109",
    inputs=(RESOLV, *logs.LOG_SPECS),
    fix=(note("Keep at most three `nameserver` lines in /etc/resolv.conf (or in the file kubelet's resolvConf names)."),
             step("grep -c '^nameserver' /etc/resolv.conf")),
)
def resolv_too_many_nameservers(ctx: Context) -> Iterator[Hit]:
    logged = logs.group_by_node(logs.events(ctx, None, KINDS))
    for node in ctx.nodes:
        evs = logged.get(node, [])
        reported = False
        for f in resolv_files(ctx, node):
            rc: ResolvConf = f.value
            if len(rc.nameservers) <= MAXNS:
                continue
            path = path_of(f)
            used = ", ".join(n.address for n in rc.used)
            ignored = ", ".join(f"{n.address} (line {n.line})" for n in rc.ignored)
            extra = ""
            evidence = [f.ref([n.line for n in rc.nameservers] + ([rc.generator_line] if rc.generator_line else []))]
            if evs and not reported:
                extra = f"; kubelet logged `Nameserver limits were exceeded` {len(evs)} time(s)"
                evidence += logs.refs(evs)
            reported = True
            yield Hit(
                f"{node}: {path} lists {len(rc.nameservers)} nameservers; only the first {MAXNS} are used "
                f"({used}), {ignored} {'is' if len(rc.ignored) == 1 else 'are'} ignored{extra}",
                nodes=node, evidence=evidence, fix=_fix(path, rc),
                details={"path": path, "used": [n.address for n in rc.used],
                         "ignored": [n.address for n in rc.ignored], "generator": rc.generator},
            )
        if evs and not reported:
            applied = evs[-1].attrs.get("applied", "?")
            span = f"from {logs.time_label(evs[0])} to {logs.time_label(evs[-1])}" if len(evs) > 1 else f"at {logs.time_label(evs[0])}"
            yield Hit(
                f"{node}: kubelet logged `Nameserver limits were exceeded` {len(evs)} time(s) {span}: the host's "
                f"resolv.conf has more than {MAXNS} nameservers and pods get only {applied}",
                nodes=node, evidence=logs.refs(evs), when=When.PAST, fix=_fix("/etc/resolv.conf", None),
                details={"applied": applied.split(), "count": len(evs)},
            )
