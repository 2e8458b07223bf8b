"""Ranking catalogue rows for a piece of error text (placeholder ranking; see issue notes)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from forewarn.why.catalogue import CATALOGUE


@dataclass(frozen=True, slots=True)
class WhyHit:
    code: str
    score: float
    row: dict[str, Any]
    matched: str

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "score": round(self.score, 3), "matched": self.matched, **self.row}


def search(text: str, limit: int = 5) -> list[WhyHit]:
    q = text.lower()
    hits = []
    for code, row in CATALOGUE.items():
        for s in row.get("symptoms") or []:
            if str(s).lower() in q:
                hits.append(WhyHit(code, 1.0, row, str(s)))
                break
    return hits[:limit]


def render_hits(query: str, hits: list[WhyHit], markdown: bool = False) -> str:
    if not hits:
        return "No catalogue row matches that text."
    out = []
    for h in hits:
        out.append(f"{h.code} {h.row.get('title', '')}  [{h.row.get('severity', '')}]")
        out.append(f"  matched: {h.matched}")
        out.append(f"  why: {h.row.get('cause', '')}")
        out.append(f"  fix: {h.row.get('fix', '')}")
    return "\n".join(out)
