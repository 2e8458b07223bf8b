"""The index of every row's phrases and tokens, built once and kept in the start-up cache."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from forewarn.why.text import clean, eff_len, is_cjk, phrase_form, tokens
from forewarn.why.tuning import CATALOGUE, FIELD_WEIGHTS, PHRASE_FIELDS

# ------------------------------------------------------------------------------ the index

@dataclass(frozen=True, slots=True)
class _Phrase:
    code: str
    text: str
    norm: str
    eff: float
    field: str = ""


@dataclass(slots=True)
class Index:
    phrases: list[_Phrase] = field(default_factory=list)
    postings: dict[str, dict[str, float]] = field(default_factory=dict)  # token -> code -> field weight
    idf: dict[str, float] = field(default_factory=dict)
    by_prefix: dict[str, list[str]] = field(default_factory=dict)        # first 4 letters -> tokens
    max_idf: float = 1.0


_INDEX: Index | None = None


def _field_texts(code: str, row: dict[str, Any]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {"code": [code]}
    for f in ("symptoms", "also_seen", "words", "title", "name", "evidence", "cause", "advice"):
        v = row.get(f)
        if not v:
            continue
        vals = [str(x) for x in v] if isinstance(v, list) else [str(v)]
        out[f] = [x.replace("-", " ") for x in vals] if f == "name" else vals
    return out


def _build() -> Index:
    idx = Index()
    seen_phrases: set[tuple[str, str]] = set()
    for code, row in CATALOGUE.items():
        for fname, texts in _field_texts(code, row).items():
            w = FIELD_WEIGHTS[fname]
            for t in texts:
                c = clean(t)
                for tok in tokens(c, numbers=(fname == "words")):
                    post = idx.postings.setdefault(tok, {})
                    if post.get(code, 0.0) < w:
                        post[code] = w
                if fname in PHRASE_FIELDS:
                    norm = phrase_form(c)
                    if norm and (code, norm) not in seen_phrases:
                        seen_phrases.add((code, norm))
                        idx.phrases.append(_Phrase(code, t, norm, eff_len(norm), fname))
    n = len(CATALOGUE)
    for tok, post in idx.postings.items():
        df = len(post)
        idx.idf[tok] = math.log(1.0 + (n - df + 0.5) / (df + 0.5))
        if len(tok) >= 4 and tok.isalpha() and not is_cjk(tok[0]):
            idx.by_prefix.setdefault(tok[:4], []).append(tok)
    idx.max_idf = max(idx.idf.values(), default=1.0)
    return idx


def get_index() -> Index:
    """The index, built once per catalogue and kept in the start-up cache (forewarn/cache.py)."""
    global _INDEX
    if _INDEX is None:
        from forewarn.cache import cached, key_of
        from forewarn.catalogue import source_files

        def build() -> dict[str, Any]:
            idx = _build()
            return {"phrases": [[p.code, p.text, p.norm, p.eff, p.field] for p in idx.phrases],
                    "postings": idx.postings, "idf": idx.idf, "by_prefix": idx.by_prefix, "max_idf": idx.max_idf}

        from forewarn.why import text

        # the index depends on the rows, on how they are indexed (here) and normalised (text.py)
        doc = cached("why-index", key_of([*source_files(), Path(__file__), Path(text.__file__)]), build)
        _INDEX = Index(phrases=[_Phrase(*p) for p in doc["phrases"]], postings=doc["postings"], idf=doc["idf"],
                        by_prefix=doc["by_prefix"], max_idf=doc["max_idf"])
    return _INDEX


