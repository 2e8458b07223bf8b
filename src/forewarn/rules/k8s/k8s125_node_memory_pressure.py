"""K8S125 node-memory-pressure: a node reports MemoryPressure (memory.available below the eviction
threshold) and kubelet evicts pods to reclaim memory."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts.context import Context
from forewarn.facts.node_pressure import pressures
from forewarn.model.findings import When
from forewarn.parse.k8s.describe_node import DESCRIBE_NODE
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import CouldNotCheck

REASONS = ("NodeHasInsufficientMemory", "EvictionThresholdMet")
FIX = (
    step("kubectl describe node {name}", on=None),
    step("kubectl top pods -A --sort-by=memory", on=None),
    note("Find what uses the memory (pods without memory limits first, then host processes), right-size "
         "requests and limits, and reserve memory for the system in the kubelet configuration "
         "(`systemReserved`, `kubeReserved`, `evictionHard: memory.available`) so pods cannot starve kubelet "
         "and the runtime; or add memory or nodes."),
)


@rule(code="K8S125", inputs=(DESCRIBE_NODE,), fix=FIX)
def node_memory_pressure(ctx: Context) -> Iterator[Hit]:
    found, seen = pressures(ctx, "MemoryPressure", "node.kubernetes.io/memory-pressure", REASONS, ("memory",))
    if not seen and not found:
        raise CouldNotCheck("the node description shows no MemoryPressure condition or memory events")
    for p in found:
        parts = []
        if p.condition:
            parts.append(f"condition MemoryPressure True ({p.condition.reason}: {p.condition.message})")
        if p.taint:
            parts.append(f"tainted {p.taint[0]}")
        ins = [e for e in p.events if e.reason == "NodeHasInsufficientMemory"]
        ev = [e for e in p.events if e.reason == "EvictionThresholdMet"]
        if ins and not p.condition:
            parts.append(f"kubelet reported NodeHasInsufficientMemory ({ins[0].age})")
        if ev:
            parts.append(f"kubelet evicts pods: {ev[0].message} ({ev[0].age})")
        yield Hit(f"{p.label}: node memory pressure: " + "; ".join(parts) + ": kubelet evicts pods (BestEffort "
                  "first, then those above their requests) and the scheduler places no new pod there",
                  nodes=p.node, evidence=[p.fact.ref(p.lines())], params={"name": p.label},
                  when=None if p.condition else When.PAST)
