"""Guests of the cluster: each config with its vmid, type and owning node taken from its path
(the file's, or the API request's).
A rule that calls `guests` or `guest_map` declares GUEST_CONFIG."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from forewarn.parse.pve.guest_config import GUEST_CONFIG, GuestConfig

if TYPE_CHECKING:
    from forewarn.facts.context import Context, Fact

_PATH = re.compile(r"nodes/(?P<node>[^/]+)/(?P<kind>qemu-server|lxc)/(?P<vmid>\d+)\.conf")
_NAME = re.compile(r"(?P<vmid>\d+)\.conf")
# the API's answer names its guest in the request: `GET /nodes/pve1/qemu/100/config`
_API = re.compile(r"/nodes/(?P<node>[^/]+)/(?P<kind>qemu|lxc)/(?P<vmid>\d+)/config")


@dataclass(frozen=True, slots=True)
class Guest:
    vmid: int
    kind: str  # "qemu" | "lxc" | "unknown"
    owner: str | None  # node whose directory holds the config (where the guest lives)
    config: GuestConfig
    fact: "Fact[GuestConfig]"

    @property
    def sid(self) -> str:
        """HA service id: `vm:100` or `ct:100`."""
        return f"{'ct' if self.kind == 'lxc' else 'vm'}:{self.vmid}"

    @property
    def tool(self) -> str:
        return "pct" if self.kind == "lxc" else "qm"


def guests(ctx: "Context") -> list[Guest]:
    """Every guest config seen, once per vmid (/etc/pve is shared: the same file from several
    nodes' bundles counts once)."""
    seen: dict[int, Guest] = {}
    for f in ctx.facts(GUEST_CONFIG):
        path = f.record.source or f.record.artifact
        m = _PATH.search(path) or _PATH.search(f.record.artifact) or _API.search(path)
        if m:
            vmid, owner = int(m.group("vmid")), m.group("node")
            kind = "lxc" if m.group("kind") == "lxc" else "qemu"
        else:
            n = _NAME.search(path.rsplit("/", 1)[-1])
            if not n:
                continue
            vmid, owner = int(n.group("vmid")), None
            kind = f.value.kind_guess or "unknown"
        if vmid not in seen:
            seen[vmid] = Guest(vmid, kind, owner or (f.node if f.node != "unknown" else None), f.value, f)
    return [seen[k] for k in sorted(seen)]


def guest_map(ctx: "Context") -> dict[int, Guest]:
    return {g.vmid: g for g in guests(ctx)}
