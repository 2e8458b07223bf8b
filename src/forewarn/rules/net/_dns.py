"""Helpers of the resolv.conf rules (NET109, NET110): log events from system and container logs,
and the resolv.conf files of a node in the order the resolver and kubelet read them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from forewarn.facts import logs

if TYPE_CHECKING:
    from forewarn.facts.context import Context, Fact

RESOLV = "host.resolv_conf"
CONTAINER_LOG = "k8s.container_log"
LOG_INPUTS = tuple(dict.fromkeys(logs.LOG_SPECS + (CONTAINER_LOG,)))


def events(ctx: "Context", kinds: tuple[str, ...]) -> dict[str, list[logs.NodeEvent]]:
    """Events of `kinds` per node from system, task and container logs (years fixed)."""
    out: dict[str, list[logs.NodeEvent]] = {}
    for e in logs.events(ctx, None, kinds):
        out.setdefault(e.node, []).append(e)
    if CONTAINER_LOG in logs.LOG_SPECS:  # already in the common event stream
        return out
    for f in ctx.facts(CONTAINER_LOG):
        for e in f.value.events:
            if e.kind in kinds:
                out.setdefault(f.node, []).append(
                    logs.NodeEvent(f.node, logs._fix_year(e.ts, e.year_known, ctx.now), e, f))
    return out


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
