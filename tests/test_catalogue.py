"""Meta-tests: the catalogue as code stays honest (STYLE.md 2.5)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from forewarn.rules import RULES
from forewarn.rules._engine import DOC_SECTIONS
from forewarn.why.catalogue import CATALOGUE

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
        assert doc.get(section), f"{code}: docstring lacks '{section}:'"


@pytest.mark.parametrize("code", sorted(RULES))
def test_rule_file_named_after_code(code):
    r = RULES[code]
    stem = Path(r.module_file).stem
    assert stem.startswith(code.lower() + "_"), f"{stem}: a rule file is named <code>_<slug>.py"


@pytest.mark.parametrize("code", sorted(RULES))
def test_rule_is_in_catalogue(code):
    if code.startswith("FW"):
        return
    assert code in CATALOGUE, f"{code} is implemented but missing from why/catalogue.yaml"
    assert CATALOGUE[code]["severity"] == RULES[code].severity.label


def test_names_unique():
    names = [r.name for r in RULES.values()]
    assert len(names) == len(set(names))


@pytest.mark.skipif(not CATALOGUE_MD.exists(), reason="shared/CATALOGUE.md not beside the repo")
def test_catalogue_yaml_matches_catalogue_md():
    """Codes, kinds and severities in catalogue.yaml are exactly those of CATALOGUE.md."""
    rows = {}
    for line in CATALOGUE_MD.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^\| ((?:PVE|LVM|NET|LNX|OSK|K8S)\d{3}) \| (detect|advise) \| (\w+) \|", line)
        if m:
            rows[m.group(1)] = (m.group(2), m.group(3))
    assert rows
    missing = sorted(set(rows) - set(CATALOGUE))
    assert not missing, f"catalogue.yaml lacks {missing}"
    for code, (kind, sev) in rows.items():
        assert CATALOGUE[code]["kind"] == kind, code
        assert CATALOGUE[code]["severity"] == sev, code
