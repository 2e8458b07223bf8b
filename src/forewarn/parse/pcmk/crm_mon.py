"""`crm_mon -1` / `pcs status` / `crm status`: which cluster nodes Pacemaker sees, and how.

Pacemaker 2 prints a bulleted "Node List:" (lib/pacemaker/pcmk_output.c, lib/pengine/pe_output.c):

    Cluster Summary:
      * Stack: corosync
      * Current DC: node1 (version 2.0.5-8.el8-ba59be7122) - partition with quorum
    Node List:
      * Node node2: UNCLEAN (offline)
      * Online: [ node1 ]

Pacemaker 1.1 prints the same facts without bullets (`Current DC: NONE`, `Node db1: UNCLEAN
(offline)`, `Online: [ db1 db2 ]`, `OFFLINE: [ db3 ]`). Operators often paste the Node List of
several nodes one after the other: each "Node List:" or summary header starts a new view, because
what matters is what each node saw (a split cluster is two views that each see only themselves).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from forewarn.model.keys import Key
from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser
from forewarn.parse._text import lazy_compile

# states a node can be shown in, as crm_mon words them
ONLINE, OFFLINE, STANDBY, MAINTENANCE, PENDING = "online", "offline", "standby", "maintenance", "pending"
UNCLEAN_OFFLINE, UNCLEAN_ONLINE, UNCLEAN_PENDING = "unclean-offline", "unclean-online", "unclean-pending"


@dataclass(slots=True)
class View:
    """One status output: the DC it names and each node's state, with line numbers."""

    dc: str | None = None  # the DC's name, "NONE" when there is none, None when not shown
    with_quorum: bool | None = None
    nodes: dict[str, str] = field(default_factory=dict)  # node -> state
    lines: dict[str, int] = field(default_factory=dict)  # node -> line number
    first_line: int = 0

    def having(self, *states: str) -> list[str]:
        return [n for n, s in self.nodes.items() if s in states]


@dataclass(slots=True)
class CrmMon:
    views: list[View] = field(default_factory=list)


CRM_MON = Key("pcmk.crm_mon", CrmMon)

_BULLET = lazy_compile(r"^\s*(?:\*\s+)?")
_NAME = r"[\w.:@-]+"
_DC = lazy_compile(r"^Current DC:\s+(?P<dc>NONE|" + _NAME + r")(?:\s+\(.*?\))?(?:\s+-\s+partition (?P<q>with|WITHOUT) quorum)?")
_NODE = lazy_compile(r"^Node\s+(?P<node>" + _NAME + r")(?:\s+\(\d+\))?:\s+(?P<state>.+?)\s*$")
_LIST = lazy_compile(r"^(?P<kind>Online|OFFLINE|RemoteOnline|RemoteOFFLINE|GuestOnline):\s+\[\s*(?P<names>[^\]]*)\]")
_STATES = (
    (re.compile(r"^UNCLEAN \(offline\)", re.I), UNCLEAN_OFFLINE),
    (re.compile(r"^UNCLEAN \(online\)", re.I), UNCLEAN_ONLINE),
    (re.compile(r"^UNCLEAN \(pending\)", re.I), UNCLEAN_PENDING),
    (re.compile(r"^standby", re.I), STANDBY),
    (re.compile(r"^maintenance", re.I), MAINTENANCE),
    (re.compile(r"^pending", re.I), PENDING),
    (re.compile(r"^OFFLINE", re.I), OFFLINE),
    (re.compile(r"^online", re.I), ONLINE),
)
_NEW_VIEW = lazy_compile(r"^(?:Cluster Summary:|Node List:|Stack:|Cluster name:)")


def _state(text: str) -> str | None:
    for pattern, state in _STATES:
        if pattern.match(text):
            return state
    return None


@parser("pcmk.crm_mon")
def parse_crm_mon(text: str) -> Parsed[CrmMon]:
    """Parse the node part of `crm_mon -1`, `pcs status` or `crm status` (one or several pasted).

    >>> r = parse_crm_mon("Node List:\\n  * Node b: UNCLEAN (offline)\\n  * Online: [ a ]\\n\\n"
    ...                   "Node List:\\n  * Node a: UNCLEAN (offline)\\n  * Online: [ b ]\\n")
    >>> [(v.nodes, v.lines) for v in r.value.views]
    [({'b': 'unclean-offline', 'a': 'online'}, {'b': 2, 'a': 3}), ({'a': 'unclean-offline', 'b': 'online'}, {'a': 6, 'b': 7})]
    >>> parse_crm_mon("Current DC: node1 (version 2.0.5) - partition with quorum\\nOnline: [ node1 node2 ]\\n").value.views[0].dc
    'node1'
    >>> parse_crm_mon("no pacemaker here\\n").value is None
    True
    """
    problems: list[ParseProblem] = []
    views: list[View] = []
    cur: View | None = None

    def start(no: int) -> View:
        v = View(first_line=no)
        views.append(v)
        return v

    for no, raw in enumerate(text.splitlines(), 1):
        line = _BULLET.sub("", raw).strip().strip("*").strip()  # `**Node a: UNCLEAN**` in Markdown pastes
        if not line:
            continue
        if _NEW_VIEW.match(line):
            if cur is None or cur.nodes or line.startswith(("Cluster Summary:", "Cluster name:", "Stack:")) and cur.dc:
                cur = start(no)
            continue
        m = _DC.match(line)
        if m:
            if cur is None or cur.nodes:
                cur = start(no)
            cur.dc = m.group("dc")
            cur.with_quorum = None if not m.group("q") else m.group("q") == "with"
            continue
        m = _NODE.match(line)
        if m:
            state = _state(m.group("state"))
            if state is None:
                problems.append(ParseProblem("node state not understood", no, raw))
                continue
            cur = cur or start(no)
            cur.nodes[m.group("node")] = state
            cur.lines[m.group("node")] = no
            continue
        m = _LIST.match(line)
        if m:
            cur = cur or start(no)
            state = ONLINE if m.group("kind").endswith("Online") else OFFLINE
            for name in m.group("names").split():
                cur.nodes[name] = state
                cur.lines[name] = no
    views = [v for v in views if v.nodes]
    if not views:
        return Parsed(None, problems or [ParseProblem("no Pacemaker node list in this text")])
    return Parsed(CrmMon(views), problems)
