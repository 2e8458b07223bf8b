"""corosync.conf (both `/etc/pve/corosync.conf` and `/etc/corosync/corosync.conf`).

Nested `name { ... }` blocks of `key: value` lines, `#` comments. The typed view keeps what
the rules compare: cluster name, config_version, the nodelist with each node's link addresses,
quorum options (two_node, wait_for_all, expected_votes, qdevice) and the totem interfaces.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from forewarn.model.keys import Key
from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser
from forewarn.parse._text import lazy_compile, strip_comment, to_int

_OPEN = lazy_compile(r"^(?P<name>[A-Za-z_][\w\-.]*)\s*\{\s*$")
_KV = lazy_compile(r"^(?P<key>[A-Za-z_][\w\-.]*)\s*:\s*(?P<value>.*?)\s*$")
_RING = lazy_compile(r"^ring(?P<n>\d+)_addr$")


@dataclass(slots=True)
class Block:
    name: str
    line: int
    items: list[tuple[str, str, int]] = field(default_factory=list)
    children: list["Block"] = field(default_factory=list)

    def get(self, key: str) -> str | None:
        return next((v for k, v, _ in self.items if k == key), None)

    def line_of(self, key: str) -> int | None:
        return next((n for k, _, n in self.items if k == key), None)

    def child(self, name: str) -> "Block | None":
        return next((c for c in self.children if c.name == name), None)

    def all(self, name: str) -> list["Block"]:
        return [c for c in self.children if c.name == name]


@dataclass(frozen=True, slots=True)
class CoroNode:
    name: str | None
    nodeid: int | None
    votes: int
    addrs: dict[int, str]  # link number -> address
    line: int


@dataclass(slots=True)
class CorosyncConf:
    cluster_name: str | None
    config_version: int | None
    config_version_line: int | None
    nodes: list[CoroNode]
    quorum: dict[str, str]
    qdevice: dict[str, str]
    totem: dict[str, str]
    interfaces: list[dict[str, str]]
    tree: Block

    @property
    def link_numbers(self) -> list[int]:
        return sorted({n for node in self.nodes for n in node.addrs})

    def node(self, name: str) -> CoroNode | None:
        return next((n for n in self.nodes if n.name == name), None)

    def node_by_id(self, nodeid: int) -> CoroNode | None:
        return next((n for n in self.nodes if n.nodeid == nodeid), None)


def parse_blocks(text: str) -> tuple[Block, list[ParseProblem]]:
    root = Block("", 0)
    stack = [root]
    problems: list[ParseProblem] = []
    for no, raw in enumerate(text.splitlines(), 1):
        line = strip_comment(raw).strip()
        if not line:
            continue
        # "name {" and "}" may share a line with nothing else; "key: value" stands alone
        m = _OPEN.match(line)
        if m:
            blk = Block(m.group("name"), no)
            stack[-1].children.append(blk)
            stack.append(blk)
            continue
        if line == "}":
            if len(stack) == 1:
                problems.append(ParseProblem("'}' without an open block", no, raw))
            else:
                stack.pop()
            continue
        m = _KV.match(line)
        if m:
            stack[-1].items.append((m.group("key"), m.group("value"), no))
            continue
        problems.append(ParseProblem("not `key: value`, `name {` or `}`", no, raw))
    if len(stack) > 1:
        problems.append(ParseProblem(f"{len(stack) - 1} block(s) not closed (truncated file?)"))
    return root, problems


COROSYNC_CONF = Key("pve.corosync_conf", CorosyncConf)
COROSYNC_CONF_LOCAL = Key("pve.corosync_conf_local", CorosyncConf)


@parser("pve.corosync_conf", "pve.corosync_conf_local")
def parse_corosync_conf(text: str) -> Parsed[CorosyncConf]:
    """Parse corosync.conf.

    >>> r = parse_corosync_conf("totem {\\n config_version: 4\\n cluster_name: lab\\n}\\n"
    ...   "nodelist {\\n node {\\n  name: pve1\\n  nodeid: 1\\n  quorum_votes: 1\\n"
    ...   "  ring0_addr: 10.0.0.1\\n  ring1_addr: 10.1.0.1\\n }\\n}\\n")
    >>> c = r.value
    >>> (c.cluster_name, c.config_version, [(n.name, n.nodeid, n.addrs) for n in c.nodes])
    ('lab', 4, [('pve1', 1, {0: '10.0.0.1', 1: '10.1.0.1'})])
    """
    root, problems = parse_blocks(text)
    totem_blk = root.child("totem")
    if totem_blk is None and root.child("nodelist") is None:
        problems.insert(0, ParseProblem("no totem or nodelist block: not a corosync.conf"))
        return Parsed(None, problems)
    totem = {k: v for k, v, _ in totem_blk.items} if totem_blk else {}
    interfaces = [{k: v for k, v, _ in i.items} for i in (totem_blk.all("interface") if totem_blk else [])]
    nodes: list[CoroNode] = []
    nodelist = root.child("nodelist")
    for nb in nodelist.all("node") if nodelist else []:
        addrs: dict[int, str] = {}
        for k, v, _ in nb.items:
            m = _RING.match(k)
            if m:
                addrs[int(m.group("n"))] = v
        votes = to_int(nb.get("quorum_votes"))
        nodes.append(CoroNode(nb.get("name"), to_int(nb.get("nodeid")), 1 if votes is None else votes,
                              addrs, nb.line))
    quorum_blk = root.child("quorum")
    quorum = {k: v for k, v, _ in quorum_blk.items} if quorum_blk else {}
    dev = quorum_blk.child("device") if quorum_blk else None
    qdevice: dict[str, str] = {}
    if dev is not None:
        qdevice = {k: v for k, v, _ in dev.items}
        for c in dev.children:
            qdevice.update({f"{c.name}.{k}": v for k, v, _ in c.items})
    conf = CorosyncConf(
        cluster_name=totem.get("cluster_name"),
        config_version=to_int(totem.get("config_version")),
        config_version_line=totem_blk.line_of("config_version") if totem_blk else None,
        nodes=nodes, quorum=quorum, qdevice=qdevice, totem=totem, interfaces=interfaces, tree=root,
    )
    return Parsed(conf, problems)
