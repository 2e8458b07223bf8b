"""Terminal rendering with rich: worst first, grouped by node, each with evidence and fix."""

from __future__ import annotations

import textwrap

from rich.console import Console
from rich.text import Text

from forewarn.model.findings import Finding, Severity, Status
from forewarn.model.nodes import named
from forewarn.report.model import Report

SEV_STYLE = {
    Severity.CRITICAL: "bold white on red",
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "bold yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}
WHEN_LABEL = {"now": "state now", "past": "from logs", "config": "configuration"}


def _wrap(text: str, indent: int, width: int, style: str = "", hang: int = 0) -> list[Text]:
    """Indented lines, wrapped by hand so files and narrow terminals get no padding spaces."""
    out: list[Text] = []
    for para in text.splitlines() or [""]:
        lead = len(para) - len(para.lstrip(" "))
        lines = textwrap.wrap(para.strip(), width=max(20, width - indent - lead),
                              subsequent_indent=" " * hang) or [""]
        out.extend(Text(" " * (indent + lead) + ln, style=style) for ln in lines)
    return out


def _finding_block(f: Finding, verbose: bool, width: int) -> list[Text]:
    head = Text()
    head.append(f" {f.severity.label.upper():8} ", style=SEV_STYLE[f.severity])
    head.append(f" {f.code} ", style="bold")
    head.append(f.title, style="bold")
    tail = Text()
    if f.nodes:
        tail.append("  [" + ", ".join(f.nodes) + "]", style="magenta")
    if f.family != "FW":
        tail.append(f"  ({WHEN_LABEL.get(f.when.value, f.when.value)})", style="dim")
    heads = [head + tail]
    if len(head.plain) + len(tail.plain) > width:  # the nodes and when on a line of their own
        heads = [head, Text(" " * 10) + tail]
    parts: list[Text] = [*heads, *_wrap(f.message, 3, width)]
    for ev in f.evidence[: (8 if verbose else 3)]:
        where = f"{ev.node}: {ev.artifact}"
        if ev.lines:
            shown = ",".join(str(n) for n in ev.lines[:10]) + ("…" if len(ev.lines) > 10 else "")
            where += f" line {shown}"
        parts += _wrap("evidence: " + where, 3, width, "dim")
        gutter = max(6, len(str(max(ev.lines, default=0))))  # a 7-digit line number keeps the bar aligned
        for no, line in zip(ev.lines or [None] * len(ev.excerpt), ev.excerpt[: (12 if verbose else 4)]):
            prefix = f"{no:>{gutter}} │ " if no else " " * gutter + " │ "
            room = width - gutter - 8
            clipped = line if verbose or len(line) <= room else line[: room - 1] + "…"
            parts.append(Text("   " + prefix + clipped, style="dim"))
    if f.cause:
        parts += _wrap("why: " + f.cause, 3, width, hang=5)
    if f.fix:
        parts.append(Text("   fix:", style="bold"))
        for st in f.fix:
            if st.note:
                parts += _wrap("• " + st.note, 5, width, hang=2)
            else:
                t = Text("     $ " + st.command, style="green" if st.safe else "bold red")
                if named(st.node):
                    t.append(f"   # on {st.node}", style="dim")
                if not st.safe:
                    t.append("   (disruptive: read before running)", style="red")
                parts.append(t)
    if f.suppressed:
        parts += _wrap(f"suppressed: {f.suppressed}", 3, width, "dim italic")
    return parts


def nothing_found(report: Report) -> str:
    """No finding is not health: say what was looked at, and what could not be."""
    s = report.summary()
    seen = ", ".join(report.platforms) or "nothing forewarn knows"
    only_linux = report.platforms in ([], ["Linux host"])
    text = (f"No known problem found in what was read (evidence of: {seen}); {s['passed']} of {s['rules']} "
            f"rules could confirm their check, the counts below say what the rest could not.")
    if only_linux:
        text += (" None of Proxmox VE, LVM, OpenStack or Kubernetes shows in this evidence, so their rules did "
                 "not run: this is no health check of a cluster.")
    elif not s["passed"]:
        text += " No rule could confirm anything: give more evidence (see could not check)."
    return text


def _unexplained(report: Report, width: int, verbose: bool) -> list[Text]:
    u = report.unexplained
    out: list[Text] = []
    for note in report.notes:
        out += _wrap("note: " + note, 0, width, "yellow", hang=2)
    if u is None or not u.groups:
        return out + ([Text()] if out else [])
    out += _wrap(u.heading() + ":", 0, width, "bold", hang=2)
    for g in u.groups:
        span = f"{g.first:%b %d %H:%M:%S} – {g.last:%b %d %H:%M:%S}, " if g.first and g.last else ""
        out += _wrap(f"{g.count}× {g.template}", 2, width, hang=5)
        out += _wrap(f"{span}{', '.join(g.nodes)}; first at {g.where}", 5, width, "dim")
        room = width - 10
        ex = g.example if verbose or len(g.example) <= room else g.example[: room - 1] + "…"
        out.append(Text("     │ " + ex, style="dim"))
    return out + [Text()]


def render_text(report: Report, console: Console, *, verbose: bool = False, show_passed: bool = False) -> None:
    c = console
    c.print(Text(f"forewarn {report.command}: {report.source}", style="bold"))
    if report.nodes:
        c.print(Text("nodes: " + ", ".join(report.nodes), style="dim"))
    for line in report.inputs[: (200 if verbose else 12)]:
        for t in _wrap("read " + line, 2, c.width, "dim", hang=4):
            c.print(t, overflow="ignore", crop=False, no_wrap=True)
    if len(report.inputs) > 12 and not verbose:
        c.print(Text(f"  … and {len(report.inputs) - 12} more inputs (--verbose lists them)", style="dim"))
    c.print()
    failed = report.failed()
    if not failed:
        for line in _wrap(nothing_found(report), 0, c.width):
            line.stylize("bold green" if report.summary()["passed"] else "bold yellow")
            c.print(line, overflow="ignore", crop=False, no_wrap=True)
    for f in failed:
        for line in _finding_block(f, verbose, c.width):
            c.print(line, overflow="ignore", crop=False, no_wrap=True)
        c.print()
    for line in _unexplained(report, c.width, verbose):
        c.print(line, overflow="ignore", crop=False, no_wrap=True)
    sup = report.suppressed()
    if sup or report.suppression_notes:
        c.print(Text(f"suppressed ({len(sup)} accepted finding(s), --suppress):", style="bold"))
        for f in sup:
            for line in _wrap(f"{f.severity.label.upper():8} {f.code} {f.title}"
                              + (f" [{', '.join(f.nodes)}]" if f.nodes else "") + f": {f.suppressed}",
                              2, c.width, "dim", hang=4):
                c.print(line, overflow="ignore", crop=False, no_wrap=True)
        for note in report.suppression_notes:
            for line in _wrap(note, 2, c.width, "yellow", hang=4):
                c.print(line, overflow="ignore", crop=False, no_wrap=True)
        c.print()
    s = report.summary()
    summary = (f"{s['rules']} rules: {s['failed']} failed, {s['passed']} passed, "
               f"{s['not_applicable']} not applicable, {s['could_not_check']} could not check"
               + (f"; {s['suppressed']} finding(s) suppressed" if s["suppressed"] else "")
               + (f"; nothing checked on {', '.join(s['not_checked'])} (not collected)" if s["not_checked"] else ""))
    for line in _wrap(summary, 0, c.width, "bold", hang=2):
        c.print(line, overflow="ignore", crop=False, no_wrap=True)
    # per-node "could not check" rows (a node not collected) are said once, in the line above
    cnc = [f for f in report.by_status(Status.COULD_NOT_CHECK) if not f.nodes]
    if cnc:
        c.print(Text("could not check (missing evidence is not health):", style="yellow"))
        for f in cnc[: (len(cnc) if verbose else 8)]:
            for line in _wrap(f"{f.code} {f.name}: {f.message}", 2, c.width, "yellow", hang=4):
                c.print(line, overflow="ignore", crop=False, no_wrap=True)
        if len(cnc) > 8 and not verbose:
            c.print(Text(f"  … {len(cnc) - 8} more (--verbose)", style="yellow"))
    if show_passed:
        passed = report.by_status(Status.PASS)
        c.print(Text(f"passed ({len(passed)}):", style="green"))
        for f in passed:
            c.print(Text(f"  {f.code} {f.name}", style="green"))
