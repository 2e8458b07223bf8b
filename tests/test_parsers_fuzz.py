"""No exception escapes any parser: random text, random bytes, truncated and mutated real text."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fuzzing import examples

from forewarn.model.problems import Parsed
from forewarn.parse import all_parsers

PARSERS = all_parsers()

EVIDENCE = Path(__file__).parent / "evidence"
PARSER_DIRS = Path(__file__).parent / "parsers"


def _real_texts() -> list[str]:
    texts = []
    for p in sorted(list(EVIDENCE.rglob("*")) + list(PARSER_DIRS.rglob("*.txt"))):
        if p.is_file() and p.suffix in (".txt", ".log", ".cfg", ".conf", ".json", "") and p.stat().st_size < 200_000:
            texts.append(p.read_text(encoding="utf-8", errors="replace"))
    return texts


REAL = _real_texts()
SPECS = sorted({p for p in PARSERS})


def _call(spec: str, text: str) -> None:
    p = PARSERS[spec]
    out = p(text.splitlines() if p.stream else text)
    assert isinstance(out, Parsed)
    for prob in out.problems:
        str(prob)


@pytest.mark.parametrize("spec", SPECS)
@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(max_size=2000))
def test_random_text(spec: str, text: str) -> None:
    _call(spec, text)


@pytest.mark.parametrize("spec", SPECS)
@settings(max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=2000))
def test_random_bytes(spec: str, data: bytes) -> None:
    _call(spec, data.decode("utf-8", errors="replace"))


@pytest.mark.parametrize("spec", SPECS)
@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(idx=st.integers(min_value=0), cut=st.floats(min_value=0, max_value=1),
       pos=st.floats(min_value=0, max_value=1), junk=st.text(max_size=40))
def test_truncated_and_mutated_real_text(spec: str, idx: int, cut: float, pos: float, junk: str) -> None:
    if not REAL:
        pytest.skip("no real evidence")
    text = REAL[idx % len(REAL)]
    truncated = text[: int(len(text) * cut)]
    _call(spec, truncated)
    at = int(len(text) * pos)
    _call(spec, text[:at] + junk + text[at:])
    lines = text.splitlines()
    if lines:
        _call(spec, "\n".join(lines[: int(len(lines) * pos)] + lines[int(len(lines) * pos) + 1:]))
