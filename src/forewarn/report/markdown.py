"""Markdown rendering, for tickets and forum posts."""

from __future__ import annotations

from forewarn.model.findings import Status
from forewarn.model.nodes import named
from forewarn.report.model import Report


def render_markdown(report: Report) -> str:
    out = [f"# forewarn {report.command}: {report.source}", ""]
    if report.nodes:
        out += [f"Nodes: {', '.join(report.nodes)}", ""]
    failed = report.failed()
    s = report.summary()
    out += [f"**{s['failed']} failed**, {s['passed']} passed, {s['not_applicable']} not applicable, "
            f"{s['could_not_check']} could not check.", ""]
    for f in failed:
        nodes = f" — {', '.join(f.nodes)}" if f.nodes else ""
        out += [f"## {f.severity.label.upper()} {f.code} {f.title}{nodes}", "", f.message, ""]
        for ev in f.evidence[:4]:
            lines = f" (lines {', '.join(map(str, ev.lines[:10]))})" if ev.lines else ""
            out.append(f"Evidence: `{ev.node}: {ev.artifact}`{lines}")
            if ev.excerpt:
                out += ["", "```", *ev.excerpt[:8], "```"]
            out.append("")
        if f.cause:
            out += [f"**Why:** {f.cause}", ""]
        if f.fix:
            out.append("**Fix:**")
            out.append("")
            for st in f.fix:
                if st.note:
                    out.append(f"- {st.note}")
                else:
                    on = f" (on {st.node})" if named(st.node) else ""
                    warn = " — disruptive, read first" if not st.safe else ""
                    out.append(f"- `{st.command}`{on}{warn}")
            out.append("")
    u = report.unexplained
    out += [f"> note: {n}" for n in report.notes] + ([""] if report.notes else [])
    if u is not None and u.groups:
        out += ["## Unexplained errors", "", u.heading() + ".", ""]
        out += ["| count | template | nodes | first – last | first at |", "|---:|---|---|---|---|"]
        for g in u.groups:
            span = f"{g.first:%b %d %H:%M:%S} – {g.last:%b %d %H:%M:%S}" if g.first and g.last else ""
            cell = lambda s: s.replace("|", "\\|").replace("`", "'")  # noqa: E731
            out.append(f"| {g.count} | `{cell(g.template)}` | {', '.join(g.nodes)} | {span} | {cell(g.where)} |")
        out.append("")
    cnc = report.by_status(Status.COULD_NOT_CHECK)
    if cnc:
        out += ["## Could not check", ""]
        out += [f"- {f.code} {f.name}: {f.message}" for f in cnc]
        out.append("")
    if report.suppressed() or report.suppression_notes:
        out += ["## Suppressed", ""]
        out += [f"- {f.code} {', '.join(f.nodes)}: {f.suppressed}" for f in report.suppressed()]
        out += [f"- {note}" for note in report.suppression_notes]
        out.append("")
    return "\n".join(out)
