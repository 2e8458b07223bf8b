"""`forewarn why` knows when it does not know: calibrated on real error lines.

The set: tests/evidence/why/labelled-lines.yaml (real lines from public incidents, each with the
row that explains it or `none`) and the seeds' quoted lines of tests/test_why.py. Two figures:
the share of lines whose answer is right (the right row, confidently; or, for `none`, no
confident row), and the number of lines with a wrong row given confidently. The second must be 0.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from forewarn.why import search
from test_why import SEED_MESSAGES

LABELLED = Path(__file__).resolve().parent / "evidence" / "why" / "labelled-lines.yaml"


def signature_examples() -> list[tuple[str, str]]:
    """Every real example line of a knowledge-base signature that carries a finding, labelled with
    that finding's code (the line means the problem by itself: `why` must say so)."""
    from forewarn.signatures import load

    return [(ex.line, s.finding.code) for s in load() if s.finding is not None for ex in s.examples]


def labelled() -> list[tuple[str, str]]:
    data = yaml.safe_load(LABELLED.read_text(encoding="utf-8"))["lines"]
    for d in data:
        assert d.get("source"), d
    return ([(d["line"], d["expect"]) for d in data] + [(text, code) for _, _, text, code in SEED_MESSAGES]
            + signature_examples())


def figures() -> tuple[float, list[str], list[str]]:
    right, wrong, missed = 0, [], []
    items = labelled()
    for line, want in items:
        hits = search(line, limit=3)
        sure = hits[0] if hits and hits[0].confident else None
        if (sure is None and want == "none") or (sure is not None and sure.code == want):
            right += 1
        elif sure is not None:
            wrong.append(f"{sure.code} ({sure.score:.2f}) for a `{want}` line: {line[:100]}")
        else:
            missed.append(f"{want}: {line[:100]}")
    return right / len(items), wrong, missed


def test_why_is_right_or_says_it_does_not_know() -> None:
    share, wrong, missed = figures()
    print(f"\nwhy on {len(labelled())} real lines: first row right {share:.0%}; confidently wrong {len(wrong)}")
    assert wrong == [], "confidently wrong:\n" + "\n".join(wrong)
    assert share >= 0.9, "not confident where it should be:\n" + "\n".join(missed)


def test_the_set_has_both_kinds() -> None:
    kinds = {want == "none" for _, want in labelled()}
    assert kinds == {True, False}
    # 25 of the first 35 `none` lines are now covered by signatures' findings and carry their code
    assert sum(1 for _, want in labelled() if want == "none") >= 14
