"""Terminal rendering with rich: worst first, grouped by node, each with evidence and fix."""

from __future__ import annotations

from rich.console import Console, Group
from rich.markup import escape
from rich.padding import Padding
from rich.text import Text

from forewarn.model.findings import Finding, Severity, Status
from forewarn.report.model import Report

SEV_STYLE = {
    Severity.CRITICAL: "bold white on red",
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "bold yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}
WHEN_LABEL = {"now": "state now", "past": "from logs", "config": "configuration"}


def _finding_block(f: Finding, verbose: bool) -> Group:
    head = Text()
    head.append(f" {f.severity.label.upper():8} ", style=SEV_STYLE[f.severity])
    head.append(f" {f.code} ", style="bold")
    head.append(f.title, style="bold")
    if f.nodes:
        head.append("  [" + ", ".join(f.nodes) + "]", style="magenta")
    if f.family != "FW":
        head.append(f"  ({WHEN_LABEL.get(f.when.value, f.when.value)})", style="dim")
    parts: list = [head, Padding(Text(f.message), (0, 0, 0, 3))]
    for ev in f.evidence[: (8 if verbose else 3)]:
        where = f"{ev.node}: {ev.artifact}"
        if ev.lines:
            shown = ",".join(str(n) for n in ev.lines[:10]) + ("…" if len(ev.lines) > 10 else "")
            where += f" line {shown}"
        parts.append(Padding(Text("evidence: " + where, style="dim"), (0, 0, 0, 3)))
        for no, line in zip(ev.lines or [None] * len(ev.excerpt), ev.excerpt[: (12 if verbose else 4)]):
            prefix = f"{no:>6} │ " if no else "       │ "
            parts.append(Padding(Text(prefix + line, style="dim"), (0, 0, 0, 3)))
    if f.cause:
        parts.append(Padding(Text.assemble(("why: ", "bold"), f.cause), (0, 0, 0, 3)))
    if f.fix:
        parts.append(Padding(Text("fix:", style="bold"), (0, 0, 0, 3)))
        for s in f.fix:
            if s.note:
                parts.append(Padding(Text("• " + s.note), (0, 0, 0, 5)))
            else:
                t = Text("$ " + s.command, style="green" if s.safe else "bold red")
                if s.node:
                    t.append(f"   # on {s.node}", style="dim")
                if not s.safe:
                    t.append("   (disruptive: read before running)", style="red")
                parts.append(Padding(t, (0, 0, 0, 5)))
    if f.suppressed:
        parts.append(Padding(Text(f"suppressed: {f.suppressed}", style="dim italic"), (0, 0, 0, 3)))
    return Group(*parts)


def render_text(report: Report, console: Console, *, verbose: bool = False, show_passed: bool = False) -> None:
    c = console
    c.print(Text(f"forewarn {report.command}: {report.source}", style="bold"))
    if report.nodes:
        c.print(Text("nodes: " + ", ".join(report.nodes), style="dim"))
    for line in report.inputs[: (200 if verbose else 12)]:
        c.print(Text("  read " + line, style="dim"))
    if len(report.inputs) > 12 and not verbose:
        c.print(Text(f"  … and {len(report.inputs) - 12} more inputs (--verbose lists them)", style="dim"))
    c.print()
    failed = report.failed()
    if not failed:
        c.print(Text("No problems found in what was read.", style="bold green"))
    for f in failed:
        c.print(_finding_block(f, verbose))
        c.print()
    s = report.summary()
    c.print(Text(
        f"{s['rules']} rules: {s['failed']} failed, {s['passed']} passed, "
        f"{s['not_applicable']} not applicable, {s['could_not_check']} could not check"
        + (f"; {s['suppressed']} finding(s) suppressed" if s["suppressed"] else ""), style="bold"))
    cnc = report.by_status(Status.COULD_NOT_CHECK)
    if cnc:
        c.print(Text("could not check (missing evidence is not health):", style="yellow"))
        for f in cnc[: (len(cnc) if verbose else 8)]:
            c.print(Text(f"  {f.code} {f.name}: {f.message}", style="yellow"))
        if len(cnc) > 8 and not verbose:
            c.print(Text(f"  … {len(cnc) - 8} more (--verbose)", style="yellow"))
    if show_passed:
        for f in report.by_status(Status.PASS):
            c.print(Text(f"  pass {f.code} {f.name}", style="green"))
    for f in report.suppressed():
        c.print(Text(f"  suppressed {f.code} {', '.join(f.nodes)}: {escape(f.suppressed or '')}", style="dim"))
