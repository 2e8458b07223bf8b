"""`forewarn why`: rank catalogue rows for a piece of text (an error line, a paste, a symptom).

How a row is ranked (the index is built once, on first use, from catalogue.yaml):

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
"""

from __future__ import annotations

import math
import re
import textwrap
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz

from forewarn.catalogue import CATALOGUE as _META
from forewarn.why.citations import cite, citations

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

# ------------------------------------------------------------------------------ normalising

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RE_CJK_CHAR = re.compile(f"[{_CJK}]")
_RE_SPACE_NEAR_CJK = re.compile(f"(?<=[{_CJK}])\\s+|\\s+(?=[{_CJK}])")
_RE_TOKEN = re.compile(f"(?P<cjk>[{_CJK}]+)|(?P<cyr>[а-яё]+)|(?P<lat>[a-z0-9_]+)")

_RE_CODE = re.compile(r"\b(PVE|LVM|NET|LNX|OSK|K8S)[ -]?(\d{3})\b", re.IGNORECASE)

_LINE_PREFIXES = (
    re.compile(r"^\s*\d+\s*\|\s*"),                                        # "1 | " pasted table rows
    re.compile(r"^<\d{1,3}>"),                                             # syslog priority
    re.compile(r"^\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?\s+(?:\d+\s+)?"),
    re.compile(r"^[A-Z][a-z]{2} +\d{1,2} \d\d:\d\d:\d\d(?:\.\d+)?\s+"),      # syslog time
    re.compile(r"^\[\s*\d+\.\d+\]\s*"),                                    # kernel time
)
_RE_HOST_BEFORE_PROG = re.compile(r"^\S+\s+(?=(?:[\w.@/()-]+\[\d+\]|kernel):)")
_RE_PROG_PID = re.compile(r"^([\w.@/()-]+)\[\d+\]:")
_RE_KLOG = re.compile(r"(?:^|(?<=\s))[IWEF]\d{4} \d\d:\d\d:\d\d\.\d+\s+\d+\s+[\w.-]+:\d+\]\s*")

_SUBS = (
    (re.compile(r"\[req-[0-9a-f-]+[^\]]*\]"), " "),
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"), " "),
    (re.compile(r"\bsha256:[0-9a-f]{12,}\b"), " "),
    (re.compile(r"\b0x[0-9a-f]+\b"), "#"),
    (re.compile(r"\b\d{4}-\d\d-\d\d[t ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:z|[+-]\d\d:?\d\d)?"), "#"),
    (re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}(?:/\d{1,2})?(?::\d{1,5})?\b"), "#"),
    (re.compile(r"\b\d\d:\d\d:\d\d(?:[.,]\d+)?\b"), "#"),
    (re.compile(r"\b(?=[0-9a-f]*\d)[0-9a-f]{8,}\b"), "#"),
)
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u00ab": '"',
                         "\u00bb": '"', "\u2014": "-", "\u2013": "-", "\u3001": ",", "\u3002": ".",
                         "\u300c": '"', "\u300d": '"', "ё": "е", "Ё": "Е"})

_STOP = frozenset("""
a an the and or but if of to in on at by for from with without into onto as is are was were be been
being it its this that these those there here i me my we our you your he she they them their not no
do does did doing done can could should would will shall may might must have has had having how what
why when where which who whom so than then too very just also only any all some such up out over
about after before again once while get got please help want need use using used via vs etc eg ie
when what whats
и в во не на с со по что как для это при из от до за к ко у о об а но или ли же бы то так там тут его
ее их мы вы он она они я ты есть был была было были быть нет да все всё уже еще ещё только чтобы если
""".split())
_CYR_ENDINGS = tuple(sorted("""
ями ами ого его ому ему ыми ими ая яя ое ее ые ие ую юю ых их ой ей ом ем ам ям ах ях ов ев ий ый
а я ы и у ю е о ь й
""".split(), key=len, reverse=True))


def _is_cjk(c: str) -> bool:
    return bool(_RE_CJK_CHAR.match(c))


