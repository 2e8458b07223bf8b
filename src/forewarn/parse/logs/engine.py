"""The fast log engine: find the few lines of a big log that a signature can match, in one pass.

A log on a struggling node can be gigabytes, and almost none of its lines matter. Calling Python
once per line caps a scan near 400 MB/s before any matching is done, so this engine never does:
it reads the log 1 MiB at a time, hands each read (cut at its first and last line break, with
no copy) to a multi-pattern matcher that runs in C, counts line breaks with bytes.count, and gives
Python only the lines a pattern matched. The parsers (parse/logs/syslog.py) run their exact
per-line code on those lines. Memory stays bounded: two reads are held at a time.

**The patterns are built from the signature table** (parse/logs/signatures.py) when first needed,
never from a copy kept by hand. Each signature's Python regex is translated into a byte-level
pattern that matches *at least* every line the Python regex can match in any part of that line
(see `translate`): anchors and look-arounds are dropped, every class that can match a non-ASCII
character also accepts any run of non-ASCII bytes, and nothing matches a line break. So the
matcher may offer a line that turns out not to match (the parser rechecks it with the real
regex), but it never misses one. A regex that cannot be translated, or that a matcher rejects,
falls back to its signature's literal, which every matching line contains by definition, so it
is still exact. Comment lines (`#`, `//`: the parsers count them) and JSON journal lines (their
message is JSON-escaped, so a regex on the raw line is not enough) are offered as well.

Matchers, fastest first; each finds the same lines (tests/test_log_engine.py):

- Hyperscan (PyPI `hyperscan`, x86-64 only), block mode only (a block-mode and a stream-mode
  database in one process crashed hyperscan-python 0.9.1). Compiling takes ~0.15 s, so the
  database is kept in the user's cache directory; a loaded one gets its scratch space before
  any scan, and a forked worker allocates its own.
- RE2 sets (PyPI `google-re2`) over 64 KiB slices; a slice that matches is rechecked line by line.
- Pure Python: `bytes.find` for every literal, then the translated pattern on that line.

Line numbers are exact: line breaks are counted as Python's text reader counts them (`\\n`,
`\\r\\n` and a lone `\\r` each end a line), so a line number here is the one
`EvidenceRecord.lines()` gives. A plain file bigger than `SPLIT_BYTES` is scanned as two halves
split at a line end, the second half in a forked process, to use both cores (a compressed log
is one stream: one process).

Environment: FOREWARN_MATCHER=hyperscan|re2|python picks a matcher, FOREWARN_JOBS=1 keeps to
one process, FOREWARN_CACHE=DIR (or "off") moves the compiled-matcher cache.
"""

from __future__ import annotations

import hashlib
import os
import re
import re._constants as _c  # the parsed form of Python regexes; stable since 3.11
import re._parser as _p
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

BLOCK_BYTES = 1 << 20  # one read; a block is cut after its last line break
MAX_LINE_BYTES = 8 << 20  # a "line" longer than this is matched in pieces (no bounded-memory way around it)
SLICE_BYTES = 64 << 10  # RE2 sets are run over slices this big
SPLIT_BYTES = 64 << 20  # a real file bigger than this is scanned by two processes

# -- translation -------------------------------------------------------------------------------


class Untranslatable(ValueError):
    """The regex uses something the byte-level translation does not handle."""


_NONASCII = r"[\x80-\xff]+"
_EOL = (10, 13)  # no line break byte can be part of a line


def _byte_class(members: Iterable[int], nonascii: bool) -> str:
    """A byte class for ASCII `members` (line breaks removed), plus any non-ASCII run if asked."""
    ms = sorted(set(members) - set(_EOL))
    if not ms and not nonascii:
        raise Untranslatable("a class that matches nothing inside a line")
    parts = []
    i = 0
    while i < len(ms):
        j = i
        while j + 1 < len(ms) and ms[j + 1] == ms[j] + 1:
            j += 1
        parts.append(f"\\x{ms[i]:02x}" if i == j else f"\\x{ms[i]:02x}-\\x{ms[j]:02x}")
        i = j + 1
    cls = f"[{''.join(parts)}]" if parts else ""
    if not nonascii:
        return cls
    return f"(?:{cls}|{_NONASCII})" if cls else _NONASCII


_CATEGORY_SRC = {
    _c.CATEGORY_DIGIT: r"\d", _c.CATEGORY_NOT_DIGIT: r"\D", _c.CATEGORY_SPACE: r"\s",
    _c.CATEGORY_NOT_SPACE: r"\S", _c.CATEGORY_WORD: r"\w", _c.CATEGORY_NOT_WORD: r"\W",
}


