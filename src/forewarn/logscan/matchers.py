"""The multi-pattern matchers of the log engine, built from the knowledge base as written.

Every signature (forewarn/signatures) is in the dialect that Python's `re`, RE2 and Hyperscan
all read the same way, so each matcher compiles the signature's own regex (its engine form:
the edges that can match nothing dropped, see signatures/_dialect.py); nothing is translated.
A matcher reports positions inside the lines where some signature matches; the engine adds
the lines the parsers must see whatever the signatures say (logscan/marks.py), which Hyperscan
finds with its other patterns at no cost.

Matchers, fastest first; each finds the same lines (tests/test_log_engine.py):

- Hyperscan (PyPI `hyperscan`, x86-64 only), block mode only (a block-mode and a stream-mode
  database in one process crashed hyperscan-python 0.9.1). Compiling takes ~0.15 s, so the
  database is kept in the user's cache directory; a loaded one gets its scratch space before
  any scan, and a forked worker allocates its own.
- RE2 sets (PyPI `google-re2`) over 64 KiB slices; a slice that matches is rechecked line by line.
- Pure Python: each signature's literals found in the lower-cased block with `bytes.find`,
  then the signature's engine form on that line.

A pattern a matcher rejects (a library version that reads the dialect differently) falls back
to its literals, which every match contains, so the result stays a superset.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from forewarn.logscan.marks import ESCAPE_MARKS, ESCAPED, KLOG_LINES, MARKS, EscapedLines, line_bounds, line_start_hits
from forewarn.model.cachedir import cache_dir, private_file, write_private

SLICE_BYTES = 64 << 10  # RE2 sets are run over slices this big
UNKNOWN = -1  # the pattern index of a match whose pattern the matcher cannot name (Matcher.matches)
def _escape(lit: str) -> str:
    return "".join(c if c.isalnum() or c == " " else f"\\x{ord(c):02x}" for c in lit)


@dataclass(frozen=True)
class PatternSet:
    """Byte patterns whose matches mark the lines worth a look, one per signature."""

    patterns: tuple[str, ...]  # for Hyperscan and Python (bytes)
    re2: tuple[str, ...]  # the same for RE2 (whose \s lacks the vertical tab)
    literals: tuple[tuple[bytes, ...], ...]  # each pattern's lower-cased literals
    plain: tuple[str, ...]  # each pattern's literals as a pattern, if a matcher rejects it
    # the literals of the patterns that name events: a line offered for its escapes or NULs alone
    # is read only when, without its backslashes and NULs, it holds one (empty: always read)
    naming: tuple[bytes, ...] = ()

    @property
    def key(self) -> str:
        h = hashlib.sha256()
        for p in self.patterns + MARKS + ESCAPE_MARKS:
            h.update(f"{p}\0".encode())
        return h.hexdigest()[:24]


def build_patterns(signatures: Iterable[Any], others: Iterable[Any] = ()) -> PatternSet:
    """One byte pattern per signature of the knowledge base (forewarn.signatures.Signature),
    then one per pattern of `others` (patterns that name no event: the error words)."""
    sigs = list(signatures)
    naming = tuple(dict.fromkeys(lit.encode("ascii") for s in sigs for lit in s.literals))
    sigs += list(others)
    lits = tuple(tuple(lit.encode("ascii") for lit in s.literals) for s in sigs)
    plain = tuple("(?i)(?:" + "|".join(_escape(lit) for lit in s.literals) + ")" for s in sigs)
    return PatternSet(tuple(s.engine_pattern for s in sigs), tuple(s.re2_pattern for s in sigs), lits, plain,
                      naming)


class Matcher:
    """Finds, in a block of whole lines, positions inside every line some pattern matches."""

    name = "?"
    marks_inside = False  # the matcher reports `mark_hits`' lines itself
    escape_ids: frozenset[int] = frozenset({ESCAPED})  # the ids of the lines `mark_hits` would offer
    escaped: EscapedLines | None = None  # set by `make` when the pattern set has naming literals

    def positions(self, buf: bytes, lo: int = 0, hi: int | None = None) -> list[int]:  # pragma: no cover
        """Positions in buf[lo:hi] (whole lines), as offsets into `buf`."""
        raise NotImplementedError

    def matches(self, buf: bytes, lo: int = 0, hi: int | None = None) -> list[tuple[int, int]]:
        """(position, pattern index) of every match; UNKNOWN when the matcher cannot say which
        pattern matched (the reader then tries every signature on the line)."""
        return [(p, UNKNOWN) for p in self.positions(buf, lo, hi)]


class HyperscanMatcher(Matcher):
    name = "hyperscan"
    marks_inside = True

    def __init__(self, ps: PatternSet) -> None:
        import hyperscan

        self._hs = hyperscan
        first = len(ps.patterns) + len(MARKS)
        self.escape_ids = frozenset(range(first, first + len(ESCAPE_MARKS)))
        self.db = self._cached_db(ps)
        self.scratch = hyperscan.Scratch(self.db)  # set before any scan, loaded or compiled
        self.db.scratch = self.scratch
        self._hits: list[tuple[int, int]] = []

        def on_match(pid: int, _from: int, to: int, _flags: int, _ctx: Any) -> None:
            self._hits.append((to - 1, pid))

        self._on_match = on_match

    def _cached_db(self, ps: PatternSet) -> Any:
        """Compiling takes ~0.15 s; a database serialized in the user's cache loads in ~0.1 ms.
        The file is named after the patterns and the library's version, and only one this
        user owns is loaded; any problem with it means compiling, as without a cache."""
        hs = self._hs
        version = str(getattr(hs, "__version__", "0")).replace("/", "_")
        folder = cache_dir()
        path = folder / f"hs-block-{ps.key}-{version}.db" if folder else None
        if path is not None and private_file(path):
            try:
                return hs.loadb(path.read_bytes(), hs.HS_MODE_BLOCK)
            except (OSError, hs.error, ValueError, TypeError):
                pass
        db = self._compile(ps)
        if path is not None:
            try:
                write_private(path, hs.dumpb(db))  # the knowledge base changes: the newest few are kept
            except (hs.error, ValueError, TypeError):
                pass
        return db

    def _compile(self, ps: PatternSet) -> Any:
        hs = self._hs
        extra = list(MARKS) + list(ESCAPE_MARKS)
        flags = [0] * len(ps.patterns) + [hs.HS_FLAG_MULTILINE if p.startswith("^") or p.endswith("$)") else 0
                                          for p in extra]

        def build(pats: list[str]) -> Any:
            pats = pats + extra
            db = hs.Database(mode=hs.HS_MODE_BLOCK)
            db.compile(expressions=[p.encode("ascii") for p in pats], ids=list(range(len(pats))),
                       elements=len(pats), flags=flags)
            return db

        try:
            return build(list(ps.patterns))
        except hs.error:
            pass
        pats = list(ps.patterns)  # find the patterns it rejects; use their literals instead
        for i, pat in enumerate(pats):
            try:
                one = hs.Database(mode=hs.HS_MODE_BLOCK)
                one.compile(expressions=[pat.encode("ascii")], ids=[0], elements=1, flags=[0])
            except hs.error:
                pats[i] = ps.plain[i]
        return build(pats)

    def reset_after_fork(self) -> None:
        """A forked child gets its own scratch (the parent's is not to be shared)."""
        self.scratch = self._hs.Scratch(self.db)
        self.db.scratch = self.scratch

    def positions(self, buf: bytes, lo: int = 0, hi: int | None = None) -> list[int]:
        return [p for p, _id in self.matches(buf, lo, hi)]

    def matches(self, buf: bytes, lo: int = 0, hi: int | None = None) -> list[tuple[int, int]]:
        """Hyperscan says which pattern matched: the reader rechecks those signatures alone."""
        self._hits = hits = []
        hi = len(buf) if hi is None else hi
        self.db.scan(memoryview(buf)[lo:hi], match_event_handler=self._on_match)  # no copy
        return [(p + lo, i) for p, i in hits] if lo else hits


class Re2Matcher(Matcher):
    name = "re2"

    def __init__(self, ps: PatternSet) -> None:
        import re2

        opts = re2.Options()
        opts.encoding = re2.Options.Encoding.LATIN1
        opts.never_capture = True
        opts.max_mem = 256 << 20
        self.set = re2.Set.SearchSet(opts)
        for pat, plain in zip(ps.re2, ps.plain):
            try:
                self.set.Add(pat)
            except re2.error:
                self.set.Add(plain)
        for mark in MARKS:
            self.set.Add("(?m)" + mark if mark.startswith("^") else mark)
        self.set.Compile()

    def positions(self, buf: bytes, lo: int = 0, hi: int | None = None) -> list[int]:
        return [p for p, _id in self.matches(buf, lo, hi)]

    def matches(self, buf: bytes, lo: int = 0, hi: int | None = None) -> list[tuple[int, int]]:
        block = buf[lo:hi] if lo or hi is not None else buf
        return [(p + lo, i) for p, i in self._matches(block)]

    def _matches(self, block: bytes) -> list[tuple[int, int]]:
        out: list[tuple[int, int]] = []
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
                    at = pos + max(len(line.rstrip(b"\r\n")) - 1, 0)
                    out.extend((at, i) for i in match(line) or ())
                    pos += len(line)
            start = end
        return out


class PythonMatcher(Matcher):
    """No dependency: each signature's literals found in the lower-cased block with
    `bytes.find`, then the line checked with the signature's engine form in Python's `re`."""

    name = "python"

    def __init__(self, ps: PatternSet) -> None:
        checks: dict[bytes, list[re.Pattern[bytes]]] = {}
        for lits, pat in zip(ps.literals, ps.patterns):
            rx = re.compile(pat.encode("ascii"))
            for lit in lits:
                checks.setdefault(lit, []).append(rx)
        self.checks = list(checks.items())

    def positions(self, buf: bytes, lo: int = 0, hi: int | None = None) -> list[int]:
        block = buf[lo:hi] if lo or hi is not None else buf
        return [p + lo for p in self._positions(block)]

    def _positions(self, block: bytes) -> list[int]:
        out: list[int] = []
        low = block.lower()  # the same length: positions carry over
        find = low.find
        has_cr = b"\r" in block
        for lit, regexes in self.checks:
            i = find(lit)
            while i >= 0:
                start, end = line_bounds(block, i, has_cr)
                if any(rx.search(block, start, end) for rx in regexes):
                    out.append(i)
                i = find(lit, end + 1)  # one position per line is enough
        line_start_hits(block, 0, len(block), out, (b"//",))
        out.extend(m.end() - 1 for m in KLOG_LINES.finditer(block))
        return out


def make(ps: PatternSet, prefer: str | None) -> Matcher:
    order = [prefer] if prefer else ["hyperscan", "re2", "python"]
    errors = []
    kinds: dict[str, type[Matcher]] = {"hyperscan": HyperscanMatcher, "re2": Re2Matcher, "python": PythonMatcher}
    for name in order:
        if name not in kinds:
            errors.append(f"{name}: no such matcher (hyperscan, re2, python)")
            continue
        try:
            matcher = kinds[name](ps)
        except Exception as exc:  # noqa: BLE001 - a missing or failing library: try the next one
            errors.append(f"{name}: {exc}")
            continue
        if ps.naming:
            try:
                matcher.escaped = EscapedLines(ps.naming)
            except Exception:  # noqa: BLE001 - no RE2: every escaped line is read, as before
                matcher.escaped = None
        return matcher
    raise RuntimeError("no log matcher could be built: " + "; ".join(errors))


@lru_cache(maxsize=8)
def _cached(ps: PatternSet, prefer: str | None) -> Matcher:
    return make(ps, prefer)


def matcher_for(ps: PatternSet, prefer: str | None = None) -> Matcher:
    """The fastest matcher available for `ps` (or the one named by `prefer` or $FOREWARN_MATCHER),
    built once per process."""
    return _cached(ps, prefer or os.environ.get("FOREWARN_MATCHER") or None)


@lru_cache(maxsize=1)
def knowledge_base_patterns() -> PatternSet:
    """The pattern set of the whole knowledge base (built when first needed, then kept)."""
    from forewarn.parse.log.match import signatures
    from forewarn.parse.log.unexplained import ENGINE_PATTERN, ERROR_WORDS

    @dataclass(frozen=True)
    class _ErrorWords:  # error-looking lines: the report's unexplained errors (parse/log/unexplained.py)
        literals: tuple[str, ...] = ERROR_WORDS
        engine_pattern: str = ENGINE_PATTERN
        re2_pattern: str = ENGINE_PATTERN

    return build_patterns(signatures(), [_ErrorWords()])
