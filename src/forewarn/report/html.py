"""The HTML report: one self-contained page an operator can read at a glance.

`forewarn scan|explain ... --format html -o report.html` and `forewarn timeline ... --html FILE`.
The page reads top-down: the headline (cluster, nodes, worst severity, counts), the incident
timeline (a Plotly chart, see html_chart.py, then the episodes told in words), the findings
(worst first, grouped by node: message, evidence lines, cause, fix commands with the disruptive
ones marked), what could not be checked, and what was read.

Everything is inline (Plotly's JavaScript, the CSS, the data): the file opens with no network.
The page is a Jinja2 template with autoescaping on: evidence lines, messages and file names are
untrusted text and render as text.

Plotly is the optional extra `html` (`pip install 'forewarn[html]'`); without it `require()`
raises `HtmlUnavailable` with that advice, and the command says so and exits 2.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import datetime, timezone
from typing import Any

from forewarn import __version__
from forewarn.model.findings import Finding, Severity, Status
from forewarn.catalogue.citations import citations

INSTALL_HINT = ("the HTML report's chart needs Plotly, which comes with the `html` extra: "
                "pip install 'forewarn[html]'  (or: pip install plotly)")

WHEN_LABEL = {"now": "state now", "past": "from logs", "config": "configuration"}
MAX_EVIDENCE = 6
MAX_EXCERPT = 12
MAX_EPISODE_EVENTS = 300


_CODE_SPAN = re.compile(r"`([^`\n]+)`")
_STRONG = re.compile(r"\*\*([^*\n]+)\*\*")


def inline_markdown(text: str) -> Any:
    """The inline Markdown of messages and fix steps (`code`, **strong**) as HTML; everything else
    escaped: the text is built from evidence, which is untrusted."""
    from markupsafe import Markup, escape

    html = str(escape(text))
    html = _CODE_SPAN.sub(lambda m: f"<code>{m.group(1)}</code>", html)
    return Markup(_STRONG.sub(lambda m: f"<strong>{m.group(1)}</strong>", html))


class HtmlUnavailable(RuntimeError):
    """Plotly or Jinja2 is not installed."""


def require() -> None:
    """Raise HtmlUnavailable (with how to install it) when the HTML report cannot be made here."""
    try:
        import jinja2  # noqa: F401
        import plotly  # noqa: F401
    except ImportError as exc:
        raise HtmlUnavailable(f"{INSTALL_HINT} [{exc.name} is missing]") from None


# -- the parts of the page ---------------------------------------------------------------------
def cluster_name(ctx: Any) -> str | None:
    """The cluster's name from corosync.conf or `pvecm status`, where the evidence has it."""
    for spec in ("pve.corosync_conf", "pve.corosync_conf_local", "pve.pvecm_status", "pve.corosync_quorumtool"):
        try:
            facts = ctx.facts(spec)
        except Exception:  # noqa: BLE001 - a name for the headline is never worth failing for
            continue
        for f in facts:
            name = getattr(f.value, "cluster_name", None)
            if name:
                return str(name)
    return None


def cluster_members(ctx: Any) -> list[str]:
    """The nodes corosync.conf lists, where the evidence has it (a bundle may hold fewer)."""
    for spec in ("pve.corosync_conf", "pve.corosync_conf_local"):
        try:
            facts = ctx.facts(spec)
        except Exception:  # noqa: BLE001 - a headline is never worth failing for
            continue
        for f in facts:
            names = [n.name for n in getattr(f.value, "nodes", None) or [] if getattr(n, "name", None)]
            if names:
                return names
    return []


def _finding_view(f: Finding) -> dict[str, Any]:
    evidence = []
    for ev in f.evidence[:MAX_EVIDENCE]:
        nums: list[int | None] = list(ev.lines[: len(ev.excerpt)]) if ev.lines else []
        nums += [None] * (len(ev.excerpt) - len(nums))
        evidence.append({
            "node": ev.node, "artifact": ev.artifact, "spec": ev.spec,
            "lines": ", ".join(map(str, ev.lines[:20])) + ("…" if len(ev.lines) > 20 else ""),
            "excerpt": list(zip(nums, ev.excerpt[:MAX_EXCERPT])),
            "more": max(0, len(ev.excerpt) - MAX_EXCERPT),
        })
    return {
        "code": f.code, "title": f.title, "name": f.name, "severity": f.severity.label,
        "nodes": list(f.nodes), "when": WHEN_LABEL.get(f.when.value, f.when.value) if f.family != "FW" else "",
        "message": f.message, "cause": f.cause, "evidence": evidence,
        "more_evidence": max(0, len(f.evidence) - MAX_EVIDENCE),
        "fix": [{"command": s.command, "node": s.node, "safe": s.safe, "note": s.note} for s in f.fix],
        "seed": f.seed, "citations": [c.to_json() for c in citations(f.seed)], "suppressed": f.suppressed,
        "anchor": f"f-{f.code}-{'-'.join(f.nodes) or 'all'}",
    }