def clean(text: str) -> str:
    """Lower-cased text with log prefixes, ids, addresses and times removed (digits kept)."""
    text = unicodedata.normalize("NFKC", text[:MAX_TEXT]).translate(_QUOTES)
    lines: list[str] = []
    seen: set[str] = set()
    for raw in text.splitlines():
        line = raw.strip()
        for _ in range(3):
            before = line
            for rx in _LINE_PREFIXES:
                line = rx.sub("", line, count=1)
            line = _RE_HOST_BEFORE_PROG.sub("", line, count=1)
            line = _RE_PROG_PID.sub(r"\1:", line, count=1)
            line = _RE_KLOG.sub("", line)
            if line == before:
                break
        line = line.rstrip(" |").lower().replace("\\", "")
        for rx, repl in _SUBS:
            line = rx.sub(repl, line)
        line = " ".join(line.split())
        if line and line not in seen:
            seen.add(line)
            lines.append(line)
    return "\n".join(lines)


def phrase_form(cleaned: str) -> str:
    """The form phrases are compared in: digits as `#`, single spaces, none next to CJK."""
    s = re.sub(r"\d+", "#", cleaned)
    s = re.sub(r"#(?:[.,]#)+", "#", s)
    s = re.sub(r"[ \t]+", " ", s)
    return _RE_SPACE_NEAR_CJK.sub("", s).strip()


def normalise(text: str) -> str:
    """clean() + phrase_form(): what a phrase or a query is matched as."""
    return phrase_form(clean(text))


def _stem_cyr(w: str) -> str:
    for end in _CYR_ENDINGS:
        if w.endswith(end) and len(w) - len(end) >= 4:
            return w[: -len(end)]
    return w


def tokens(cleaned: str, *, numbers: bool = True) -> set[str]:
    """Word tokens of cleaned text: Latin words and identifier parts, stemmed Cyrillic words,
    CJK bigrams (a lone CJK character stands for itself), and 3-5 digit numbers."""
    out: set[str] = set()
    for m in _RE_TOKEN.finditer(cleaned):
        tok = m.group(0)
        if m.lastgroup == "cjk":
            if len(tok) == 1:
                out.add(tok)
            else:
                out.update(tok[i:i + 2] for i in range(len(tok) - 1))
        elif m.lastgroup == "cyr":
            if len(tok) >= 2 and tok not in _STOP:
                out.add(_stem_cyr(tok))
        else:
            tok = tok.strip("_")
            if not tok:
                continue
            if tok.isdigit():
                if numbers and 3 <= len(tok) <= 5:
                    out.add(tok)
                continue
            forms = {tok}
            parts = [p for p in tok.split("_") if p]
            if len(parts) > 1:
                forms.update(parts)
            for f in list(forms):
                letters = re.sub(r"\d+", "", f)
                if letters != f:
                    forms.add(letters)
            for f in forms:
                if f.isdigit():
                    if numbers and 3 <= len(f) <= 5:
                        out.add(f)
                elif len(f) >= 2 and f not in _STOP:
                    out.add(f)
    return out


def _eff_len(s: str) -> float:
    """Length that counts how much a match says: a CJK character says more than a letter,
    spaces and `#` less."""
    n = 0.0
    for c in s:
        if c == " " or c == "#":
            n += 0.5
        elif _is_cjk(c):
            n += 2.5
        else:
            n += 1.0
    return n


def _strength(eff: float) -> float:
    return eff / (eff + 12.0)


def _wordch(c: str) -> bool:
    return c == "#" or (c.isalnum() and not _is_cjk(c))


def _contains_bounded(hay: str, needle: str) -> bool:
    """`needle` occurs in `hay` and does not start or end inside a word there."""
    start = 0
    check_l = _wordch(needle[0])
    check_r = _wordch(needle[-1])
    while True:
        i = hay.find(needle, start)
        if i < 0:
            return False
        j = i + len(needle)
        if not (check_l and i > 0 and _wordch(hay[i - 1])) and \
                not (check_r and j < len(hay) and _wordch(hay[j])):
            return True
        start = i + 1


# ------------------------------------------------------------------------------ the index

@dataclass(frozen=True, slots=True)
class _Phrase:
    code: str
    text: str
    norm: str
    eff: float
    field: str = ""


@dataclass(slots=True)
class _Index:
    phrases: list[_Phrase] = field(default_factory=list)
    postings: dict[str, dict[str, float]] = field(default_factory=dict)  # token -> code -> field weight
    idf: dict[str, float] = field(default_factory=dict)
    by_prefix: dict[str, list[str]] = field(default_factory=dict)        # first 4 letters -> tokens
    max_idf: float = 1.0


_INDEX: _Index | None = None


