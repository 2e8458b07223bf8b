"""NET113 bond-degraded: a bond slave is down, an 802.3ad (LACP) member sits outside the active
aggregator, or the bond negotiated no aggregator at all (/proc/net/bonding/<bond>); without that file,
the kernel log's `link status definitely down` lines of the bonding driver."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import PurePosixPath

from forewarn.facts import logs
from forewarn.facts.context import Context
from forewarn.model.findings import Severity, When
from forewarn.parse.host.proc_net_bonding import BONDING
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import CouldNotCheck

FIX = (
    step("cat /proc/net/bonding/{bond}"),
    note("A slave down: check its cable, transceiver and switch port (`ethtool <slave>`, `ip -s link`). An LACP "
         "member outside the active aggregator, or no aggregator: the switch ports are not in one LAG (port-channel) "
         "in LACP active mode, or the switch answers with another key; configure both ports in the same LACP LAG, "
         "then re-enslave or bring the member down and up."),
)


def _bond_name(artifact: str) -> str:
    base = PurePosixPath(artifact or "").name
    m = re.search(r"bond[\w.-]*?(?=\.txt$|$)|bond\w*", base)
    return m.group(0) if m else (base or "the bond")


KINDS = ("bond_slave_down", "bond_slave_up")


def _from_logs(ctx: Context, skip: set[str]) -> Iterator[Hit]:
    """Slaves the bonding driver disabled (kernel log), per node without /proc/net/bonding: still down
    at the log's end (medium), or down and back (low, a flap)."""
    for node, evs in logs.group_by_node(logs.events(ctx, None, KINDS)).items():
        if node in skip:
            continue
        last: dict[tuple[str, str], str] = {}
        downs: dict[tuple[str, str], list[logs.NodeEvent]] = {}
        for e in evs:
            key = (e.attrs.get("bond", "bond"), e.attrs.get("slave", "?"))
            last[key] = e.kind
            if e.kind == "bond_slave_down":
                downs.setdefault(key, []).append(e)
        for (bond, slave), d in downs.items():
            n = f"{len(d)} time(s)" if len(d) > 1 else "once"
            if last[(bond, slave)] == "bond_slave_down":
                yield Hit(f"{node}: the bonding driver disabled slave {slave} of {bond} (`link status definitely "
                          f"down`, {n}, last at {logs.time_label(d[-1])}) and the log shows no return: {bond} runs "
                          "without it, with no redundancy if it has two slaves", nodes=node, evidence=logs.refs(d),
                          severity=Severity.MEDIUM, when=When.PAST, params={"bond": bond})
            else:
                yield Hit(f"{node}: slave {slave} of {bond} went down {n} (`link status definitely down`) and came "
                          f"back (`link status definitely up`): the link flaps; {bond} ran without it meanwhile",
                          nodes=node, evidence=logs.refs(d), severity=Severity.LOW, when=When.PAST,
                          params={"bond": bond})


@rule(code="NET113", inputs=(BONDING, *logs.LOG_SPECS), fix=FIX)
def bond_degraded(ctx: Context) -> Iterator[Hit]:
    if not ctx.facts(BONDING) and not logs.events(ctx, None, KINDS):
        raise CouldNotCheck("needs host.proc_net_bonding")  # logs without a bonding line say nothing
    yield from _from_logs(ctx, {f.node for f in ctx.facts(BONDING)})
    for f in ctx.facts(BONDING):
        b, bond = f.value, _bond_name(f.artifact)
        where = f"{f.node}: {bond}"
        down = [s for s in b.slaves if s.mii_status and s.mii_status != "up"]
        if down:
            all_down = len(down) == len(b.slaves)
            yield Hit(f"{where}: slave(s) {', '.join(s.name for s in down)} have MII status "
                      f"{'/'.join(sorted({s.mii_status or '' for s in down}))}"
                      + (": no slave is up, the bond carries no traffic" if all_down else
                         f" ({len(b.slaves) - len(down)} of {len(b.slaves)} up): the bond runs without redundancy"),
                      nodes=f.node, evidence=[f.ref([s.lines.get("MII Status", s.line) for s in down])],
                      severity=Severity.HIGH if all_down else Severity.MEDIUM, params={"bond": bond})
        if not b.lacp:
            continue
        if b.no_active_aggregator:
            yield Hit(f"{where}: the 802.3ad (LACP) bond has no active aggregator (slaves' Aggregator ID: "
                      f"{', '.join(f'{s.name} {s.aggregator_id}' for s in b.slaves) or 'none'}): LACP never "
                      "negotiated with the switch", nodes=f.node, evidence=[f.ref([b.no_active_aggregator])],
                      severity=Severity.HIGH, params={"bond": bond})
            continue
        if b.active_aggregator is None:
            continue
        outside = [s for s in b.slaves if s.mii_status == "up" and s.aggregator_id
                   and s.aggregator_id != b.active_aggregator]
        if outside:
            ports = f" (it has {b.aggregator_ports} port(s))" if b.aggregator_ports is not None else ""
            yield Hit(f"{where}: LACP member(s) {', '.join(f'{s.name} (aggregator {s.aggregator_id})' for s in outside)} "
                      f"are not in the active aggregator {b.active_aggregator}{ports}: they carry no traffic, the "
                      "bond has less bandwidth and no redundancy over them (the switch ports are not one LAG, or "
                      "answer with another LACP key)", nodes=f.node,
                      evidence=[f.ref([b.lines.get("active_aggregator", 0), b.lines.get("aggregator_ports", 0)]
                                      + [s.lines.get("Aggregator ID", s.line) for s in outside])],
                      severity=Severity.MEDIUM, params={"bond": bond})
