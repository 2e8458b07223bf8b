"""BAK102 reads a log of several vzdump jobs job by job: the newest job's verdict, its lines only.

tests/evidence/backup/three-jobs-fail-ok-fail.log holds three real jobs in time order (SOURCE.md):
lines 1-3 a failed job, 4-12 a successful one, 13-27 the newest, failed.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from rulecases import case_now, case_records

import forewarn.rules  # noqa: F401  (registers the rules)
from forewarn.facts.context import Context
from forewarn.model.findings import Status
from forewarn.rules._engine import RULES, run_rule

CASES = yaml.safe_load((Path(__file__).resolve().parents[1] / "src/forewarn/rules/bak/bak102_backup_failed.yaml")
                       .read_text(encoding="utf-8"))["cases"]


def _cited(name: str) -> list[int]:
    case = CASES[name]
    findings = [f for f in run_rule(RULES["BAK102"], Context(case_records(case), now=case_now(case)))
                if f.status is Status.FAIL]
    assert len(findings) == 1, [f.message for f in findings]
    return [n for ref in findings[0].evidence for n in ref.lines]


def test_the_newest_job_of_three_is_cited_alone() -> None:
    cited = _cited("fail-three-jobs-cites-only-the-newest-job")
    assert cited and all(13 <= n <= 27 for n in cited), cited


def test_a_success_before_the_failed_job_is_not_cited() -> None:
    # the slice starts at the file's line 4: the successful job is its lines 1-9, the failed one 10-24
    cited = _cited("fail-three-jobs-newest-failed-after-a-success")
    assert cited and all(10 <= n <= 24 for n in cited), cited