def _field_texts(code: str, row: dict[str, Any]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {"code": [code]}
    for f in ("symptoms", "also_seen", "words", "title", "name", "evidence", "cause", "advice"):
        v = row.get(f)
        if not v:
            continue
        vals = [str(x) for x in v] if isinstance(v, list) else [str(v)]
        out[f] = [x.replace("-", " ") for x in vals] if f == "name" else vals
    return out


def _build() -> _Index:
    idx = _Index()
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
                        idx.phrases.append(_Phrase(code, t, norm, _eff_len(norm), fname))
    n = len(CATALOGUE)
    for tok, post in idx.postings.items():
        df = len(post)
        idx.idf[tok] = math.log(1.0 + (n - df + 0.5) / (df + 0.5))
        if len(tok) >= 4 and tok.isalpha() and not _is_cjk(tok[0]):
            idx.by_prefix.setdefault(tok[:4], []).append(tok)
    idx.max_idf = max(idx.idf.values(), default=1.0)
    return idx


def _index() -> _Index:
    """The index, built once per catalogue and kept in the start-up cache (forewarn/cache.py)."""
    global _INDEX
    if _INDEX is None:
        from forewarn.cache import cached, key_of
        from forewarn.catalogue import yaml_files

        def build() -> dict[str, Any]:
            idx = _build()
            return {"phrases": [[p.code, p.text, p.norm, p.eff, p.field] for p in idx.phrases],
                    "postings": idx.postings, "idf": idx.idf, "by_prefix": idx.by_prefix, "max_idf": idx.max_idf}

        doc = cached("why-index", key_of([*yaml_files(), Path(__file__)]), build)
        _INDEX = _Index(phrases=[_Phrase(*p) for p in doc["phrases"]], postings=doc["postings"], idf=doc["idf"],
                        by_prefix=doc["by_prefix"], max_idf=doc["max_idf"])
    return _INDEX


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


def _matches(idx: _Index, t: str) -> list[tuple[str, float]]:
    """Vocabulary tokens a query token stands for: itself, and words sharing a long prefix."""
    out: list[tuple[str, float]] = []
    if t in idx.postings:
        out.append((t, 1.0))
    if len(t) >= 4 and t.isalpha() and not _is_cjk(t[0]):
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


def _token_scores(idx: _Index, qtokens: set[str]) -> tuple[dict[str, float], dict[str, list[tuple[float, str]]]]:
    per_row: dict[str, dict[str, tuple[float, str]]] = {}
    known = 0.0
    for t in qtokens:
        ms = _matches(idx, t)
        if not ms:
            # a word the catalogue does not know still counts against coverage (CJK bigrams
            # across word borders and numbers do not: most of them are not words)
            if len(t) >= 3 and t.isalpha() and not _is_cjk(t[0]):
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


def _phrase_scores(idx: _Index, q: str, candidates: set[str] | None,
                   exact: set[str] | None = None) -> dict[str, list[tuple[float, str]]]:
    """Phrase hits per row; rows whose specific symptom the text contains whole go into `exact`."""
    found: dict[str, list[tuple[float, str]]] = {}
    if not q:
        return found
    q_eff = _eff_len(q)
    fragment_rows: dict[str, float] = {}   # the text is a fragment of a phrase: row -> best strength
    fragment_text: dict[str, str] = {}
    fuzzy_ok = len(q) <= FUZZY_MAX
    for ph in idx.phrases:
        s, fragment = 0.0, False
        if ph.eff >= 5 and len(ph.norm) <= len(q) and _contains_bounded(q, ph.norm):
            s = _strength(ph.eff)
            if exact is not None and ph.field == "symptoms" and ph.eff >= EXACT_MIN:
                exact.add(ph.code)
        elif q_eff >= 6 and len(q) < len(ph.norm) and q in ph.norm:
            s = _strength(q_eff) * (0.7 + 0.3 * len(q) / len(ph.norm))
            fragment = True
        elif fuzzy_ok and min(ph.eff, q_eff) >= 8 and (candidates is None or ph.code in candidates):
            r = fuzz.partial_ratio(ph.norm, q, score_cutoff=80)
            if r:
                s = _strength(min(ph.eff, q_eff)) * ((r - 70.0) / 30.0) ** 2
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
    """Catalogue rows that explain `text`, best first; [] when nothing matches well enough."""
    idx = _index()
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
    for m in _RE_CODE.finditer(text[:MAX_TEXT]):   # a catalogue code named in the text
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


# ------------------------------------------------------------------------------ rendering

def _rule_written(code: str) -> bool:
    return _META[code].path.with_suffix(".py").exists()


def _detect_line(code: str, row: dict[str, Any]) -> str:
    if row.get("kind") != "detect":
        return ("advice only: this does not show in collected evidence, so `forewarn scan` cannot "
                "detect it; it is shown with related findings")
    line = "forewarn can detect this: run `forewarn scan` / `forewarn explain <files>`"
    if row.get("evidence"):
        line += f" with {row['evidence']}"
    if not _rule_written(code):
        line += " (rule not written yet)"
    return line


def _wrap(label: str, text: str, indent: int = 5) -> str:
    text = " ".join(str(text).split())
    return textwrap.fill(text, width=100, initial_indent=" " * indent + label,
                         subsequent_indent=" " * (indent + 2), break_long_words=False,
                         break_on_hyphens=False)


def _short(query: str, n: int = 120) -> str:
    q = " ".join(query.split())
    return q if len(q) <= n else q[: n - 1] + "…"


def _md_code(s: str) -> str:
    ticks = "``" if "`" in s else "`"
    pad = " " if ticks == "``" else ""
    return f"{ticks}{pad}{s}{pad}{ticks}"


def _hit_lines(i: int, h: WhyHit) -> list[str]:
    r = h.row
    out = [f"{i:>2}. {h.code}  {r.get('title', '')}",
           f"     severity {r.get('severity', '?')} · {r.get('kind', '?')} · {r.get('name', '')} · score {h.score:.2f}",
           _wrap("matched: ", h.matched), _wrap("why: ", r.get("cause", "")), _wrap("fix: ", r.get("advice", "")),
           _wrap("", _detect_line(h.code, r))]
    if r.get("seed"):
        out.append(_wrap("source: ", cite(r["seed"])))
    return out + [""]


def render_hits(query: str, hits: list[WhyHit], markdown: bool = False) -> str:
    """The rows that explain the text, best first; when none is confident, say that no known
    pitfall matches and list the best rows apart, as weak candidates."""
    if markdown:
        return _render_markdown(query, hits)
    sure = [h for h in hits if h.confident]
    weak = [h for h in hits if not h.confident]
    if not sure:
        out = [f"forewarn why: no known pitfall matches this text  [{_short(query, 70)}]"]
        if weak:
            out += ["", "Weak candidates (not confident: check each against your evidence before you act):"]
            out += [f"  {h.code}  {h.row.get('title', '')}  (score {h.score:.2f}; matched: {_short(h.matched, 60)})"
                    for h in weak]
        out += ["", "Try the exact error line (log prefixes are fine), or the symptom in a few words; "
                "`forewarn explain FILE` reads a whole log."]
        return "\n".join(out) + "\n"
    what = "1 catalogue row matches" if len(sure) == 1 else f"{len(sure)} catalogue rows match, best first"
    out = [f"forewarn why: {what}  [{_short(query, 70)}]", ""]
    for i, h in enumerate(sure, 1):
        out += _hit_lines(i, h)
    if weak:
        out.append("Weaker candidates (not confident):")
        out += [f"  {h.code}  {h.row.get('title', '')}  (score {h.score:.2f})" for h in weak]
    return "\n".join(out).rstrip() + "\n"


def _render_markdown(query: str, hits: list[WhyHit]) -> str:
    out = ["# forewarn why", "", f"> {_short(query, 300)}", ""]
    sure = [h for h in hits if h.confident]
    if not sure:
        out.append("No known pitfall matches this text.")
        if hits:
            out += ["", "Weak candidates (not confident):", ""]
            out += [f"- {h.code} {h.row.get('title', '')} (score {h.score:.2f})" for h in hits]
        return "\n".join(out) + "\n"
    for i, h in enumerate(sure, 1):
        r = h.row
        out.append(f"## {i}. {h.code} — {r.get('title', '')}")
        out.append("")
        out.append(f"- **severity:** {r.get('severity', '?')} · **kind:** {r.get('kind', '?')} · "
                   f"**name:** `{r.get('name', '')}` · **score:** {h.score:.2f}")
        out.append(f"- **matched:** {_md_code(h.matched)}")
        out.append(f"- **why:** {' '.join(str(r.get('cause', '')).split())}")
        out.append(f"- **fix:** {' '.join(str(r.get('advice', '')).split())}")
        out.append(f"- {_detect_line(h.code, r)}")
        if r.get("seed"):
            out.append(f"- **source:** {cite(r['seed'])}")
        out.append("")
    return "\n".join(out)
