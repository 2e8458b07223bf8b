"""Rule documentation: the same text for `forewarn rules CODE`, reports and docs/catalogue.md.

Everything comes from the rule's YAML (forewarn.catalogue), the example included: it is a short
excerpt of the rule's first real failing case, embedded by tools/gen_rule_examples.py and checked
against that case by the tests, so it shows wherever forewarn is installed.
"""

from __future__ import annotations

from typing import Any

from forewarn.catalogue import CATALOGUE
from forewarn.catalogue.citations import cite, citations


def catalogue_row(code: str) -> dict[str, Any] | None:
    meta = CATALOGUE.get(code)
    return meta.row() if meta else None


def rules_table() -> list[dict[str, Any]]:
    """Every catalogue row; read from the YAML alone (the rule modules are not imported)."""
    rows = []
    for code, meta in sorted(CATALOGUE.items()):
        written = meta.by == "signature" or meta.path.with_suffix(".py").exists()
        rows.append({"code": code, "name": meta.name, "title": meta.title, "severity": meta.severity.label,
                     "kind": meta.kind if written or meta.kind == "advise" else "planned",
                     "by": meta.by if meta.kind == "detect" else "", "implemented": written})
    return rows


def rules_table_text(rows: list[dict[str, Any]], *, markdown: bool = False) -> str:
    """The list as aligned columns with a header (a Markdown table with `markdown`)."""
    head = ("CODE", "SEVERITY", "KIND", "BY", "NAME", "TITLE")
    cells = [(r["code"], r["severity"], r["kind"], r["by"] or "-", r["name"], r["title"]) for r in rows]
    note = ("SEVERITY is the rule's default: a finding may be raised or lowered by what the evidence "
            "shows, and then says why. KIND: detect (read from evidence), advise (found by `forewarn why`). "
            "BY: rule (a Python rule), signature (a knowledge-base signature whose line means this by itself).")
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in cells]
        return "\n".join(lines + ["", note])
    widths = [max(len(h), *(len(row[i]) for row in cells)) for i, h in enumerate(head[:-1])]
    lines = ["  ".join(f"{v:<{w}}" for v, w in zip(row[:-1], widths)) + "  " + row[-1] for row in [head, *cells]]
    return "\n".join(lines + ["", note])


def rule_doc_json(code: str) -> dict[str, Any]:
    from forewarn.rules._engine import RULES

    meta = CATALOGUE.get(code)
    if meta is None:
        raise KeyError(code)
    r = RULES.get(code)
    by_signature = meta.by == "signature"
    doc: dict[str, Any] = {
        "code": code, "name": meta.name, "title": meta.title, "severity": meta.severity.label,
        "kind": meta.kind, "family": meta.family, "seed": meta.seed,
        "citations": [c.to_json() for c in citations(meta.seed)], "implemented": r is not None or by_signature,
        "doc": {"What it does": meta.what, "Why it matters": meta.why, "How to fix": meta.how},
        "cause": meta.cause, "advice": meta.advice, "evidence": meta.evidence,
        "example": None if by_signature else (meta.example or None), "by": meta.by,
    }
    if by_signature:
        from forewarn.catalogue.signature_rows import rule_doc

        doc.update(rule_doc(meta))
    elif r is not None:
        doc.update(inputs=list(r.inputs), requires=list(r.requires), reads=list(r.reads),
                   fix=[("# " + t.text) if t.manual else (t.text + ("   # disruptive" if not t.safe else ""))
                        for t in r.fix])
    return doc


def _example_markdown(example: dict[str, Any]) -> list[str]:
    out = [f"## Example (real failing case `{example.get('case')}`)", ""]
    if example.get("message"):
        out += [f"forewarn says: {example['message']}", ""]
    for ev in example.get("evidence") or []:
        nums = ev.get("lines") or []
        width = len(str(max(nums))) if nums else 0
        rows, prev = [], None
        for n, line in zip(nums, ev.get("text") or []):
            if prev is not None and n != prev + 1:
                rows.append(" " * width + " │ …")
            rows.append(f"{n:>{width}} │ {line}")
            prev = n
        out += [f"{ev.get('label')}:", "```", *rows, "```", ""]
    return out


def rule_doc_markdown(code: str) -> str:
    d = rule_doc_json(code)
    if d["by"] == "signature":
        from forewarn.catalogue.signature_rows import doc_markdown

        return doc_markdown(d)
    if not d["implemented"]:
        out = [f"# {code} {d['name']}: {d['title']}", "",
               f"kind: {d['kind']}   severity: {d['severity']}", "", f"source: {cite(d['seed'])}", ""]
        out += ["## Why it happens", "", d["cause"], "", "## What to do", "", d["advice"], ""]
        return "\n".join(out)
    out = [f"# {d['code']} {d['name']}: {d['title']}", "",
           f"severity: {d['severity']} (the default: a finding may be raised or lowered by what the evidence "
           f"shows, and then says why)   family: {d['family']}   reads: {', '.join(d['inputs'] + d['requires'] + d.get('reads', []))}",
           "", f"source: {cite(d['seed'])}", ""]
    for section in ("What it does", "Why it matters"):
        if d["doc"].get(section):
            out += [f"## {section}", "", d["doc"][section], ""]
    if d["example"]:
        out += _example_markdown(d["example"])
    if d["doc"].get("How to fix"):
        out += ["## How to fix", "", d["doc"]["How to fix"], ""]
    if d["fix"]:
        out += ["Commands (placeholders are filled from the evidence):", ""]
        out += [f"    {f}" for f in d["fix"]]
    return "\n".join(out)