def _class_of(items: list[tuple[Any, Any]], flags: int) -> str:
    """Python's `[...]` as a byte pattern: its ASCII members exactly (asked of Python itself),
    and any run of non-ASCII bytes if the class could match a non-ASCII character."""
    src = []
    nonascii = bool(flags & re.IGNORECASE)  # 'k' also matches KELVIN SIGN, 's' LONG S
    for op, av in items:
        if op is _c.NEGATE:
            src.append("^")
            nonascii = True
        elif op is _c.LITERAL:
            src.append(re.escape(chr(av)))
            nonascii |= av >= 128
        elif op is _c.RANGE:
            src.append(f"{re.escape(chr(av[0]))}-{re.escape(chr(av[1]))}")
            nonascii |= av[1] >= 128
        elif op is _c.CATEGORY and av in _CATEGORY_SRC:
            src.append(_CATEGORY_SRC[av])
            nonascii = True
        else:
            raise Untranslatable(f"class item {op}")
    probe = re.compile(f"[{''.join(src)}]", flags & (re.IGNORECASE | re.ASCII))
    return _byte_class((b for b in range(128) if probe.fullmatch(chr(b))), nonascii)


def _literal(ch: int, flags: int) -> str:
    if ch in _EOL:
        raise Untranslatable("a line break inside the pattern")
    if ch >= 128:
        return _NONASCII
    if flags & re.IGNORECASE and chr(ch).isalpha():
        return _byte_class({ord(chr(ch).lower()), ord(chr(ch).upper())}, True)
    return chr(ch) if chr(ch).isalnum() or ch == 32 else f"\\x{ch:02x}"


def _seq(items: Iterable[tuple[Any, Any]], flags: int) -> list[tuple[str, int]]:
    """Translate a parsed sequence into (byte pattern, minimum width) pieces."""
    out: list[tuple[str, int]] = []
    for op, av in items:
        if op is _c.LITERAL:
            out.append((_literal(av, flags), 1))
        elif op is _c.NOT_LITERAL:
            out.append((_class_of([(_c.NEGATE, None), (_c.LITERAL, av)], flags), 1))
        elif op is _c.ANY:
            out.append((_byte_class((b for b in range(128)), True), 1))
        elif op is _c.IN:
            out.append((_class_of(av, flags), 1))
        elif op in (_c.AT, _c.ASSERT, _c.ASSERT_NOT):
            continue  # dropping a condition only lets more lines through
        elif op is _c.SUBPATTERN:
            _group, add, rem, sub = av
            pat, width = _join(_seq(sub, (flags | add) & ~rem))
            out.append((f"(?:{pat})" if pat else "", width))
        elif op is _c.ATOMIC_GROUP:
            pat, width = _join(_seq(av, flags))
            out.append((f"(?:{pat})", width))
        elif op is _c.BRANCH:
            alts = [_join(_seq(alt, flags)) for alt in av[1]]
            out.append(("(?:" + "|".join(p for p, _ in alts) + ")", min(w for _, w in alts)))
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT, getattr(_c, "POSSESSIVE_REPEAT", _c.MAX_REPEAT)):
            lo, hi, sub = av
            pat, width = _join(_seq(sub, flags))
            if not pat:
                continue
            if lo == hi == 1:
                out.append((f"(?:{pat})", width))
                continue
            if hi == _c.MAXREPEAT:
                q = "*" if lo == 0 else "+" if lo == 1 else f"{{{lo},}}"
            else:
                q = "?" if (lo, hi) == (0, 1) else f"{{{lo}}}" if lo == hi else f"{{{lo},{hi}}}"
            out.append((f"(?:{pat}){q}", lo * width))
        elif op is _c.GROUPREF:
            out.append((_byte_class(range(128), True) + "*", 0))  # the same text again: anything
        elif op is _c.GROUPREF_EXISTS:
            _group, yes, no = av
            alts = [_join(_seq(yes, flags))] + ([_join(_seq(no, flags))] if no else [("", 0)])
            out.append(("(?:" + "|".join(p for p, _ in alts) + ")", min(w for _, w in alts)))
        else:
            raise Untranslatable(f"regex construct {op}")
    return out


_REPEATS = (_c.MAX_REPEAT, _c.MIN_REPEAT, getattr(_c, "POSSESSIVE_REPEAT", _c.MAX_REPEAT))


def _width(items: Iterable[tuple[Any, Any]]) -> int:
    """The fewest characters a parsed sequence can match."""
    total = 0
    for op, av in items:
        if op in (_c.LITERAL, _c.NOT_LITERAL, _c.ANY, _c.IN):
            total += 1
        elif op is _c.SUBPATTERN:
            total += _width(av[3])
        elif op is _c.ATOMIC_GROUP:
            total += _width(av)
        elif op is _c.BRANCH:
            total += min(_width(alt) for alt in av[1])
        elif op in _REPEATS:
            total += av[0] * _width(av[2])
        elif op is _c.GROUPREF_EXISTS:
            total += min(_width(av[1]), _width(av[2]) if av[2] else 0)
    return total


def _trim(items: list[tuple[Any, Any]], end: bool) -> list[tuple[Any, Any]]:
    """Whether a pattern matches *somewhere* does not change when the pieces at an edge that
    can match nothing are dropped, and a repeat at an edge is cut to its fewest copies (what
    the longer match contains, the shorter one does too). Fewer end positions, fewer reports."""
    items = list(items)
    while items and _width([items[-1 if end else 0]]) == 0:
        items.pop(-1 if end else 0)
    if not items:
        return items
    i = -1 if end else 0
    op, av = items[i]
    if op in _REPEATS:
        lo, _hi, sub = av
        items[i] = (_c.MAX_REPEAT, (lo, lo, _trim(list(sub), end)))
    elif op is _c.SUBPATTERN:
        items[i] = (op, (av[0], av[1], av[2], _trim(list(av[3]), end)))
    elif op is _c.BRANCH:
        items[i] = (op, (av[0], [_trim(list(alt), end) for alt in av[1]]))
    return items


