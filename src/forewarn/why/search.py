"""`forewarn why`: rank catalogue rows for a piece of text (an error line, a paste, a symptom).

How a row is ranked (the index, why/index.py, is built from the rules' YAML once and cached):

1. The text is normalised: log prefixes are stripped (syslog/journal time and host,
   `prog[pid]:`, klog `E1224 11:13:31.677889    3680 dns.go:135]`, kernel `[  12.3]`, oslo
   `[req-...]`, `1 | ` table rows), then hex ids, UUIDs, IPv4 addresses and times; NFKC,
   lower case, backslash escapes dropped, digits become `#`.
2. Phrase score: the row's quoted messages, symptom words and title. A phrase found in the
   text (a whole log line around the message) or the text found in a phrase (a partial
   paste) scores by the length of what matched; near misses go through rapidfuzz's
   `partial_ratio`. A fragment that many rows share is worth less.
3. Token score: words (Cyrillic crudely stemmed; a shared prefix matches inflections, at a
   discount) and CJK character bigrams (CJK has no spaces), idf-weighted over the catalogue
   rows (BM25-like) and by field (messages and symptom words over title, cause and fix).
   It saturates with the matched weight and is scaled by how much of the text's known
   vocabulary the row explains.
4. A catalogue code named in the text (`PVE104`, `k8s-103`) counts as a strong phrase match.
5. score = 1 - (1 - phrase) * (1 - token). Rows under THRESHOLD, or under RELATIVE times the
   best row, are dropped: unrelated text gives no hits rather than noise.

Before all this, the text's lines are matched against the knowledge base's signatures, as
`scan` reads a log (why/signature_first.py): a line that a signature carrying a finding names
answers with that finding's code, confidently, first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz

from forewarn.catalogue.citations import citations
from forewarn.why.index import Index, get_index
from forewarn.why.text import (
    RE_CODE,
    clean,
    contains_bounded,
    eff_len,
    is_cjk,
    phrase_form,
    strength,
    tokens,
)
from forewarn.why.tuning import (
    CATALOGUE,
    CONFIDENT,
    EXACT_MIN,
    FUZZY_ALL,
    FUZZY_MAX,
    MAX_TEXT,
    RELATIVE,
    THRESHOLD,
)

# ------------------------------------------------------------------------------ scoring

@dataclass(frozen=True, slots=True)
class WhyHit:
    code: str
    score: float
    row: dict[str, Any]
    matched: str
    exact: bool = False  # the text holds one of the row's specific symptoms whole

    @property
    def confident(self) -> bool:
        return self.exact or self.score >= CONFIDENT

    def to_json(self) -> dict[str, Any]:
        row = {k: v for k, v in self.row.items() if k != "advice"}
        cites = [c.to_json() for c in citations(self.row["seed"])] if self.row.get("seed") else []
        # `fix` is the name the why JSON has always used for the advice
        return {"code": self.code, "score": round(self.score, 3), "confident": self.confident,
                "matched": self.matched, **row, "fix": self.row.get("advice", ""),
                "citations": cites}


def _matches(idx: Index, t: str) -> list[tuple[str, float]]:
    """Vocabulary tokens a query token stands for: itself, and words sharing a long prefix."""
    out: list[tuple[str, float]] = []
    if t in idx.postings:
        out.append((t, 1.0))
    if len(t) >= 4 and t.isalpha() and not is_cjk(t[0]):
        for v in idx.by_prefix.get(t[:4], ()):
            if v == t:
                continue
            cp = len(_common_prefix(t, v))
            if cp >= min(len(t), len(v)) - 2:
                out.append((v, 0.6 * cp / max(len(t), len(v))))
    return out


def _common_prefix(a: str, b: str) -> str:
    i = 0
    for x, y in zip(a, b):
        if x != y:
            break
        i += 1
    return a[:i]


def _token_scores(idx: Index, qtokens: set[str]) -> tuple[dict[str, float], dict[str, list[tuple[float, str]]]]:
    per_row: dict[str, dict[str, tuple[float, str]]] = {}
    known = 0.0
    for t in qtokens:
        ms = _matches(idx, t)
        if not ms:
            # a word the catalogue does not know still counts against coverage (CJK bigrams
            # across word borders and numbers do not: most of them are not words)
            if len(t) >= 3 and t.isalpha() and not is_cjk(t[0]):
                known += 0.5 * idx.max_idf
            continue
        known += max(idx.idf[v] * qm for v, qm in ms)
        for v, qm in ms:
            base = idx.idf[v] * qm
            for code, w in idx.postings[v].items():
                c = base * w
                slot = per_row.setdefault(code, {})
                if c > slot.get(t, (0.0, ""))[0]:
                    slot[t] = (c, v)
    scores: dict[str, float] = {}
    words: dict[str, list[tuple[float, str]]] = {}
    for code, slot in per_row.items():
        m = sum(c for c, _ in slot.values())
        cov = m / known if known else 0.0
        scores[code] = (m / (m + 6.0)) * (0.35 + 0.65 * min(1.0, cov))
        words[code] = sorted(slot.values(), reverse=True)
    return scores, words


def _phrase_scores(idx: Index, q: str, candidates: set[str] | None,
                   exact: set[str] | None = None) -> dict[str, list[tuple[float, str]]]:
    """Phrase hits per row; rows whose specific symptom the text contains whole go into `exact`."""
    found: dict[str, list[tuple[float, str]]] = {}
    if not q:
        return found
    q_eff = eff_len(q)
    fragment_rows: dict[str, float] = {}   # the text is a fragment of a phrase: row -> best strength
    fragment_text: dict[str, str] = {}
    fuzzy_ok = len(q) <= FUZZY_MAX
    for ph in idx.phrases:
        s, fragment = 0.0, False
        if ph.eff >= 5 and len(ph.norm) <= len(q) and contains_bounded(q, ph.norm):
            s = strength(ph.eff)
            if exact is not None and ph.field == "symptoms" and ph.eff >= EXACT_MIN:
                exact.add(ph.code)
        elif q_eff >= 6 and len(q) < len(ph.norm) and q in ph.norm:
            s = strength(q_eff) * (0.7 + 0.3 * len(q) / len(ph.norm))
            fragment = True
        elif fuzzy_ok and min(ph.eff, q_eff) >= 8 and (candidates is None or ph.code in candidates):
            r = fuzz.partial_ratio(ph.norm, q, score_cutoff=80)
            if r:
                s = strength(min(ph.eff, q_eff)) * ((r - 70.0) / 30.0) ** 2
                fragment = len(ph.norm) > len(q)   # the text (with typos) is a piece of the phrase
        if not s:
            continue
        if fragment:
            if s > fragment_rows.get(ph.code, 0.0):
                fragment_rows[ph.code] = s
                fragment_text[ph.code] = ph.text
        else:
            found.setdefault(ph.code, []).append((s, ph.text))
    if fragment_rows:
        # a fragment many rows share says little: discount by how many rows contain it
        k = len(fragment_rows)
        spec = 1.0 / (1.0 + 0.5 * (k - 1))
        for code, s in fragment_rows.items():
            found.setdefault(code, []).append((s * spec, fragment_text[code]))
    return found


def search(text: str, limit: int = 5) -> list[WhyHit]:
    """Catalogue rows that explain `text`, best first; [] when nothing matches well enough.
    The codes that signatures name for its lines come first (as `scan` would report them)."""
    from forewarn.why.signature_first import signature_hits

    first = [WhyHit(code, 1.0, CATALOGUE[code], line, True) for code, line in signature_hits(text)
             if code in CATALOGUE]
    if not first:
        return _search(text, limit)
    named = {h.code for h in first}
    return (first + [h for h in _search(text, limit) if h.code not in named])[:max(0, limit)]


def _search(text: str, limit: int) -> list[WhyHit]:
    idx = get_index()
    c = clean(text)
    q = phrase_form(c)
    if not q:
        return []
    tok_scores, tok_words = _token_scores(idx, tokens(c))
    if len(q) <= FUZZY_ALL:
        candidates = None
    else:
        candidates = set(sorted(tok_scores, key=tok_scores.__getitem__, reverse=True)[:15])
    exact: set[str] = set()
    phr = _phrase_scores(idx, q, candidates, exact)
    for m in RE_CODE.finditer(text[:MAX_TEXT]):   # a catalogue code named in the text
        code = (m.group(1) + m.group(2)).upper()
        if code in CATALOGUE:
            phr.setdefault(code, []).append((0.9, code))

    results: list[tuple[float, str, str]] = []
    for code in set(tok_scores) | set(phr):
        ps = sorted(phr.get(code, ()), reverse=True)
        p = 0.0
        if ps:  # the best phrase, and a little for every further one (a log paste with many)
            rest = 1.0
            for s, _ in ps[1:]:
                rest *= 1.0 - 0.3 * s
            p = 1.0 - (1.0 - ps[0][0]) * rest
        t = tok_scores.get(code, 0.0)
        score = 1.0 - (1.0 - p) * (1.0 - t)
        if ps and ps[0][0] >= 0.5 * t:
            matched = ps[0][1]
        else:
            matched = "words: " + ", ".join(dict.fromkeys(v for _, v in tok_words.get(code, [])[:6]))
        results.append((score, code, matched))
    if not results:
        return []
    results.sort(key=lambda r: (-r[0], r[1]))
    top = results[0][0]
    cut = max(THRESHOLD, RELATIVE * top)
    return [WhyHit(code, score, CATALOGUE[code], matched, code in exact)
            for score, code, matched in results[:max(0, limit)] if score >= cut]


