"""`forewarn why "TEXT"`: find the catalogue row behind an error message or symptom."""

from forewarn.why.render import render_hits
from forewarn.why.search import WhyHit, search

__all__ = ["WhyHit", "render_hits", "search"]