def _join(pieces: list[tuple[str, int]]) -> tuple[str, int]:
    return "".join(p for p, _ in pieces), sum(w for _, w in pieces)


def translate(pattern: str, flags: int = 0) -> str:
    r"""A byte-level pattern (Hyperscan and RE2 syntax, no anchors, ASCII only) that matches
    somewhere in a line's UTF-8 bytes whenever `pattern` matches somewhere in the line's text.

    The edges are trimmed (see `_trim`): whether a line matches does not change, and a
    matcher does not report every end position of `.*` at the end of a long line.

    >>> print(translate(r"^-- Reboot --$"))
    \x2d\x2d Reboot \x2d\x2d
    >>> print(translate(r"host (?P<id>\d+) is down"))
    host (?:(?:(?:[\x30-\x39]|[\x80-\xff]+))+) is down
    >>> print(translate(r"lost lock '(?P<lock>[^' ]+)'?(?: - (?P<err>.*?))?\s*$"))
    lost lock \x27(?:(?:(?:[\x00-\x09\x0b-\x0c\x0e-\x1f\x21-\x26\x28-\x7f]|[\x80-\xff]+)))
    """
    try:
        parsed = _p.parse(pattern, flags)
    except re.error as exc:
        raise Untranslatable(str(exc)) from None
    items = _trim(_trim(list(parsed.data), True), False)
    pat, width = _join(_seq(items, flags | parsed.state.flags))
    if width == 0:
        raise Untranslatable("the pattern can match an empty string")
    return pat


def _escape_bytes(lit: bytes) -> str:
    return "".join(chr(b) if chr(b).isalnum() or b == 32 else f"\\x{b:02x}" for b in lit)


# -- the pattern set ---------------------------------------------------------------------------

# Bytes that may start a line before a comment's `#` or a JSON line's `{`: white space as Python
# sees it (\s, which includes \x1c-\x1f) and any non-ASCII byte (Unicode spaces), a superset.
_LEAD = bytes([9, 11, 12, 28, 29, 30, 31, 32]) + bytes(range(128, 256))
LINE_START_MARKS = (b"#", b"{")  # found with memchr; `//` (a slow needle for bytes.find) by the matchers
# `//` at a line start after white space, for the matchers that take regexes (multi-line mode)
# (and after a lone \r, which ends a line too but is no line start to `^`)
SLASH_COMMENT = (r"^[\x09\x0b\x0c\x1c-\x20\x80-\xff]*//", r"\x0d[\x09\x0b\x0c\x1c-\x20\x80-\xff]*//")


@dataclass(frozen=True)
class PatternSet:
    """Byte patterns (Hyperscan/RE2 syntax) whose matches mark the lines worth a look."""

    patterns: tuple[str, ...]
    plain: tuple[str | None, ...]  # each pattern's literal form, used if a matcher rejects it
    sig_literals: tuple[bytes, ...]  # each pattern's signature literal
    literals: tuple[bytes, ...]  # for the pure-Python matcher
    fallbacks: tuple[str, ...]  # kinds whose regex fell back to their literal, and why
    every_line: bool = False  # some signature matches every line: no prefilter is possible

    @property
    def key(self) -> str:
        h = hashlib.sha256()
        for p in self.patterns:
            h.update(f"{p}\0".encode())
        return h.hexdigest()[:24]


def build_patterns(signatures: Iterable[Any]) -> PatternSet:
    """One byte pattern per signature: its translated regex, else its literal."""
    pats: list[str] = []
    plain: list[str | None] = []
    lits: list[bytes] = []
    sig_lits: list[bytes] = []
    fallbacks: list[str] = []
    every = False
    for sig in signatures:
        lit = sig.literal.encode("utf-8")
        lits.append(lit)
        try:
            pat = translate(sig.regex.pattern, sig.regex.flags)
        except Untranslatable as exc:
            if not lit or "\ufffd" in sig.literal:
                every = True  # nothing narrower than "every line" is sure to contain a match
                continue
            pat = _escape_bytes(lit)
            fallbacks.append(f"{sig.kind}: {exc}")
        pats.append(pat)
        plain.append(_escape_bytes(lit) if lit and "\ufffd" not in sig.literal else None)
        sig_lits.append(lit if "\ufffd" not in sig.literal else b"")
    uniq = tuple(dict.fromkeys(x for x in lits if x))
    return PatternSet(tuple(pats), tuple(plain), tuple(sig_lits), uniq, tuple(fallbacks), every)


