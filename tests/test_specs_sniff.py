"""A loose file's head is matched against every spec's sniff patterns in one RE2 pass where RE2
reads them as Python's re does (specs/_sniff.py): the same patterns match, on every real file of
the tests and on the texts where the two would differ."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from forewarn.collect.loose import HEAD
from forewarn.specs import all_specs
from forewarn.specs._sniff import Sniffer

ROOT = Path(__file__).parent
REAL = sorted(p for d in ("evidence", "parsers") for p in (ROOT / d).rglob("*")
              if p.is_file() and p.suffix not in (".json", ".md", ".gz", ".tar", ".zst"))
PATTERNS = [rx for s in all_specs() for rx in s.sniff]
SNIFFER = Sniffer(PATTERNS)


def by_re(sniffer: Sniffer, head: str) -> set[int]:
    return {i for i, rx in enumerate(sniffer.patterns) if rx.search(head)}


def test_most_patterns_are_in_the_set() -> None:
    assert SNIFFER.set is not None and len(SNIFFER.in_set) > 0.9 * len(PATTERNS)


@pytest.mark.parametrize("path", REAL, ids=lambda p: str(p.relative_to(ROOT)))
def test_real_heads_match_the_same_patterns(path: Path) -> None:
    head = path.read_bytes()[:HEAD].decode("utf-8", errors="replace")
    assert SNIFFER.matching(head) == by_re(SNIFFER, head)


@pytest.mark.filterwarnings("ignore:Possible nested set:FutureWarning")
@pytest.mark.parametrize("pattern,text", [
    (r"a\sb", "a\x0bb"),          # Python's \s holds \v, RE2's does not
    (r"a\sb", "a\x1cb"),          # nor \x1c-\x1f
    (r"^\d+ items", "\u0663 items"),  # Python's \d holds every decimal digit
    (r"x{,2}y$", "xxy"),           # a repetition to Python, text to RE2
    (r"[[:alpha:]]+=", "a="),      # a POSIX class to RE2, a set of characters to Python
    (r"^foo(?!bar)", "foobaz"),    # a lookahead: RE2 refuses it
    (r"end\Z", "the end"),
])
def test_where_re2_would_differ_re_answers(pattern: str, text: str) -> None:
    sniffer = Sniffer([re.compile(pattern, re.M)])
    assert sniffer.matching(text) == by_re(sniffer, text)
