"""PVE121 lxc-nesting-missing: a container whose systemd (>= 242) needs `nesting=1` runs without it."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts import logs
from forewarn.facts.context import Context
from forewarn.facts.guests import Guest, guests
from forewarn.model.findings import Severity, When
from forewarn.rules import Hit, note, rule, step
from forewarn.parse.pve.guest_config import GUEST_CONFIG

# ostype values of pct (pve-container) whose current releases boot systemd >= 242.
SYSTEMD_OS = {"debian", "ubuntu", "centos", "fedora", "archlinux", "opensuse", "devuan"}
NO_SYSTEMD_OS = {"alpine", "gentoo", "unmanaged", "nixos"}  # openrc / not managed by PVE
KINDS = ("logind_timeout", "namespace_226")


def _features_arg(g: Guest) -> str:
    """The full `-features` value: setting it replaces the list, so keep what is there."""
    feats = {k: v for k, v in g.config.features.items() if k != "_"}
    feats["nesting"] = "1"
    if g.config.options.get("unprivileged") == "1":
        feats.setdefault("keyctl", "1")
    order = ["keyctl", "nesting"] + sorted(k for k in feats if k not in ("keyctl", "nesting"))
    return ",".join(f"{k}={feats[k]}" for k in order if k in feats)


@rule(code="PVE121", inputs=(GUEST_CONFIG,) + logs.LOG_SPECS)
def lxc_no_nesting(ctx: Context) -> Iterator[Hit]:
    evs = logs.events(ctx, None, KINDS)
    hosts_with_events: dict[str, list[logs.NodeEvent]] = {}
    for e in evs:
        for name in {e.node, e.ev.host or ""} - {""}:
            hosts_with_events.setdefault(name, []).append(e)
    used_events: set[int] = set()
    for g in guests(ctx):
        if g.kind != "lxc":
            continue
        if g.config.features.get("nesting") == "1":
            continue
        ostype = (g.config.options.get("ostype") or "").lower()
        if ostype in NO_SYSTEMD_OS:
            continue
        node = g.owner or g.fact.node
        hostname = g.config.options.get("hostname", "")
        mine = hosts_with_events.get(hostname, []) if hostname else []
        os_txt = f"ostype {ostype}" if ostype else "ostype not set"
        priv = "" if g.config.options.get("unprivileged") == "1" else (
            " It is privileged: nesting there exposes more of the host; prefer an unprivileged container.")
        lines = [g.config.lines.get(k, 0) for k in ("features", "ostype", "hostname", "unprivileged")]
        evidence = [g.fact.ref(lines)]
        if mine:
            evidence += logs.refs(mine)
            used_events.update(id(e) for e in mine)
            msg = (f"{node}: CT {g.vmid} ({hostname}, {os_txt}) has no `nesting=1` and its log shows "
                   f"systemd-logind failing (`org.freedesktop.login1` timeout / 226/NAMESPACE): SSH logins "
                   f"hang until nesting is enabled.{priv}")
            sev, when = Severity.HIGH, When.PAST
        else:
            msg = (f"{node}: CT {g.vmid}{f' ({hostname})' if hostname else ''} has no `nesting=1` ({os_txt}): "
                   "with systemd >= 242 inside, systemd-logind fails (226/NAMESPACE) and SSH logins hang. "
                   "Low: a risk in the configuration, no log here shows it happening (it is high when one does)."
                   f"{priv}")
            sev, when = Severity.LOW, When.CONFIG
        feats = _features_arg(g)
        yield Hit(msg, nodes=node, evidence=evidence, severity=sev, when=when,
                  fix=[step(f"pvesh set /nodes/{node}/lxc/{g.vmid}/config -features {feats}", on=node),
                       step(f"pct reboot {g.vmid}", safe=False, on=node),
                       note(f"Inside CT {g.vmid} afterwards: `systemctl status systemd-logind` should be active.")],
                  details={"vmid": g.vmid, "ostype": ostype or None, "features": g.config.options.get("features"),
                           "log_lines": len(mine)})

    rest = [e for e in evs if id(e) not in used_events]
    by_node: dict[str, list[logs.NodeEvent]] = {}
    for e in rest:
        by_node.setdefault(e.node, []).append(e)
    for node, group in by_node.items():
        yield Hit(
            f"{node}: systemd-logind fails in a container (`Failed to activate service "
            f"'org.freedesktop.login1': timed out` / 226/NAMESPACE, {len(group)} line(s)): the typical sign "
            "of systemd >= 242 in a container without `nesting=1`",
            nodes=node, evidence=logs.refs(group), when=When.PAST,
            fix=[step("grep -L 'nesting=1' /etc/pve/nodes/*/lxc/*.conf", on=None),
                 step("pvesh set /nodes/<node>/lxc/<vmid>/config -features keyctl=1,nesting=1", on=None),
                 note("Keep the features the container already has in that list: -features replaces it.")],
            details={"count": len(group)},
        )