def line_start_hits(buf: bytes, lo: int, hi: int, out: list[int],
                    marks: tuple[bytes, ...] = LINE_START_MARKS) -> None:
    """Positions in buf[lo:hi] of `#` and `{` (and whatever else is in `marks`) that only white
    space precedes on their line: comment lines (which the parsers count) and JSON journal lines
    (whose message is JSON-escaped in the raw line, so only the parser's own literal check on
    the decoded line is sure). `//` comments are found by the matchers (see SLASH_COMMENT)."""
    find = buf.find
    has_cr = find(b"\r", lo, hi) >= 0
    for mark in marks:
        i = find(mark, lo, hi)
        while i >= 0:
            start = buf.rfind(b"\n", lo, i) + 1 or lo
            if has_cr:
                start = max(start, buf.rfind(b"\r", start, i) + 1)
            if not buf[start:i].translate(None, _LEAD):
                out.append(i)
            nl = find(b"\n", i, hi)  # a later mark on this line is not at its start
            if has_cr:
                r = find(b"\r", i, nl if nl >= 0 else hi)
                nl = r if r >= 0 else nl
            if nl < 0:
                break
            i = find(mark, nl, hi)


# -- matchers ----------------------------------------------------------------------------------


class Matcher:
    """Finds, in a block of whole lines, positions inside every line some pattern matches."""

    name = "?"

    def positions(self, buf: bytes, lo: int = 0, hi: int | None = None) -> list[int]:  # pragma: no cover
        """Positions in buf[lo:hi] (whole lines), as offsets into `buf`."""
        raise NotImplementedError


class HyperscanMatcher(Matcher):
    name = "hyperscan"

    def __init__(self, ps: PatternSet) -> None:
        import hyperscan

        self._hs = hyperscan
        self.db = self._cached_db(ps)
        self.scratch = hyperscan.Scratch(self.db)  # set before any scan, loaded or compiled
        self.db.scratch = self.scratch
        self._hits: list[int] = []

        def on_match(_id: int, _from: int, to: int, _flags: int, _ctx: Any) -> None:
            self._hits.append(to - 1)

        self._on_match = on_match

    def _cached_db(self, ps: PatternSet) -> Any:
        """Compiling takes ~0.15 s; a database serialized in the user's cache loads in ~0.1 ms.
        The file is named after the patterns and the library's version, and only one this
        user owns is loaded; any problem with it means compiling, as without a cache."""
        hs = self._hs
        key = ps.key + "-" + hashlib.sha256("\0".join(SLASH_COMMENT).encode()).hexdigest()[:8]
        version = str(getattr(hs, "__version__", "0")).replace("/", "_")
        path = _cache_dir() / f"hs-block-{key}-{version}.db" if _cache_dir() else None
        if path is not None:
            try:
                st = path.stat()
                if st.st_uid == os.getuid() and not st.st_mode & 0o022:
                    return hs.loadb(path.read_bytes(), hs.HS_MODE_BLOCK)
            except (OSError, hs.error, ValueError, TypeError):
                pass
        db = self._compile(ps)
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                tmp = path.with_suffix(f".{os.getpid()}.tmp")
                tmp.write_bytes(hs.dumpb(db))
                os.chmod(tmp, 0o600)
                os.replace(tmp, path)
                old = sorted(path.parent.glob("hs-block-*.db"), key=lambda q: q.stat().st_mtime)
                for stale in old[:-4]:  # the signature table changes: keep the newest few
                    stale.unlink()
            except (OSError, hs.error, ValueError, TypeError):
                pass
        return db

    def _compile(self, ps: PatternSet) -> Any:
        hs = self._hs
        flags = [0] * len(ps.patterns) + [hs.HS_FLAG_MULTILINE, 0]

        def build(pats: list[str]) -> Any:
            pats = pats + list(SLASH_COMMENT)
            db = hs.Database(mode=hs.HS_MODE_BLOCK)
            db.compile(expressions=[p.encode("latin-1") for p in pats], ids=list(range(len(pats))),
                       elements=len(pats), flags=flags)
            return db

        try:
            return build(list(ps.patterns))
        except hs.error:
            pass
        pats = list(ps.patterns)  # find the patterns it rejects; use their literal instead
        for i, pat in enumerate(pats):  # (SLASH_COMMENT is known to compile)
            try:
                one = hs.Database(mode=hs.HS_MODE_BLOCK)
                one.compile(expressions=[pat.encode("latin-1")], ids=[0], elements=1, flags=[flags[i]])
            except hs.error:
                if ps.plain[i] is None:
                    raise
                pats[i] = ps.plain[i]
        return build(pats)

    def reset_after_fork(self) -> None:
        """A forked child gets its own scratch (the parent's is not to be shared)."""
        self.scratch = self._hs.Scratch(self.db)
        self.db.scratch = self.scratch

    def positions(self, buf: bytes, lo: int = 0, hi: int | None = None) -> list[int]:
        self._hits = hits = []
        hi = len(buf) if hi is None else hi
        self.db.scan(memoryview(buf)[lo:hi], match_event_handler=self._on_match)  # no copy
        return [p + lo for p in hits] if lo else hits


