"""NET102 ifupdown2-underscore-keys: ifupdown-style option names (`bridge_ports`) under ifupdown2."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts.context import Context, Fact
from forewarn.model.findings import Severity, When
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import CouldNotCheck
from forewarn.facts.netconf import config_path, ifupdown_tool, node_configs
from forewarn.parse.host.dpkg import DPKG
from forewarn.parse.host.interfaces import INTERFACES, Interfaces
from forewarn.parse.pve.pveversion import PVEVERSION

# Files that Proxmox VE's SDN writes itself (`#version:N` header): its own generator uses
# `bridge_ports` and `vxlan_remoteip` under ifupdown2 and rewrites the file on every apply.
_GENERATED = "#version:"


@rule(code="NET102", reads=(DPKG, PVEVERSION), inputs=(INTERFACES,), when=When.CONFIG)
def ifupdown2_underscore_keys(ctx: Context) -> Iterator[Hit]:
    undecided: list[str] = []
    found = 0
    for nc in node_configs(ctx):
        uses = []
        for p in nc.stanzas:
            if (p.fact.value.header or "").startswith(_GENERATED):
                continue
            uses += [(p, o) for o in p.stanza.options if o.underscore]
        if not uses:
            continue
        tool = ifupdown_tool(ctx, nc.node)
        if tool.name == "ifupdown" or tool.ifupdown2_missing:
            continue
        names = sorted({o.name for _, o in uses})
        if tool.name is None:
            undecided.append(f"{nc.node}: {', '.join(names)} ({tool.why})")
            continue
        by_fact: dict[int, tuple[Fact[Interfaces], list[int]]] = {}
        for p, o in uses:
            by_fact.setdefault(id(p.fact), (p.fact, []))[1].append(o.line)
        shown = "; ".join(
            f"{stanza}: " + ", ".join(f"{o.name} (line {o.line})" for p, o in uses if p.stanza.name == stanza)
            for stanza in dict.fromkeys(p.stanza.name for p, _ in uses))
        path = config_path(uses[0][0].fact)
        sed = "; ".join(f"s/^([[:space:]]*){n}([[:space:]])/\\1{n.replace('_', '-')}\\2/" for n in names)
        found += 1
        yield Hit(
            f"{nc.node}: {len(uses)} option(s) use ifupdown's underscore spelling under ifupdown2 — {shown}; "
            f"ifupdown2 reads them as {', '.join(n.replace('_', '-') for n in names)} ({tool.why})",
            nodes=nc.node,
            evidence=[f.ref(lines) for f, lines in by_fact.values()] + list(tool.evidence),
            severity=Severity.LOW,
            fix=[
                step("ifquery -a > /root/ifquery-before.txt"),
                step(f"cp {path} {path}.bak && sed -i -E '{sed}' {path}", safe=False),
                step("ifquery -a | diff /root/ifquery-before.txt -"),
                note("The diff must be empty: ifupdown2 already read the underscore names as dashed ones."),
            ],
            details={"options": names, "tool": tool.name},
        )
    if undecided and not found:
        raise CouldNotCheck("underscore option names (" + "; ".join(undecided) + "); whether ifupdown2 reads "
                            "the file is unknown without `dpkg -l` or `pveversion -v`")
