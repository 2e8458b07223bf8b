"""Every dev-set case listed in tests/evidence/devset-coverage.yaml stays diagnosed by the codes
listed (tools/gen_devset_coverage.py writes the list; run it again when a rule covers a new case).
Skipped when ../shared/realworld is not beside the repository."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

from gen_devset_coverage import OUT, default_set, diagnosed_by  # noqa: E402

DEV = default_set()
LISTED = yaml.safe_load(OUT.read_text(encoding="utf-8"))


def test_the_list_is_consistent() -> None:
    assert LISTED["covered"] == len(LISTED["cases"]) <= LISTED["unhealthy"]
    for case, codes in LISTED["cases"].items():
        assert codes and set(codes.values()) <= {"rule", "signature"}, case


@pytest.mark.skipif(DEV is None, reason="../shared/realworld not present")
@pytest.mark.parametrize("case", sorted(LISTED["cases"]))
def test_listed_case_still_diagnosed(case: str) -> None:
    want = yaml.safe_load((DEV / "expect.yaml").read_text(encoding="utf-8"))[case]
    got = diagnosed_by(DEV / "cases" / case, want)
    missing = sorted(set(LISTED["cases"][case]) - set(got))
    assert not missing, f"{case}: no longer diagnosed by {missing} (now: {got or 'nothing'})"


@pytest.mark.skipif(DEV is None, reason="../shared/realworld not present")
def test_independence_sees_a_fixture_taken_from_the_case() -> None:
    """tools/devset_independence.py: PCMK104's signature row quotes case 073's pcs output (its
    fixture folder is named after the case), so 073 is not independent; nothing in it names case
    021, so an unrelated case is not matched."""
    from devset_independence import names_of, provenance

    assert DEV is not None
    pcmk104 = provenance("PCMK104")
    assert any(n in pcmk104 for n in names_of("073-corosync-nodeid-changed-by-reload-pcs-error-mapping",
                                               DEV / "cases" / "073-corosync-nodeid-changed-by-reload-pcs-error-mapping"))
    assert not any(n in pcmk104 for n in names_of("021-chronyc-tracking-clock-2h-slow",
                                                   DEV / "cases" / "021-chronyc-tracking-clock-2h-slow"))