class Re2Matcher(Matcher):
    name = "re2"

    def __init__(self, ps: PatternSet) -> None:
        import re2

        opts = re2.Options()
        opts.encoding = re2.Options.Encoding.LATIN1
        opts.never_capture = True
        opts.max_mem = 256 << 20
        self.set = re2.Set.SearchSet(opts)
        for pat, plain in zip(ps.patterns, ps.plain):
            try:
                self.set.Add(pat)
            except re2.error:
                if plain is None:
                    raise
                self.set.Add(plain)
        self.set.Add("(?m)" + SLASH_COMMENT[0])
        self.set.Add(SLASH_COMMENT[1])
        self.set.Compile()

    def positions(self, buf: bytes, lo: int = 0, hi: int | None = None) -> list[int]:
        block = buf[lo:hi] if lo or hi is not None else buf
        return [p + lo for p in self._positions(block)]

    def _positions(self, block: bytes) -> list[int]:
        out: list[int] = []
        match = self.set.Match
        n = len(block)
        start = 0
        while start < n:
            end = block.find(b"\n", min(start + SLICE_BYTES, n) - 1)
            end = n if end < 0 else end + 1
            if match(block[start:end]):
                pos = start
                for line in block[start:end].splitlines(keepends=True):
                    # bytes.splitlines cuts at \n, \r\n and \r only: the reader's own lines
                    if match(line):
                        out.append(pos + max(len(line.rstrip(b"\r\n")) - 1, 0))
                    pos += len(line)
            start = end
        return out


class PythonMatcher(Matcher):
    """No dependency: every signature's literal found with `bytes.find` (the old prefilter),
    then the line checked with the signature's translated pattern in Python's `re`."""

    name = "python"

    def __init__(self, ps: PatternSet) -> None:
        checks: dict[bytes, list[re.Pattern[bytes]]] = {}
        self.unanchored: list[re.Pattern[bytes]] = []  # no literal to look for: the whole block
        for lit, pat in zip(ps.sig_literals, ps.patterns):
            rx = re.compile(pat.encode("latin-1"))
            if lit:
                checks.setdefault(lit, []).append(rx)
            else:
                self.unanchored.append(rx)
        self.checks = list(checks.items())

    def positions(self, buf: bytes, lo: int = 0, hi: int | None = None) -> list[int]:
        block = buf[lo:hi] if lo or hi is not None else buf
        return [p + lo for p in self._positions(block)]

    def _positions(self, block: bytes) -> list[int]:
        out: list[int] = []
        find = block.find
        has_cr = b"\r" in block
        for lit, regexes in self.checks:
            i = find(lit)
            while i >= 0:
                start, end = line_bounds(block, i, has_cr)
                if any(rx.search(block, start, end) for rx in regexes):
                    out.append(i)
                i = find(lit, end + 1)  # one position per line is enough
        for rx in self.unanchored:
            out.extend(m.start() for m in rx.finditer(block))
        line_start_hits(block, 0, len(block), out, (b"//",))
        return out


def _cache_dir() -> Path | None:
    """Where compiled matchers are kept: $FOREWARN_CACHE ("" or "off": nowhere), else the
    user's cache directory."""
    env = os.environ.get("FOREWARN_CACHE")
    if env is not None:
        return Path(env) if env and env != "off" else None
    base = os.environ.get("XDG_CACHE_HOME") or (os.path.join(os.path.expanduser("~"), ".cache"))
    return Path(base) / "forewarn"


def _make(ps: PatternSet, prefer: str | None) -> Matcher:
    order = [prefer] if prefer else ["hyperscan", "re2", "python"]
    errors = []
    for name in order:
        try:
            if name == "hyperscan":
                return HyperscanMatcher(ps)
            if name == "re2":
                return Re2Matcher(ps)
            if name == "python":
                return PythonMatcher(ps)
        except Exception as exc:  # noqa: BLE001 - a missing or failing library: try the next one
            errors.append(f"{name}: {exc}")
    raise RuntimeError("no log matcher could be built: " + "; ".join(errors))


@lru_cache(maxsize=8)
def _cached(ps: PatternSet, prefer: str | None) -> Matcher:
    return _make(ps, prefer)


def matcher_for(ps: PatternSet, prefer: str | None = None) -> Matcher:
    """The fastest matcher available for `ps` (or the one named by `prefer` or $FOREWARN_MATCHER),
    built once per process. A pattern a matcher rejects falls back to its signature's literal
    instead of taking the whole set down."""
    prefer = prefer or os.environ.get("FOREWARN_MATCHER") or None
    m = _cached(ps, prefer)
    return m


# -- scanning ----------------------------------------------------------------------------------


def count_breaks(buf: bytes, lo: int = 0, hi: int | None = None, has_cr: bool | None = None) -> int:
    """Line breaks in buf[lo:hi] as Python's universal-newline reader counts them: \n, \r\n
    and a lone \r each end a line."""
    hi = len(buf) if hi is None else hi
    n = buf.count(b"\n", lo, hi)
    if has_cr is None:
        has_cr = buf.find(b"\r", lo, hi) >= 0
    if has_cr:
        n += buf.count(b"\r", lo, hi) - buf.count(b"\r\n", lo, hi)
    return n


