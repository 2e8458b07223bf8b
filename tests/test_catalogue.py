"""Meta-tests: the catalogue as code stays honest (STYLE.md 2.5)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from forewarn.rules import RULES
from forewarn.rules._engine import DOC_SECTIONS
from forewarn.why.tuning import CATALOGUE

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE_MD = ROOT.parent / "shared" / "CATALOGUE.md"


def _cases(code):
    path = RULES[code].cases_file
    assert path.exists(), f"{code}: no cases file {path.name} beside the rule"
    return (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("cases") or {}


@pytest.mark.parametrize("code", sorted(RULES))
def test_rule_has_real_fail_and_pass_cases(code):
    cases = _cases(code)
    expects = {c.get("expect") for c in cases.values()}
    assert "fail" in expects, f"{code} has no failing case"
    assert "pass" in expects, f"{code} has no passing case"
    for name, c in cases.items():
        assert c.get("source"), f"{code}/{name}: every case must say where its text came from"


@pytest.mark.parametrize("code", sorted(RULES))
def test_rule_doc_sections(code):
    doc = RULES[code].doc
    for section in DOC_SECTIONS:
        assert doc.get(section), f"{code}: its YAML lacks the '{section}' text (what/why/how)"


@pytest.mark.parametrize("code", sorted(RULES))
def test_rule_file_named_after_code(code):
    r = RULES[code]
    stem = Path(r.module_file).stem
    assert stem.startswith(code.lower() + "_"), f"{stem}: a rule file is named <code>_<slug>.py"


@pytest.mark.parametrize("code", sorted(CATALOGUE))
def test_scan_rules_and_why_agree_on_every_code(code):
    """One source: the title and severity `why` shows are the ones `scan` and `rules` report."""
    from forewarn.catalogue.docs import rules_table

    row = CATALOGUE[code]
    listed = {r["code"]: r for r in rules_table()}[code]
    assert (listed["title"], listed["severity"]) == (row["title"], row["severity"])
    if code in RULES:
        assert (RULES[code].title, RULES[code].severity.label, RULES[code].name) == (
            row["title"], row["severity"], row["name"])
        assert row["kind"] == "detect"
    elif row["by"] == "signature":
        from forewarn.signatures import findings

        spec = next(f for f in findings().values() if f.code == code)
        assert (spec.title, spec.severity, spec.name) == (row["title"], row["severity"], row["name"])
        assert row["kind"] == "detect"
    else:
        assert row["kind"] == "advise", f"{code}: a detect row needs its rule module"


def test_every_yaml_beside_a_module_is_its_rule():
    from forewarn.catalogue import CATALOGUE as META

    for code, meta in META.items():
        if meta.by == "signature":
            continue  # tests/test_signatures.py: a code is a rule's or a signature's, never both
        module = meta.path.with_suffix(".py")
        assert module.exists() == (code in RULES), meta.path.name
        assert meta.path.stem.startswith(code.lower() + "_")
        assert meta.path.stem == f"{code.lower()}_{meta.name.replace('-', '_')}" or module.exists(), meta.path.name


def test_names_unique():
    names = [r.name for r in RULES.values()]
    assert len(names) == len(set(names))


@pytest.mark.skipif(not CATALOGUE_MD.exists(), reason="shared/CATALOGUE.md not beside the repo")
def test_seed_rows_match_catalogue_md():
    """The shared CATALOGUE.md is an input: every seed row's code, kind and severity is here."""
    rows = {}
    for line in CATALOGUE_MD.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^\| ((?:PVE|LVM|NET|LNX|OSK|K8S)\d{3}) \| (detect|advise) \| (\w+) \|", line)
        if m:
            rows[m.group(1)] = (m.group(2), m.group(3))
    assert rows
    missing = sorted(set(rows) - set(CATALOGUE))
    assert not missing, f"no rule YAML for {missing}"
    for code, (kind, sev) in rows.items():
        assert CATALOGUE[code]["kind"] == kind, code
        assert CATALOGUE[code]["severity"] == sev, code


@pytest.mark.parametrize("code", sorted(RULES))
def test_rule_example_is_its_real_failing_case(code):
    """The example `forewarn rules CODE` shows (embedded, so it shows installed from a wheel) is
    an excerpt of the rule's real failing case, line for line, and says what the rule says now.
    Regenerate with `tools/gen_rule_examples.py CODE`."""
    from forewarn.catalogue import CATALOGUE as META
    from gen_rule_examples import _texts, example_for

    example = META[code].example
    assert example, f"{code}: no example (run tools/gen_rule_examples.py {code})"
    case = _cases(code)[example["case"]]
    assert case["expect"] == "fail"
    texts = {f"{n}: {s}" if n != "node" else s: t for (n, s), t in _texts(case).items()}
    for ev in example["evidence"]:
        lines = (texts.get(ev["label"]) or texts[ev["label"].split(": ", 1)[-1]]).splitlines()
        assert [lines[n - 1][:160] for n in ev["lines"]] == ev["text"], ev["label"]
    assert example == example_for(code), f"{code}: the example is stale (tools/gen_rule_examples.py {code})"


def test_catalogue_page_is_current():
    from gen_catalogue_page import PAGE, render

    assert PAGE.read_text(encoding="utf-8") == render(), "docs/catalogue.md is stale: tools/gen_catalogue_page.py"
