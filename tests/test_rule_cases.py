"""Runs every rule's YAML cases (src/forewarn/rules/**/<code>_*.yaml) as pytest cases."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from forewarn.facts.context import Context
from forewarn.model.findings import Status
from forewarn.rules import RULES
from forewarn.rules._engine import run_rule
from rulecases import case_now, case_records

EXPECT = {s.value: s for s in Status}


def _cases():
    for code in sorted(RULES):
        r = RULES[code]
        path = Path(r.cases_file)
        if not path.exists():
            continue
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for name, case in (data.get("cases") or {}).items():
            yield pytest.param(code, name, case, id=f"{code}-{name}")


@pytest.mark.parametrize("code,name,case", list(_cases()))
def test_rule_case(code: str, name: str, case: dict) -> None:
    ctx = Context(case_records(case), now=case_now(case))
    findings = run_rule(RULES[code], ctx)
    statuses = {f.status for f in findings}
    want = EXPECT[case["expect"]]
    internal = [f for f in ctx.internal_findings() if f.code in ("FW901", "FW902")]
    assert not internal, [f.message for f in internal]
    if want is Status.FAIL:
        assert Status.FAIL in statuses, [(f.status.value, f.message) for f in findings]
    else:
        assert statuses == {want}, [(f.status.value, f.message) for f in findings]
    failed = [f for f in findings if f.status is Status.FAIL]
    text = "\n".join(f.message for f in failed)
    for needle in _list(case.get("message_contains")):
        assert needle in text, f"{needle!r} not in:\n{text}"
    for needle in _list(case.get("message_excludes")):
        assert needle not in text, f"{needle!r} unexpectedly in:\n{text}"
    if "count" in case:
        assert len(failed) == case["count"], text
    if "nodes_expected" in case:
        got = sorted({n for f in failed for n in f.nodes})
        assert got == sorted(case["nodes_expected"]), got
    commands = "\n".join(s.command or s.note for f in failed for s in f.fix)
    for needle in _list(case.get("fix_contains")):
        assert needle in commands, f"{needle!r} not in fix:\n{commands}"
    if "severity" in case:
        assert {f.severity.label for f in failed} == {case["severity"]}
    if "when" in case:
        assert {f.when.value for f in failed} == {case["when"]}
    for f in failed:
        assert f.message, f"{code}: a failing finding needs a specific message"
        assert f.evidence, f"{code}: a failing finding must cite evidence"


def _list(value):
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