def line_bounds(buf: bytes, pos: int, has_cr: bool, lo: int = 0, hi: int | None = None) -> tuple[int, int]:
    """(start, end) of the line of buf[lo:hi] holding byte `pos`, line break excluded."""
    hi = len(buf) if hi is None else hi
    start = buf.rfind(b"\n", lo, pos) + 1 or lo
    end = buf.find(b"\n", pos, hi)
    if end < 0:
        end = hi
    if has_cr:
        start = max(start, buf.rfind(b"\r", start, pos) + 1)
        r = buf.find(b"\r", pos, end)
        if r >= 0:
            end = r
    return start, end


Piece = tuple[bytes, int, int]  # whole lines buf[lo:hi]; the last piece may lack a final break


@dataclass
class Hit:
    """A line some pattern matched: its number in the whole input and its text."""

    line_no: int
    text: str
    piece: Piece = field(repr=False)
    start: int = 0  # where the line starts in the piece's buffer
    prev: Piece | None = field(default=None, repr=False)

    def lines_before(self, limit: int = 1 << 30) -> Iterator[str]:
        """Earlier lines, nearest first, as far back as the data in memory (this piece and
        the one before it: at least one read, BLOCK_BYTES)."""
        buf, lo, _hi = self.piece
        yield from _backwards(buf, lo, self.start, limit, self.prev)


def _backwards(buf: bytes, lo: int, end: int, limit: int, prev: Piece | None = None) -> Iterator[str]:
    """Lines of buf[lo:end] (`end` is a line start), nearest first; then `prev`'s."""
    has_cr = buf.find(b"\r", lo, end) >= 0
    n = 0
    while n < limit:
        if end <= lo:
            if prev is not None:
                yield from _backwards(prev[0], prev[1], prev[2], limit - n)
            return
        stop = end - 1  # the break that ends the previous line
        if has_cr and stop > lo and buf[stop] == 10 and buf[stop - 1] == 13:
            stop -= 1
        start = buf.rfind(b"\n", lo, stop) + 1 or lo
        if has_cr:
            start = max(start, buf.rfind(b"\r", lo, stop) + 1)
        yield buf[start:stop].decode("utf-8", "replace")
        n += 1
        end = start


@dataclass
class RangeScan:
    """What one pass over a range found."""

    lines: int  # lines in the range (a last line without a break counts)
    last: Piece | None = None  # the last two pieces, to read the range's last lines
    before_last: Piece | None = None


def iter_pieces(read: Callable[[int], bytes]) -> Iterator[Piece]:
    """The stream as pieces of whole lines, without copying what was read: each read is one
    piece from its first line start to its last line end; a line cut by a read boundary
    becomes a small piece of its own."""
    rest = b""
    while True:
        chunk = read(BLOCK_BYTES)
        if not chunk:
            if rest:
                yield (rest, 0, len(rest))
            return
        first = chunk.find(b"\n")
        if first < 0:
            rest += chunk
            if len(rest) >= MAX_LINE_BYTES:  # a monster line: matched in pieces
                yield (rest, 0, len(rest))
                rest = b""
            continue
        lo = 0
        if rest:
            small = rest + chunk[:first + 1]
            yield (small, 0, len(small))
            lo = first + 1
        cut = chunk.rfind(b"\n") + 1
        if cut > lo:
            yield (chunk, lo, cut)
        rest = chunk[cut:]


def scan_pieces(pieces: Iterable[Piece], matcher: Matcher, *, line_base: int = 0,
                on_hit: Callable[[Hit], None]) -> RangeScan:
    """Run `matcher` over `pieces` and call `on_hit` for every line it offers, in order; line
    numbers start after `line_base`."""
    lines = line_base
    prev: Piece | None = None
    last: Piece | None = None
    for piece in pieces:
        buf, lo, hi = piece
        if hi <= lo:
            continue
        positions = matcher.positions(buf, lo, hi)
        line_start_hits(buf, lo, hi, positions)
        has_cr = buf.find(b"\r", lo, hi) >= 0
        if positions:
            positions.sort()
            seen_end = -1
            counted_to = lo
            at_line = lines
            for pos in positions:
                if pos < seen_end:
                    continue  # this line is already taken
                start, end = line_bounds(buf, pos, has_cr, lo, hi)
                at_line += count_breaks(buf, counted_to, start, has_cr)
                counted_to = start
                seen_end = end + 1
                on_hit(Hit(at_line + 1, buf[start:end].decode("utf-8", "replace"), piece, start, last))
        lines += count_breaks(buf, lo, hi, has_cr)
        if buf[hi - 1] not in (10, 13):
            lines += 1  # a last line without a break (only the final piece can end so)
        prev, last = last, piece
    return RangeScan(lines - line_base, last, prev)


def last_lines(scan: RangeScan, limit: int = 1 << 30) -> Iterator[str]:
    """The last lines of a scanned range (as far back as its last two pieces), last first."""
    if scan.last is None:
        return
    buf, lo, hi = scan.last
    if buf[hi - 1] not in (10, 13):  # a last line without a break
        start = buf.rfind(b"\n", lo, hi) + 1 or lo
        start = max(start, buf.rfind(b"\r", lo, hi) + 1)
        yield buf[start:hi].decode("utf-8", "replace")
        limit -= 1
        hi = start
    yield from _backwards(buf, lo, hi, limit, scan.before_last)


# -- files and the second core ------------------------------------------------------------------


