"""The report's "unexplained errors": error-looking lines of every log and text that no signature
named and no finding cites, merged across files into templates, the most frequent first.

Never findings: no code, no severity. The parsers keep each file's templates
(parse/log/unexplained.py); this merges them per template over nodes and files and keeps the
TOP most frequent, saying how many more there were.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from forewarn.facts.context import Context
    from forewarn.model.findings import Finding

TOP = 10  # templates shown


@dataclass(slots=True)
class Group:
    template: str
    count: int
    first: datetime | None
    last: datetime | None
    nodes: list[str]
    example: str
    where: str  # node: artifact line N of the example

    def to_json(self) -> dict[str, Any]:
        def iso(t: datetime | None) -> str | None:
            return t.isoformat() if t is not None else None

        return {"template": self.template, "count": self.count, "first": iso(self.first), "last": iso(self.last),
                "nodes": self.nodes, "example": self.example, "where": self.where}


@dataclass(slots=True)
class UnexplainedErrors:
    groups: list[Group] = field(default_factory=list)  # the TOP most frequent
    templates: int = 0  # templates in all
    lines: int = 0  # error-looking lines in all
    limit: int = TOP

    def to_json(self) -> dict[str, Any]:
        return {"limit": self.limit, "templates": self.templates, "lines": self.lines,
                "shown": [g.to_json() for g in self.groups]}

    def heading(self) -> str:
        more = f"; the {len(self.groups)} most frequent of {self.templates}" if self.templates > len(self.groups) else ""
        return (f"Unexplained errors: {self.lines} error-looking line(s) that no signature or rule explained, "
                f"in {self.templates} template(s){more} (not findings: no code, no severity)")


def collect(ctx: "Context", findings: list["Finding"], top: int = TOP) -> UnexplainedErrors:
    from forewarn.facts import logs
    from forewarn.facts.logs import fix_year

    cited = {(ev.node, ev.artifact, n) for f in findings for ev in f.evidence for n in ev.lines}
    sources: list[tuple[str, str, Any]] = [(f.node, f.artifact, f.value.unexplained) for f in logs.log_facts(ctx)]
    logs.text_events(ctx, ())  # reads the other text once (cached), keeping its unexplained lines
    sources += [(rec.node, rec.artifact, u) for rec, u in ctx.options.get("_text_unexplained", [])]
    merged: dict[str, Group] = {}
    total = 0
    for node, artifact, u in sources:
        total += u.other
        for t in u.templates.values():
            if (node, artifact, t.first_line) in cited:
                continue
            total += t.count
            first = fix_year(t.first_ts, t.year_known, ctx.now)
            last = fix_year(t.last_ts, t.year_known, ctx.now)
            g = merged.get(t.text)
            if g is None:
                merged[t.text] = Group(t.text, t.count, first, last, [node], t.example,
                                       f"{node}: {artifact} line {t.first_line}")
                continue
            g.count += t.count
            if node not in g.nodes:
                g.nodes.append(node)
            if first is not None and (g.first is None or first < g.first):
                g.first = first
            if last is not None and (g.last is None or last > g.last):
                g.last = last
    ranked = sorted(merged.values(), key=lambda g: (-g.count, g.template))
    return UnexplainedErrors(ranked[:top], len(merged), total, top)


def sample_notes(ctx: "Context") -> list[str]:
    """Say where a sample limit applied while reading logs (the counts stay exact)."""
    from forewarn.facts import logs

    out = logs.cap_notes(ctx)
    for f in logs.log_facts(ctx):
        u = f.value.unexplained
        if u.other:
            out.append(f"{f.node}: {f.artifact}: {u.other} error-looking lines beyond the first "
                       f"{len(u.templates)} templates were counted, not grouped")
    return out
