"""A node's resolver configuration: its resolv.conf files in the order the resolver and kubelet
read them. A rule that calls `resolv_files` declares RESOLV_CONF."""

from __future__ import annotations

from typing import TYPE_CHECKING

from forewarn.parse.host.resolv_conf import RESOLV_CONF, ResolvConf

if TYPE_CHECKING:
    from forewarn.facts.context import Context, Fact


def resolv_files(ctx: "Context", node: str) -> list["Fact[ResolvConf]"]:
    """The node's resolv.conf files: /etc/resolv.conf first, then systemd-resolved's upstream file."""
    facts = [f for f in ctx.facts(RESOLV_CONF) if f.node == node]
    return sorted(facts, key=lambda f: (0 if f.artifact.endswith("etc/resolv.conf") else 1, f.artifact))


def path_of(f: "Fact[ResolvConf]") -> str:
    """The file on the node a resolv.conf artifact is."""
    art = f.artifact
    if art.endswith("run/systemd/resolve/resolv.conf"):
        return "/run/systemd/resolve/resolv.conf"
    if art.endswith("etc/resolv.conf"):
        return "/etc/resolv.conf"
    return art
