"""NET122 bridge-port-state-noise: the `entered blocking state` / `forwarding state` lines every
guest, container or NIC start writes are known noise, not a network fault."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from forewarn.facts import logs
from forewarn.facts.context import Context
from forewarn.model.findings import When
from forewarn.rules import Hit, note, rule

FIX = (
    note("Nothing to fix: a port joining a bridge starts in `blocking` and moves to `forwarding` (or `disabled` "
         "while its link is down) at once when STP is off, as on Proxmox's default bridges. Only a port that "
         "stays `blocking` with STP on points at a loop: check `bridge link` for its state."),
)


@rule(code="NET122", inputs=logs.LOG_SPECS, fix=FIX, when=When.PAST)
def bridge_port_state_noise(ctx: Context) -> Iterator[Hit]:
    by_node: dict[str, list[logs.NodeEvent]] = {}
    for e in logs.events(ctx, None, ("bridge_port_state",)):
        by_node.setdefault(e.node, []).append(e)
    counts = logs.kind_counts(ctx, "bridge_port_state")
    for node, evs in sorted(by_node.items()):
        total = max(counts.get(node, 0), len(evs))
        states = Counter(e.attrs.get("state", "?") for e in evs)
        ports = sorted({f"{e.attrs.get('bridge')}/{e.attrs.get('iface')}" for e in evs})
        shown = ", ".join(ports[:4]) + (f" and {len(ports) - 4} more" if len(ports) > 4 else "")
        of = "" if total == len(evs) else f" among the first and last {len(evs)} kept"
        yield Hit(f"{node}: {total} known-harmless bridge port state line(s) ignored "
                  f"({', '.join(f'{s} {n}' for s, n in states.most_common())}{of}; ports {shown}): ports joining "
                  "a bridge at interface start", nodes=node, evidence=logs.refs(evs, limit=3),
                  details={"ignored_lines": total, "states": dict(states), "known_noise": True})
