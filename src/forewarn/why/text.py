"""Text as `why` compares it: log prefixes, ids, addresses and times stripped; tokens; phrase form."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from forewarn.model.codes import CODE_IN_TEXT
from forewarn.why.tuning import MAX_TEXT

# ------------------------------------------------------------------------------ normalising

_CJK_RANGES = ((0x3040, 0x30FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF))
_CJK = "".join(f"{chr(a)}-{chr(b)}" for a, b in _CJK_RANGES)
_RE_LAT_TOKEN = re.compile(r"(?P<lat>[a-z0-9_]+)")  # the only tokens of ASCII text


# Python compiles a class of these ranges in ~4 ms, three of them a tenth of `why`'s start-up:
# compiled when a text is not ASCII (most queries are), not at import.
@lru_cache(maxsize=1)
def _re_space_near_cjk() -> re.Pattern[str]:
    return re.compile(f"(?<=[{_CJK}])\\s+|\\s+(?=[{_CJK}])")


@lru_cache(maxsize=1)
def _re_token() -> re.Pattern[str]:
    return re.compile(f"(?P<cjk>[{_CJK}]+)|(?P<cyr>[а-яё]+)|(?P<lat>[a-z0-9_]+)")

RE_CODE = CODE_IN_TEXT

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


def is_cjk(c: str) -> bool:
    """Whether the first character of `c` is a CJK one (kana, CJK ideographs).

    >>> is_cjk("锁"), is_cjk("ロ"), is_cjk("x"), is_cjk("")
    (True, True, False, False)
    """
    return bool(c) and any(a <= ord(c[0]) <= b for a, b in _CJK_RANGES)


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
    return (s if s.isascii() else _re_space_near_cjk().sub("", s)).strip()


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
    for m in (_RE_LAT_TOKEN if cleaned.isascii() else _re_token()).finditer(cleaned):
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


def eff_len(s: str) -> float:
    """Length that counts how much a match says: a CJK character says more than a letter,
    spaces and `#` less."""
    n = 0.0
    for c in s:
        if c == " " or c == "#":
            n += 0.5
        elif is_cjk(c):
            n += 2.5
        else:
            n += 1.0
    return n


def strength(eff: float) -> float:
    return eff / (eff + 12.0)


def _wordch(c: str) -> bool:
    return c == "#" or (c.isalnum() and not is_cjk(c))


def contains_bounded(hay: str, needle: str) -> bool:
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


