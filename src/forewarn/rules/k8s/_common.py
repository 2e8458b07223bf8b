"""Helpers shared by the K8S rules: log events including container logs, the kernel of a node,
evidence references to raw text."""

from __future__ import annotations

import ipaddress
import json
import re
from typing import TYPE_CHECKING

from forewarn.facts import logs
from forewarn.facts.logs import by_node  # noqa: F401  (the K8S rules import it from here)
from forewarn.model.findings import EvidenceRef

if TYPE_CHECKING:
    from forewarn.facts.context import Context, Fact

LOG_INPUTS = logs.LOG_SPECS


def events(ctx: "Context", kinds: tuple[str, ...], node: str | None = None) -> list[logs.NodeEvent]:
    """Log events of `kinds` from system, task and container logs (facts/logs.py merges them)."""
    return list(logs.events(ctx, node, kinds))


_VER = re.compile(r"^(\d+)\.(\d+)(?:\.(\d+))?")


def kernel_of(ctx: "Context", node: str) -> tuple[str, tuple[int, int, int], EvidenceRef] | None:
    """The running kernel of `node`: from `uname`, else from `docker info`'s Kernel Version."""
    f = ctx.fact("host.uname", node)
    if f is not None:
        return f.value.release, f.value.version, f.ref([f.value.line])
    d = ctx.fact("k8s.docker_info", node)
    if d is not None and d.value.kernel_version:
        m = _VER.match(d.value.kernel_version)
        if m:
            ver = (int(m.group(1)), int(m.group(2)), int(m.group(3) or 0))
            return d.value.kernel_version, ver, d.ref([d.value.lines.get("kernel_version", 0)])
    return None


def raw_ref(rec, lines: list[int]) -> EvidenceRef:  # noqa: ANN001 - an EvidenceRecord
    text = rec.text().splitlines()
    return EvidenceRef(spec=rec.spec, node=rec.node, artifact=rec.artifact, lines=tuple(lines),
                       excerpt=tuple(text[n - 1] for n in lines if 0 < n <= len(text)))


_TUNL_TEXT = re.compile(r"^\s*\d+:\s+tunl0(?:@\S+)?:\s+<(?P<flags>[^>]*)>")


def tunl0(ctx: "Context", node: str) -> tuple[bool, list[str], EvidenceRef | None] | None:
    """Whether `tunl0` exists on `node` (and its flags), from `ip -j addr`/`ip -j -d link` (parsed,
    or raw JSON) or from `ip a`/`ip link` text pasted in their place. None: no link evidence."""
    seen_any = False
    for spec in ("host.ip_addr", "host.ip_link"):
        f = ctx.fact(spec, node)
        ifaces = getattr(f.value, "interfaces", None) if f is not None else None
        if ifaces is not None:
            seen_any = True
            for i in ifaces:
                if getattr(i, "name", None) == "tunl0":
                    return True, list(getattr(i, "flags", ()) or ()), f.ref()
        for rec in ctx.raw(spec, node):
            try:
                text = rec.text()
            except OSError:
                continue
            stripped = text.lstrip()
            if stripped.startswith("["):
                try:
                    data = json.loads(stripped)
                except ValueError:
                    data = None
                if isinstance(data, list):
                    seen_any = True
                    for obj in data:
                        if isinstance(obj, dict) and obj.get("ifname") == "tunl0":
                            return True, [str(x) for x in obj.get("flags") or []], raw_ref(rec, [])
                    continue
            lines = text.splitlines()
            if any(re.match(r"^\s*\d+:\s+\S+:\s+<", ln) for ln in lines):
                seen_any = True
                for no, ln in enumerate(lines, 1):
                    m = _TUNL_TEXT.match(ln)
                    if m:
                        return True, m.group("flags").split(","), raw_ref(rec, [no])
    return (False, [], None) if seen_any else None


def node_addresses(ctx: "Context", node: str) -> tuple[list[tuple[str, ipaddress.IPv4Address | ipaddress.IPv6Address]], "Fact | None"]:
    """(interface, address) of the node's global unicast addresses, from `ip -j addr`."""
    f = ctx.fact("host.ip_addr", node)
    out: list[tuple[str, ipaddress.IPv4Address | ipaddress.IPv6Address]] = []
    if f is None:
        return out, None
    for i in getattr(f.value, "interfaces", []) or []:
        if i.name == "lo" or i.name.startswith(("docker", "cali", "tunl", "kube-ipvs", "flannel", "cni", "veth", "vxlan.calico")):
            continue
        for a in i.addrs:
            try:
                ip = ipaddress.ip_address(a.address)
            except ValueError:
                continue
            if ip.is_loopback or ip.is_link_local or ip.is_multicast:
                continue
            out.append((i.name, ip))
    return out, f
