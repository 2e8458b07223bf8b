"""Helpers of the resolv.conf rules (NET109, NET110): log events per node, and the resolv.conf files of a node in the order the resolver and kubelet read them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from forewarn.facts import logs

if TYPE_CHECKING:
    from forewarn.facts.context import Context, Fact

RESOLV = "host.resolv_conf"
LOG_INPUTS = logs.LOG_SPECS  # system, task and container logs: one event stream (facts/logs.py)


def events(ctx: "Context", kinds: tuple[str, ...]) -> dict[str, list[logs.NodeEvent]]:
    """Events of `kinds` per node."""
    return logs.by_node(logs.events(ctx, None, kinds))


def resolv_files(ctx: "Context", node: str) -> list["Fact"]:
    """The node's resolv.conf files: /etc/resolv.conf first, then systemd-resolved's upstream file."""
    facts = [f for f in ctx.facts(RESOLV) if f.node == node]
    return sorted(facts, key=lambda f: (0 if f.artifact.endswith("etc/resolv.conf") else 1, f.artifact))


def path_of(f: "Fact") -> str:
    art = f.artifact
    if art.endswith("run/systemd/resolve/resolv.conf"):
        return "/run/systemd/resolve/resolv.conf"
    if art.endswith("etc/resolv.conf"):
        return "/etc/resolv.conf"
    return art