def _groups(failed: list[Finding]) -> list[dict[str, Any]]:
    """Findings grouped by the node(s) they are about; the group with the worst finding first."""
    groups: dict[str, list[Finding]] = {}
    for f in failed:  # already worst first
        key = ", ".join(f.nodes) if f.nodes else "cluster-wide / no node named"
        groups.setdefault(key, []).append(f)
    ordered = sorted(groups.items(), key=lambda kv: (-max(int(f.severity) for f in kv[1]), kv[0]))
    out = []
    for key, fs in ordered:
        sev = Counter(f.severity.label for f in fs)
        out.append({"key": key, "worst": max(fs, key=lambda f: f.severity).severity.label,
                    "counts": [(s.label, sev[s.label]) for s in reversed(Severity) if sev[s.label]],
                    "findings": [_finding_view(f) for f in fs]})
    return out


def _timeline_view(doc: dict[str, Any], tl: Any, source: str) -> dict[str, Any]:
    from forewarn.report import html_chart

    chart = html_chart.build_chart(doc)
    header: list[tuple[str, str]] = []
    if tl is not None:
        from forewarn.report.timeline_parts import header_lines

        header = header_lines(tl, source)[1:]  # the terminal's header lines, without its title
    events = doc.get("events", [])
    episodes = []
    for ep in doc.get("episodes", []):
        seqs = list(ep.get("events", [])) + list(ep.get("aftermath", []))
        evs = [events[s] for s in sorted(seqs) if 0 <= s < len(events)]
        episodes.append({
            "id": ep["id"], "kind": ep["kind"], "title": ep["title"], "story": ep.get("story", ""),
            "span": _span(ep, chart.axis), "open": ep.get("open"),
            "non_quorate": [{"node": q["node"], "seconds": q.get("seconds"),
                             "span": _span(q, chart.axis, seconds=False)} for q in ep.get("non_quorate", [])],
            "zoom": json.dumps(html_chart.episode_range(ep, doc)),
            "events": [{"node": e["node"], "when": _clock(e.get("time")) if chart.axis == "time" else f"L{e['line']}",
                        "line": e.get("line"), "summary": e.get("summary", ""), "text": e.get("text", ""),
                        "category": e.get("category", ""), "aftermath": e.get("aftermath")}
                       for e in evs[:MAX_EPISODE_EVENTS]],
            "more_events": max(0, len(evs) - MAX_EPISODE_EVENTS),
        })
    fences = []
    for f in doc.get("fences", []):
        fences.append({"node": f["node"], "certain": f.get("certain"),
                       "marks": [(label, _mark(f.get(key), chart.axis)) for key, label in
                                 (("lost_quorum", "lost quorum"), ("lost_lock", "HA lock lost"),
                                  ("watchdog", "watchdog"), ("boot", "boot")) if f.get(key)],
                       "seconds_to_boot": f.get("seconds_to_boot")})
    return {
        "chart": chart, "header": header, "episodes": episodes, "fences": fences,
        "nodes": len(doc.get("nodes", [])), "events": len(events),
        "timed": doc.get("clock", {}).get("timed"),
        "skew": [s for s in doc.get("skew", []) if s.get("applied")],
    }


def _short(source: str) -> str:
    """A list of many files, shortened the way the terminal shows it."""
    files = source.split(", ")
    return f"{len(files)} files ({files[0]}, …)" if len(files) > 2 else source


def _clock(iso: str | None) -> str:
    if not iso:
        return "?"
    return iso[11:19]


def _span(item: dict[str, Any], axis: str, seconds: bool = True) -> str:
    if axis == "time" and item.get("from") and item.get("to"):
        a, b = _clock(item["from"]), _clock(item["to"])
        secs = item.get("seconds")
        return f"{a}–{b}" + (f" ({secs:.0f} s)" if seconds and isinstance(secs, (int, float)) else "")
    lines = item.get("lines")
    if isinstance(lines, dict) and lines:
        return "; ".join(f"{n} lines {a}–{b}" for n, (a, b) in lines.items())
    return ""


