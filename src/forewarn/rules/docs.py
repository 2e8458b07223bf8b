"""Rule documentation: the same text for `forewarn rules CODE`, reports and docs.

The example is the rule's first real failing case from its YAML file, so the example shown
is the one under test.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from forewarn.rules._engine import RULES, Rule
from forewarn.rules.cases import case_nodes, evidence_root, text_of


def load_cases(r: Rule) -> dict[str, Any]:
    path = r.cases_file
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return data


def first_case(r: Rule, expect: str) -> tuple[str, dict[str, str]] | None:
    """The rule's first case with this outcome, its evidence as text (files sliced as in the case)."""
    root = evidence_root()
    for name, case in (load_cases(r).get("cases") or {}).items():
        if case.get("expect") != expect:
            continue
        ev: dict[str, str] = {}
        for node, specs in case_nodes(case).items():
            for spec, val in (specs or {}).items():
                label = f"{node}: {spec}" if node != "node" else spec
                for v in (val if isinstance(val, list) else [val]):
                    try:
                        ev[label] = text_of(v, root)[0]
                    except (OSError, ValueError):
                        ev[label] = f"(evidence file not available here: {v.get('file') if isinstance(v, dict) else v})"
        return name, ev
    return None


def catalogue_row(code: str) -> dict[str, Any] | None:
    from forewarn.why.catalogue import CATALOGUE

    return CATALOGUE.get(code)


def rules_table() -> list[dict[str, Any]]:
    from forewarn.why.catalogue import CATALOGUE

    rows = []
    for code in sorted(set(RULES) | set(CATALOGUE)):
        r = RULES.get(code)
        row = CATALOGUE.get(code, {})
        rows.append({
            "code": code,
            "name": r.name if r else row.get("name", ""),
            "title": r.title if r else row.get("title", ""),
            "severity": (r.severity.label if r else row.get("severity", "")),
            "kind": row.get("kind", "detect") if r or row.get("kind") == "advise" else "planned",
            "implemented": r is not None,
        })
    return rows


def rule_doc_json(code: str) -> dict[str, Any]:
    r = RULES.get(code)
    row = catalogue_row(code)
    if r is None and row is None:
        raise KeyError(code)
    if r is None:
        return {"code": code, "implemented": False, **(row or {})}
    fail = first_case(r, "fail")
    ok = first_case(r, "pass")
    return {
        "code": r.code, "name": r.name, "title": r.title, "severity": r.severity.label,
        "family": r.family, "seed": r.seed, "inputs": list(r.inputs), "requires": list(r.requires),
        "doc": r.doc, "implemented": True,
        "example_fail": {"case": fail[0], "evidence": fail[1]} if fail else None,
        "example_pass": {"case": ok[0], "evidence": ok[1]} if ok else None,
        "fix": [("# " + t.text) if t.manual else (t.text + ("   # disruptive" if not t.safe else ""))
                for t in r.fix],
    }


def rule_doc_markdown(code: str) -> str:
    d = rule_doc_json(code)
    if not d.get("implemented"):
        out = [f"# {code} {d.get('title', '')}", "", f"kind: {d.get('kind')}  severity: {d.get('severity')}",
               "", d.get("cause", ""), "", "Fix: " + d.get("fix", "") if isinstance(d.get("fix"), str) else ""]
        return "\n".join(out)
    out = [f"# {d['code']} {d['name']}: {d['title']}", "",
           f"severity: {d['severity']}   family: {d['family']}   source: {d['seed']}",
           f"reads: {', '.join(d['inputs'] + d['requires'])}", ""]
    for section in ("What it does", "Why it matters"):
        if d["doc"].get(section):
            out += [f"## {section}", "", d["doc"][section], ""]
    if d["example_fail"]:
        out += [f"## Example (real failing case `{d['example_fail']['case']}`)", ""]
        for label, text in d["example_fail"]["evidence"].items():
            out += [f"{label}:", "```", text.rstrip()[:3000], "```", ""]
    if d["doc"].get("How to fix"):
        out += ["## How to fix", "", d["doc"]["How to fix"], ""]
    if d["fix"]:
        out += ["Commands (placeholders are filled from the evidence):", ""]
        out += [f"    {f}" for f in d["fix"]]
    return "\n".join(out)
