"""The catalogue rows `why` searches, and the numbers that tune the search (calibrated: tests/test_why_calibration.py)."""

from __future__ import annotations

from forewarn.catalogue import CATALOGUE as _META

CATALOGUE = {code: m.row() for code, m in _META.items()}

THRESHOLD = 0.3    # below this a row is not a hit
# At or above this the first row is the answer; below it `why` says no known pitfall matches and
# lists the rows only as weak candidates. Calibrated on real error lines (tests/test_why_calibration.py:
# the share of lines whose first row is right, and the lines confidently wrong, which must be none).
CONFIDENT = 0.9
RELATIVE = 0.45    # ... nor below this share of the best row's score
MAX_TEXT = 64_000  # characters of input looked at
FUZZY_ALL = 300    # texts up to this long are fuzzy-matched against every phrase
FUZZY_MAX = 4_000  # longer texts only against rows their words already point at; beyond: no fuzzy

FIELD_WEIGHTS = {"code": 1.0, "symptoms": 1.0, "words": 1.0, "title": 0.9, "name": 0.7,
                 "evidence": 0.3, "cause": 0.4, "advice": 0.3,
                 "also_seen": 0.6}  # lines the problem prints that other problems print too
PHRASE_FIELDS = ("symptoms", "also_seen", "words", "title")
EXACT_MIN = 14  # a symptom at least this long (effective length), found whole in the text, is an answer