def _mark(m: dict[str, Any] | None, axis: str) -> str:
    if not m:
        return ""
    return (_clock(m.get("time")) if axis == "time" and m.get("time") else "") + f" (line {m.get('line')})"


def render_html(report: Any | None, *, timeline: dict[str, Any] | None = None, timeline_obj: Any = None,
                cluster: str | None = None, title: str | None = None, timeline_error: str | None = None,
                timeline_note: str | None = None, members: list[str] | None = None) -> str:
    """The whole page as one string. `report` is a report.model.Report (or None for a timeline
    alone); `timeline` the `forewarn.timeline` JSON document, `timeline_obj` the Timeline it came from."""
    require()
    import jinja2

    from forewarn.report.text import nothing_found
    from plotly.offline import get_plotlyjs

    env = jinja2.Environment(loader=jinja2.PackageLoader("forewarn.report", "templates"), autoescape=True,
                             trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    env.filters["inline_md"] = inline_markdown
    failed = report.failed() if report is not None else []
    summary = report.summary() if report is not None else None
    source = report.source if report is not None else (timeline or {}).get("source", "")
    nodes = list(report.nodes) if report is not None else [n["name"] for n in (timeline or {}).get("nodes", [])]
    worst = max((f.severity for f in failed), default=None)
    tl_view = _timeline_view(timeline, timeline_obj, source) if timeline is not None else None
    command = report.command if report is not None else "timeline"
    page = env.get_template("report.html.j2").render(
        title=title or f"forewarn {command}" + (f" — {cluster}" if cluster else ""),
        command=command, source=source, source_short=_short(source), cluster=cluster, nodes=nodes,
        members=members or [],
        generated=(report.generated if report is not None else datetime.now(timezone.utc))
        .astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
        version=__version__,
        worst=worst.label if worst is not None else None,
        summary=summary,
        nothing_found=nothing_found(report) if report is not None else "",
        groups=_groups(failed),
        findings_count=len(failed),
        could_not_check=[{"code": f.code, "name": f.name, "message": f.message, "missing": list(f.missing)}
                         for f in report.by_status(Status.COULD_NOT_CHECK)] if report is not None else [],
        suppressed=[_finding_view(f) for f in report.suppressed()] if report is not None else [],
        unexplained=report.unexplained if report is not None and report.unexplained is not None
        and report.unexplained.groups else None,
        notes=list(report.notes) if report is not None else [],
        inputs=list(report.inputs) if report is not None else [],
        timeline=tl_view,
        timeline_error=timeline_error,
        timeline_note=timeline_note,
        plotlyjs=get_plotlyjs() if tl_view is not None else "",
        severities=[s.label for s in reversed(Severity)],
    )
    return page


def page_for(report: Any, ctx: Any, *, timeline: Any = None, tz: str | None = None,
             node_tz: dict[str, str] | None = None) -> str:
    """The page of a scan/explain (or timeline) run: its findings and, when logs were read, the
    incident timeline of the same evidence (built here unless given)."""
    from forewarn.report.timeline_json import timeline_to_json

    error = note = None
    doc = None
    has_logs = any(getattr(r, "kind", None) == "log" for r in ctx.records)
    if not has_logs:
        note = "No log among the inputs, so no incident timeline: give the nodes' syslog or journal for one."
    if timeline is None and has_logs:
        try:
            from forewarn.facts.timeline import build_timeline

            timeline = build_timeline(ctx, tz=tz, node_tz=node_tz or {})
        except Exception as exc:  # noqa: BLE001 - partial is fine: the findings still get their page
            error = f"the incident timeline could not be made: {exc!r}"
    if timeline is not None:
        doc = timeline_to_json(timeline, source=report.source)
        if not doc.get("events"):
            doc, timeline = None, None
            note = "The logs read hold no cluster event (corosync, pmxcfs, HA, watchdog, boots): no incident timeline."
    return render_html(report, timeline=doc, timeline_obj=timeline, cluster=cluster_name(ctx),
                       timeline_error=error, timeline_note=note, members=cluster_members(ctx))


def html_problem(out: str | None) -> str | None:
    """Why an HTML report cannot be written here (None: it can): the extra is missing, or the page
    (megabytes of inline JavaScript) would go to a terminal."""
    import sys

    try:
        require()
    except HtmlUnavailable as exc:
        return str(exc)
    if not out and sys.stdout.isatty():
        return "the HTML report is a file of several MB: give -o FILE (or redirect the output to a file)"
    return None
