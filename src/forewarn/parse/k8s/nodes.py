"""`kubectl get nodes` (with or without `-o wide`): each node's status, roles and kubelet version.

    NAME   STATUS     ROLES    AGE     VERSION
    vmb    NotReady   <none>   2m20s   v1.17.0+k3s.1
    rpi4   Ready      master   17d     v1.16.3-k3s.2
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from forewarn.model.keys import Key
from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser
from forewarn.parse._text import lazy_compile

_HEADER = lazy_compile(r"^\s*NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION\b")
_VERSION = lazy_compile(r"^v?(?P<major>\d+)\.(?P<minor>\d+)(?:\.(?P<patch>\d+))?")


@dataclass(frozen=True, slots=True)
class Node:
    name: str
    status: str
    roles: tuple[str, ...]
    version: str
    line: int
    internal_ip: str | None = None
    kernel: str | None = None

    @property
    def minor(self) -> tuple[int, int] | None:
        m = _VERSION.match(self.version)
        return (int(m.group("major")), int(m.group("minor"))) if m else None

    @property
    def control_plane(self) -> bool:
        return any(r in ("master", "control-plane") for r in self.roles)


@dataclass(slots=True)
class Nodes:
    nodes: list[Node] = field(default_factory=list)


K8S_NODES = Key("k8s.nodes", Nodes)


@parser("k8s.nodes")
def parse_nodes(text: str) -> Parsed[Nodes]:
    """Parse `kubectl get nodes [-o wide]`.

    >>> r = parse_nodes("NAME   STATUS     ROLES    AGE     VERSION\\nvmb    NotReady   <none>   2m20s   v1.17.0+k3s.1\\n")
    >>> n = r.value.nodes[0]
    >>> (n.name, n.status, n.roles, n.minor, n.line)
    ('vmb', 'NotReady', (), (1, 17), 2)
    """
    out = Nodes()
    problems: list[ParseProblem] = []
    header: list[str] | None = None
    for no, raw in enumerate(text.splitlines(), 1):
        if _HEADER.match(raw):
            header = re.split(r"\s{2,}|\t", raw.strip())
            continue
        if header is None or not raw.strip():
            continue
        cols = raw.split()
        if len(cols) < 5 or not _VERSION.match(cols[4]):
            if raw.strip() and not raw.lstrip().startswith(("#", "$")):
                problems.append(ParseProblem("not a node row", no, raw))
            header = None if not raw.startswith(" ") else header
            continue
        roles = () if cols[2] == "<none>" else tuple(cols[2].split(","))
        ip = cols[5] if len(header) > 5 and header[5] == "INTERNAL-IP" and len(cols) > 5 else None
        # OS-IMAGE has spaces; KERNEL-VERSION is the column before the last (CONTAINER-RUNTIME)
        kernel = cols[-2] if header[-2:] == ["KERNEL-VERSION", "CONTAINER-RUNTIME"] and len(cols) > 8 else None
        out.nodes.append(Node(cols[0], cols[1], roles, cols[4], no, ip, kernel))
    if not out.nodes:
        return Parsed(None, [ParseProblem("no `kubectl get nodes` table found"), *problems[:10]])
    return Parsed(out, problems[:20])
