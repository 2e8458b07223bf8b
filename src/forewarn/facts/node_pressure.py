"""Node pressure as `kubectl describe node` shows it: a condition (DiskPressure, MemoryPressure,
PIDPressure) that is True, its taint, and the kubelet events that go with it (eviction thresholds
met, image garbage collection failing). Shared by K8S124-K8S126."""

from __future__ import annotations

from dataclasses import dataclass, field

from forewarn.facts.context import Context, Fact
from forewarn.parse.k8s.describe_node import DESCRIBE_NODE, Condition, DescribeNodes, NodeEvent


@dataclass(slots=True)
class Pressure:
    node: str  # the bundle's node the evidence came from
    name: str  # the Kubernetes node's name ("" when the paste lacks the header)
    fact: Fact[DescribeNodes]
    condition: Condition | None = None  # the condition row, True
    taint: tuple[str, int] | None = None
    events: list[NodeEvent] = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.name or self.node

    def lines(self) -> list[int]:
        out = [self.condition.line] if self.condition else []
        out += [self.taint[1]] if self.taint else []
        return out + [e.line for e in self.events[:6]]


def pressures(ctx: Context, condition: str, taint: str, reasons: tuple[str, ...],
              messages: tuple[str, ...]) -> tuple[list[Pressure], int]:
    """Nodes under `condition` (True) or with its events, and how many nodes showed the condition at all.

    An event counts when its reason is one of `reasons` and, for EvictionThresholdMet, its message
    names the resource (`messages`: `Attempting to reclaim memory`)."""
    found: list[Pressure] = []
    seen = 0
    for f in ctx.facts(DESCRIBE_NODE):
        for n in f.value.nodes:
            cond = n.condition(condition)
            evs = [e for e in n.events if e.reason in reasons
                   and (e.reason != "EvictionThresholdMet" or any(m in e.message for m in messages))]
            if cond is not None or evs:
                seen += 1
            active = cond is not None and cond.status == "True"
            if not active and not evs:
                continue
            t = next((t for t in n.taints if t[0].startswith(taint)), None)
            found.append(Pressure(f.node, n.name, f, cond if active else None, t, evs))
    return found, seen
