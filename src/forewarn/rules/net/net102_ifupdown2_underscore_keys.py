"""NET102 ifupdown2-underscore-keys: ifupdown-style option names (`bridge_ports`) under ifupdown2."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts.context import Context
from forewarn.model.findings import Severity, When
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import CouldNotCheck
from forewarn.rules.net._netconf import config_path, ifupdown_tool, node_configs

# Files that Proxmox VE's SDN writes itself (`#version:N` header): its own generator uses
# `bridge_ports` and `vxlan_remoteip` under ifupdown2 and rewrites the file on every apply.
_GENERATED = "#version:"


@rule(
    code="NET102", name="ifupdown2-underscore-keys",
    title="ifupdown2 does not accept underscore keys (bridge_ports)",
    severity="high", inputs=("host.interfaces",), seed="seeds/000_ddaad953b0664170.txt:160",
    when=When.CONFIG,
)
def ifupdown2_underscore_keys(ctx: Context) -> Iterator[Hit]:
    """What it does: lists the options of /etc/network/interfaces (and the files it sources) that
    are written with underscores, ifupdown's spelling (`bridge_ports`, `bridge_stp`, `bridge_fd`),
    on a node where ifupdown2 reads the file (`dpkg -l`, `pveversion -v`, or Proxmox VE 7 or later).
    Files that Proxmox VE's SDN generates itself (`#version:` header) are left out.

    Why it matters: seed 000 warns that ifupdown2 replaced the underscore keys by dashed ones. The
    ifupdown2 code read here (Debian 12's 3.0.0, and the networkinterfaces.py of earlier releases)
    translates `_` to `-` while parsing, so `bridge_ports` still works: `ifquery` prints it as
    `bridge-ports` and `ifup -s` accepts it. The finding is therefore reported at low severity:
    the file mixes two spellings, ifupdown2's documentation, `ifquery` output and the Proxmox VE
    GUI use the dashed names, and a key searched for by its dashed name (grep, scripts, reviews)
    is missed. It is a clean-up to do while converting the file (NET101), not an outage.

    How to fix: rename the options to their dashed form (`bridge-ports`, `bridge-stp`, `bridge-fd`)
    in the file, compare `ifquery -a` before and after (it must print the same), then `ifreload -a`.
    """
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
        by_fact: dict[int, list] = {}
        for p, o in uses:
            by_fact.setdefault(id(p.fact), [p.fact, []])[1].append(o.line)
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
