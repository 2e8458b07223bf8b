"""`forewarn why "TEXT"`: find the catalogue row behind an error message or symptom."""

from forewarn.why.search import WhyHit, render_hits, search  # noqa: F401
