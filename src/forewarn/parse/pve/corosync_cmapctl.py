"""`corosync-cmapctl`: corosync's configuration and runtime database (cmap), one key a line.

corosync 3.1:

    nodelist.local_node_pos (u32) = 2
    nodelist.node.2.name (str) = node3
    nodelist.node.2.nodeid (u32) = 7
    nodelist.node.2.ring0_addr (str) = 10.77.0.13
    runtime.members.3.ip (str) = r(0) ip(10.77.0.13)
    runtime.members.3.status (str) = joined
    runtime.votequorum.this_node_id (u32) = 3

`nodelist.*` is corosync.conf as last (re)loaded; `runtime.members.<nodeid>.*` is the membership
corosync runs with (corosync 2 wrote `runtime.totem.pg.mrp.srp.members.<nodeid>.*`). The two
disagree after a nodeid was changed and only reloaded: corosync applies no nodeid change at
runtime. When corosync is down cmapctl prints `Failed to initialize the cmap API. Error
CS_ERR_LIBRARY`: a state, not junk.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from forewarn.model.keys import Key
from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser
from forewarn.parse._text import lazy_compile

_LINE = lazy_compile(r"^(?P<key>[\w.-]+) \((?P<type>[a-z0-9]+)\) = ?(?P<value>.*)$")
_ERROR = lazy_compile(r"^(Failed to initialize the cmap API.*|Can't initialize cmap.*|Could not connect .*)$", re.I)
_NODE = lazy_compile(r"^nodelist\.node\.(\d+)\.([\w-]+)$")
_MEMBER = lazy_compile(r"^runtime\.(?:totem\.pg\.mrp\.srp\.)?members\.(\d+)\.([\w-]+)$")
_RING = lazy_compile(r"^ring(\d+)_addr$")


@dataclass(frozen=True, slots=True)
class CmapNode:
    """One `nodelist.node.<pos>` entry: corosync.conf as loaded."""

    pos: int
    nodeid: int | None
    name: str | None
    addrs: dict[int, str]  # link number -> address
    line: int  # the nodeid line (else the entry's first line)


@dataclass(frozen=True, slots=True)
class CmapMember:
    """One `runtime.members.<nodeid>` entry: a node of the running membership."""

    nodeid: int
    status: str | None  # "joined", "left"
    ip: str | None  # "r(0) ip(10.77.0.11)"
    line: int  # the status line (else the entry's first line)

    @property
    def joined(self) -> bool:
        return self.status == "joined"


@dataclass(frozen=True, slots=True)
class Cmap:
    values: dict[str, str]
    nodelist: tuple[CmapNode, ...] = ()
    members: tuple[CmapMember, ...] = ()
    local_node_pos: int | None = None
    this_node_id: int | None = None  # runtime.votequorum.this_node_id: the id this node runs with
    service_error: str | None = None
    lines: dict[str, int] = field(default_factory=dict)  # key -> line number

    @property
    def local_node(self) -> CmapNode | None:
        return next((n for n in self.nodelist if n.pos == self.local_node_pos), None)


def _int(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isdigit() else None


CMAPCTL = Key("pve.corosync_cmapctl", Cmap)


@parser("pve.corosync_cmapctl")
def parse_corosync_cmapctl(text: str) -> Parsed[Cmap]:
    """Parse `corosync-cmapctl` (all keys, or a prefix of them).

    >>> r = parse_corosync_cmapctl("nodelist.local_node_pos (u32) = 0\\n"
    ...     "nodelist.node.0.name (str) = node1\\nnodelist.node.0.nodeid (u32) = 7\\n"
    ...     "runtime.members.3.status (str) = joined\\n")
    >>> [(n.name, n.nodeid) for n in r.value.nodelist], [(m.nodeid, m.joined) for m in r.value.members]
    ([('node1', 7)], [(3, True)])
    >>> parse_corosync_cmapctl("Failed to initialize the cmap API. Error CS_ERR_LIBRARY").value.service_error
    'Failed to initialize the cmap API. Error CS_ERR_LIBRARY'
    """
    problems: list[ParseProblem] = []
    values: dict[str, str] = {}
    lines: dict[str, int] = {}
    error: str | None = None
    for no, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        m = _LINE.match(line)
        if m:
            values[m.group("key")] = m.group("value").strip()
            lines[m.group("key")] = no
            continue
        e = _ERROR.match(line)
        if e:
            error = error or e.group(1)
            lines.setdefault("service_error", no)
            continue
        problems.append(ParseProblem("unrecognised line", no, raw))
    if not values and not error:
        problems.append(ParseProblem("no cmap keys found"))
        return Parsed(None, problems)

    nodes: dict[int, dict[str, str]] = {}
    members: dict[int, dict[str, str]] = {}
    for key, value in values.items():
        n = _NODE.match(key)
        if n:
            nodes.setdefault(int(n.group(1)), {})[n.group(2)] = key
            continue
        mm = _MEMBER.match(key)
        if mm:
            members.setdefault(int(mm.group(1)), {})[mm.group(2)] = key

    def first_line(keys: dict[str, str], prefer: str) -> int:
        if prefer in keys:
            return lines[keys[prefer]]
        return min(lines[k] for k in keys.values())

    nodelist = []
    for pos, keys in sorted(nodes.items()):
        addrs = {int(r.group(1)): values[k] for f, k in keys.items() for r in [_RING.match(f)] if r}
        nodelist.append(CmapNode(pos, _int(values[keys["nodeid"]]) if "nodeid" in keys else None,
                                 values.get(keys.get("name", ""), None), addrs, first_line(keys, "nodeid")))
    running = [CmapMember(nid, values.get(keys.get("status", "")), values.get(keys.get("ip", "")),
                          first_line(keys, "status")) for nid, keys in sorted(members.items())]
    return Parsed(Cmap(values, tuple(nodelist), tuple(running),
                       _int(values.get("nodelist.local_node_pos", "")),
                       _int(values.get("runtime.votequorum.this_node_id", "")), error, lines), problems)