def plain_file(fh: IO[bytes]) -> int | None:
    """The descriptor of `fh` if it is a plain file read from its start (so it can be read at
    any offset), else None: a tar member, a decompressed stream or a pipe cannot."""
    import io
    import stat

    if type(fh) is not io.BufferedReader or not isinstance(fh.raw, io.FileIO):
        return None
    try:
        fd = fh.fileno()
        return fd if stat.S_ISREG(os.fstat(fd).st_mode) else None
    except OSError:
        return None


def pread_pieces(fd: int, start: int, end: int) -> Iterator[Piece]:
    """Pieces of whole lines of bytes [start, end) of a file, read without moving its offset."""
    pos = start

    def read(n: int) -> bytes:
        nonlocal pos
        if pos >= end:
            return b""
        data = os.pread(fd, min(n, end - pos), pos)
        pos += len(data)
        return data

    return iter_pieces(read)


def line_start_after(fd: int, pos: int, end: int) -> int:
    """The first line start at or after `pos` (just after a \\n), or `end`."""
    while pos < end:
        data = os.pread(fd, min(1 << 16, end - pos), pos)
        if not data:
            return end
        i = data.find(b"\n")
        if i >= 0:
            return pos + i + 1
        pos += len(data)
    return end


def cores() -> int:
    env = os.environ.get("FOREWARN_JOBS")
    if env and env.isdigit():
        return max(1, int(env))
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


class WorkerFailed(RuntimeError):
    pass


class Worker:
    """Scans bytes [start, end) of a plain file in a forked process. `make(hit, acc)` turns
    each hit into a picklable record (or None) there; records stream back in batches, so a
    log full of matches fills a pipe, not memory: the worker waits until they are read."""

    BATCH = 512

    def __init__(self, fd: int, start: int, end: int, matcher: Matcher,
                 make: Callable[[Hit, dict[str, int]], Any], tail: Callable[[Iterable[str]], Any]) -> None:
        import multiprocessing

        ctx = multiprocessing.get_context("fork")
        self.conn, child = ctx.Pipe(duplex=False)
        self.proc = ctx.Process(target=_work, args=(child, fd, start, end, matcher, make, tail), daemon=True)
        self.proc.start()
        child.close()
        self.lines = 0
        self.acc: dict[str, int] = {}
        self.tail: Any = None
        self.peak_rss_kib = 0

    def records(self) -> Iterator[Any]:
        try:
            while True:
                try:
                    msg = self.conn.recv()
                except EOFError:
                    raise WorkerFailed("the scanning process died") from None
                if msg[0] == "recs":
                    yield from msg[1]
                elif msg[0] == "done":
                    _tag, self.lines, self.acc, self.tail, self.peak_rss_kib = msg
                    return
                else:
                    raise WorkerFailed(msg[1])
        finally:
            self.conn.close()
            self.proc.join(timeout=30)
            if self.proc.is_alive():
                self.proc.kill()


def _work(conn: Any, fd: int, start: int, end: int, matcher: Matcher,
          make: Callable[[Hit, dict[str, int]], Any], tail: Callable[[Iterable[str]], Any]) -> None:
    import resource
    import traceback

    try:
        reset = getattr(matcher, "reset_after_fork", None)
        if reset is not None:
            reset()
        acc: dict[str, int] = {}
        batch: list[Any] = []

        def on_hit(hit: Hit) -> None:
            rec = make(hit, acc)
            if rec is not None:
                batch.append(rec)
                if len(batch) >= Worker.BATCH:
                    conn.send(("recs", batch[:]))
                    batch.clear()

        scan = scan_pieces(pread_pieces(fd, start, end), matcher, on_hit=on_hit)
        if batch:
            conn.send(("recs", batch))
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        conn.send(("done", scan.lines, acc, tail(last_lines(scan)), peak))
    except BaseException:  # noqa: BLE001 - reported to the parent, which scans this half itself
        conn.send(("error", traceback.format_exc(limit=8)))
    finally:
        conn.close()


# -- driving a log parser --------------------------------------------------------------------------


@dataclass
class LogScan:
    lines: int  # lines in the whole log
    acc: dict[str, int]  # what `make` counted (e.g. comment lines)
    tail: Any = None  # what `tail` found at the end of the log (None: nothing, or all sampled)
    sampled_all: bool = False  # the sample took the whole log: the per-line code saw every line


