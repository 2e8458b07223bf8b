"""The fuzz budget can be raised (or cut) for a run by an environment variable, not by editing tests.

Each case runs pytest on one fuzz test in a subprocess with `--hypothesis-show-statistics` and
reads how many test cases Hypothesis generated.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CASES = re.compile(r"(\d+) passing, (\d+) failing, and (\d+) invalid test cases")


def _generated(test: str, **env: str) -> list[int]:
    clean = {k: v for k, v in os.environ.items() if k not in ("FOREWARN_FUZZ_EXAMPLES", "HYPOTHESIS_PROFILE")}
    res = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:warnings",
                          test, "--hypothesis-show-statistics", "--hypothesis-seed=1"],
                         capture_output=True, text=True, timeout=600, cwd=ROOT, env={**clean, **env})
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]
    return [int(m.group(1)) for m in CASES.finditer(res.stdout)]


PARSER_FUZZ = "tests/test_parsers_fuzz.py::test_random_text[pve.pvecm_status]"
LOG_FUZZ = "tests/test_log_engine.py::test_matchers_never_miss_a_line"


@pytest.mark.parametrize("test", [PARSER_FUZZ, LOG_FUZZ])
def test_the_environment_sets_every_fuzz_budget(test: str) -> None:
    assert _generated(test, FOREWARN_FUZZ_EXAMPLES="7") == [7]


def test_a_long_run_raises_the_budget_above_the_everyday_one() -> None:
    everyday = _generated(PARSER_FUZZ)
    assert everyday == [60]
    assert _generated(PARSER_FUZZ, FOREWARN_FUZZ_EXAMPLES="150") == [150]


def test_a_registered_profile_is_selected_by_name() -> None:
    assert _generated(LOG_FUZZ, HYPOTHESIS_PROFILE="quick") == [5]
