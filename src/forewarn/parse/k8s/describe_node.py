"""`kubectl describe node(s)`: per node its taints, conditions, capacity, allocatable and events.

    Name:               box-101
    Taints:             node.kubernetes.io/disk-pressure:NoSchedule
    Conditions:
      Type             Status  LastHeartbeatTime                 LastTransitionTime                Reason                    Message
      ----             ------  -----------------                 ------------------                ------                    -------
      DiskPressure     True    Sat, 26 May 2018 11:12:30 -0600   Sat, 26 May 2018 11:11:10 -0600   KubeletHasDiskPressure    kubelet has disk pressure
    Allocatable:
     cpu:            1
    Events:
      Type     Reason                Age                   From     Message
      Warning  EvictionThresholdMet  9m18s (x15 over 12m)  kubelet  Attempting to reclaim ephemeral-storage

Columns are separated by two or more spaces (or tabs, in older kubectl). Pastes are often cut:
a Conditions or Events table without its node header is kept under the node `""`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from forewarn.model.keys import Key
from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser
from forewarn.parse._text import lazy_compile

_SPLIT = lazy_compile(r"\s{2,}|\t+")
_TOP = lazy_compile(r"^(?P<key>[A-Z][\w -]*?):(?:\s+(?P<value>.*?))?\s*$")
_COND_HEAD = lazy_compile(r"^\s+Type\s+Status\s+(?:LastHeartbeatTime|LastProbeTime)\b")
_EVENT_HEAD = lazy_compile(r"^\s+Type\s+Reason\s+Age\s+From\s+Message\s*$")
_KV = lazy_compile(r"^\s+(?P<key>[\w./-]+):\s+(?P<value>\S+)\s*$")
# a condition row pasted without its table header
_COND_ROW = lazy_compile(r"^\s+(?:Ready|MemoryPressure|DiskPressure|PIDPressure|NetworkUnavailable|OutOfDisk)\s+"
                         r"(?:True|False|Unknown)\s")
_TAINT = lazy_compile(r"^\s*(?P<taint>[\w./-]+(?:=[\w./-]*)?:(?:NoSchedule|PreferNoSchedule|NoExecute))\s*$")


@dataclass(frozen=True, slots=True)
class Condition:
    type: str
    status: str  # True | False | Unknown
    reason: str
    message: str
    line: int


@dataclass(frozen=True, slots=True)
class NodeEvent:
    type: str  # Normal | Warning
    reason: str
    age: str
    source: str
    message: str
    line: int


@dataclass(slots=True)
class DescribedNode:
    name: str
    line: int
    taints: list[tuple[str, int]] = field(default_factory=list)
    conditions: list[Condition] = field(default_factory=list)
    capacity: dict[str, str] = field(default_factory=dict)
    allocatable: dict[str, str] = field(default_factory=dict)
    events: list[NodeEvent] = field(default_factory=list)

    def condition(self, kind: str) -> Condition | None:
        return next((c for c in self.conditions if c.type == kind), None)


@dataclass(slots=True)
class DescribeNodes:
    nodes: list[DescribedNode] = field(default_factory=list)


DESCRIBE_NODE = Key("k8s.describe_node", DescribeNodes)


@parser("k8s.describe_node")
def parse_describe_node(text: str) -> Parsed[DescribeNodes]:
    """Parse `kubectl describe node [NAME]` (one or several nodes).

    >>> r = parse_describe_node("Name:  n1\\nTaints:  node.kubernetes.io/disk-pressure:NoSchedule\\nConditions:\\n"
    ...     "  Type  Status  LastHeartbeatTime  LastTransitionTime  Reason  Message\\n"
    ...     "  DiskPressure  True  Sat, 26 May 2018 11:12:30 -0600  Sat, 26 May 2018 11:11:10 -0600  "
    ...     "KubeletHasDiskPressure  kubelet has disk pressure\\n")
    >>> n = r.value.nodes[0]
    >>> (n.name, n.taints, n.condition("DiskPressure").status, n.condition("DiskPressure").line)
    ('n1', [('node.kubernetes.io/disk-pressure:NoSchedule', 2)], 'True', 5)
    """
    out = DescribeNodes()
    problems: list[ParseProblem] = []
    cur: DescribedNode | None = None
    section = ""

    def node(no: int) -> DescribedNode:
        nonlocal cur
        if cur is None:
            cur = DescribedNode("", no)
            out.nodes.append(cur)
        return cur

    for no, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        if _COND_HEAD.match(raw):
            node(no)
            section = "conditions"
            continue
        if section != "conditions" and _COND_ROW.match(raw):
            node(no)
            section = "conditions"
        if _EVENT_HEAD.match(raw):
            node(no)
            section = "events"
            continue
        top = _TOP.match(raw) if not raw[:1].isspace() else None
        if top:
            key, value = top.group("key"), (top.group("value") or "")
            if key == "Name":
                cur = DescribedNode(value, no)
                out.nodes.append(cur)
                section = ""
            elif key == "Taints":
                section = "taints"
                if value and value != "<none>":
                    node(no).taints.append((value, no))
            else:
                section = {"Conditions": "conditions", "Capacity": "capacity", "Allocatable": "allocatable",
                           "Events": "events"}.get(key, "other")
            continue
        if set(raw.strip()) <= {"-", " ", "\t"}:
            continue  # the tables' dash lines
        if section == "taints":
            t = _TAINT.match(raw)
            if t:
                node(no).taints.append((t.group("taint"), no))
                continue
            section = "other"
        elif section == "conditions":
            cells = _SPLIT.split(raw.strip())
            if len(cells) >= 2 and cells[1] in ("True", "False", "Unknown"):
                reason = cells[4] if len(cells) > 4 else ""
                message = "  ".join(cells[5:]) if len(cells) > 5 else ""
                node(no).conditions.append(Condition(cells[0], cells[1], reason, message, no))
            else:
                problems.append(ParseProblem("not a condition row", no, raw))
        elif section in ("capacity", "allocatable"):
            kv = _KV.match(raw)
            if kv:
                getattr(node(no), section)[kv.group("key")] = kv.group("value")
        elif section == "events":
            cells = _SPLIT.split(raw.strip(), maxsplit=4)
            if len(cells) == 5 and cells[0] in ("Normal", "Warning"):
                node(no).events.append(NodeEvent(cells[0], cells[1], cells[2], cells[3], cells[4], no))
            elif raw.strip() != "<none>":
                problems.append(ParseProblem("not an event row", no, raw))
    if not any(n.conditions or n.events or n.taints for n in out.nodes):
        return Parsed(None, [ParseProblem("no node conditions, taints or events found"), *problems[:10]])
    return Parsed(out, problems[:20])