def scan_log(src: Any, matcher: Matcher, *, sampling: Callable[[], bool],
             sample_line: Callable[[int, str, bool], None], make: Callable[[Hit, dict[str, int]], Any],
             apply: Callable[[Any, int, Any], None], tail: Callable[[Iterable[str]], Any]) -> LogScan:
    """Drive a log parser over `src` (anything with `open_bytes()`).

    While `sampling()` is true, every line goes to `sample_line(no, text, maybe)` (`maybe` is
    False when no signature can match the line). After that, only the lines the matcher offers:
    each is turned into a record by `make(hit, acc)` (None: nothing) and handed, in file order,
    to `apply(record, line_offset, fallback)`. For a plain file bigger than SPLIT_BYTES, `make`
    runs in a forked process for the second half, so its records must pickle; there
    `line_offset` is the number of lines before that half and `fallback` what `tail` found at
    the end of the first half (for a record that looked back past its half's start)."""
    acc: dict[str, int] = {}

    def take(hit: Hit) -> None:
        rec = make(hit, acc)
        if rec is not None:
            apply(rec, 0, None)

    with src.open_bytes() as fh, _ReadAhead(fh) as read:
        pieces = iter_pieces(read)
        consumed = 0  # bytes of the pieces read so far
        no = 0
        for piece in pieces:
            buf, lo, hi = piece
            off, no = _sample_piece(piece, no, matcher, sampling, sample_line)
            if not sampling():
                rest = (buf, off, hi)
                break
            consumed += hi - lo
        else:
            return LogScan(no, acc, None, True)
        start = consumed + off - lo  # where the engine takes over, in bytes
        fd = plain_file(fh)
        size = os.fstat(fd).st_size if fd is not None else 0
        if fd is None or size - start < SPLIT_BYTES or cores() < 2:
            scan = scan_pieces(_chain(rest, pieces), matcher, line_base=no, on_hit=take)
            return LogScan(no + scan.lines, acc, tail(last_lines(scan)))
        # two halves split at a line end; the second one in a forked process
        mid = line_start_after(fd, start + (size - start) // 2, size)
        worker = Worker(fd, mid, size, matcher, make, tail)
        scan = scan_pieces(pread_pieces(fd, start, mid), matcher, line_base=no, on_hit=take)
        total = no + scan.lines
        first_tail = tail(last_lines(scan))
        done = 0  # the worker's records applied (relative line number of the last)
        try:
            for rec in worker.records():
                apply(rec, total, first_tail)
                done = _line_of(rec)
        except WorkerFailed:  # scan the second half here, past what was applied
            def take_rest(hit: Hit) -> None:
                if hit.line_no > done:
                    rec = make(hit, acc)
                    if rec is not None:
                        apply(rec, total, first_tail)

            scan2 = scan_pieces(pread_pieces(fd, mid, size), matcher, on_hit=take_rest)
            end_tail = tail(last_lines(scan2))
            return LogScan(total + scan2.lines, acc, end_tail if end_tail is not None else first_tail)
        for k, v in worker.acc.items():
            acc[k] = acc.get(k, 0) + v
        return LogScan(total + worker.lines, acc, worker.tail if worker.tail is not None else first_tail)


class _ReadAhead:
    """A stream that is not a plain file (a .gz log being decompressed, a tar member) is read
    by a thread, up to 4 reads ahead: zlib lets go of the interpreter while it inflates, so
    decompressing and scanning use both cores. A plain file is read directly."""

    DEPTH = 4

    def __init__(self, fh: IO[bytes]) -> None:
        self.fh = fh
        self.thread: Any = None

    def __enter__(self) -> Callable[[int], bytes]:
        if plain_file(self.fh) is not None:
            return self.fh.read
        import queue
        import threading

        self.q: Any = queue.Queue(self.DEPTH)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="forewarn-read-ahead", daemon=True)
        self.thread.start()
        return self._get

    def _run(self) -> None:
        while not self.stop.is_set():
            try:
                item: Any = self.fh.read(BLOCK_BYTES)
            except BaseException as exc:  # noqa: BLE001 - handed to the reader, raised there
                item = exc
            while not self.stop.is_set():
                try:
                    self.q.put(item, timeout=0.1)
                    break
                except Exception:  # queue.Full: the scanner is busy (or gone)
                    continue
            if not isinstance(item, bytes) or not item:
                return

    def _get(self, _n: int) -> bytes:
        item = self.q.get()
        if isinstance(item, BaseException):
            raise item
        return item

    def __exit__(self, *_exc: Any) -> None:
        if self.thread is not None:
            self.stop.set()
            self.thread.join(timeout=5)


def _line_of(rec: Any) -> int:
    """Records are tuples whose second item is the line number (relative to their half)."""
    return int(rec[1])


def _chain(first: Piece, rest: Iterable[Piece]) -> Iterator[Piece]:
    yield first
    yield from rest


def _sample_piece(piece: Piece, no: int, matcher: Matcher, sampling: Callable[[], bool],
                  sample_line: Callable[[int, str, bool], None]) -> tuple[int, int]:
    """Feed whole lines of a piece to the per-line code while the sample lasts.
    Returns (offset in the piece's buffer of the first line not fed, line number reached)."""
    buf, off, n = piece
    if not sampling():
        return off, no
    has_cr = buf.find(b"\r", off, n) >= 0
    pos = matcher.positions(buf, off, n)
    line_start_hits(buf, off, n, pos)
    maybe = {line_bounds(buf, p, has_cr, off, n)[0] for p in pos}
    while off < n and sampling():
        end = buf.find(b"\n", off, n)
        if end < 0:
            end = n
        nxt = end + 1
        if has_cr:
            r = buf.find(b"\r", off, end)
            if r >= 0:
                end = r
                nxt = r + 2 if buf[r + 1:r + 2] == b"\n" else r + 1
        no += 1
        sample_line(no, buf[off:end].decode("utf-8", "replace"), off in maybe)
        off = min(nxt, n)
    return off, no
