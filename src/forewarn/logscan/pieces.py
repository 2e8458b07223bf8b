"""The log engine's scanning core: a stream as pieces of whole lines, counted and matched without a
copy or a Python call per line (logscan/engine.py drives it over a log)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from forewarn.logscan.marks import ESCAPED, MARK, line_bounds, line_start_hits, mark_hits
from forewarn.logscan.matchers import UNKNOWN, Matcher

BLOCK_BYTES = 1 << 20  # one read; a block is cut after its last line break
MAX_LINE_BYTES = 8 << 20  # a "line" longer than this is matched in pieces (no bounded-memory way around it)
SPLIT_BYTES = 64 << 20  # a real file bigger than this is scanned by two processes

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


Piece = tuple[bytes, int, int]  # whole lines buf[lo:hi]; the last piece may lack a final break


@dataclass
class MatchedLine:
    """A line some pattern matched: its number in the whole input and its text."""

    line_no: int
    text: str
    piece: Piece = field(repr=False)
    start: int = 0  # where the line starts in the piece's buffer
    prev: Piece | None = field(default=None, repr=False)
    # the patterns that matched in the line (their indexes in the pattern set; MARK, ESCAPED: a
    # line the engine offers whatever the patterns say); None: the matcher could not say which
    ids: frozenset[int] | None = None

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
                on_hit: Callable[[MatchedLine], None]) -> RangeScan:
    """Run `matcher` over `pieces` and call `on_hit` for every line it offers, in order; line
    numbers start after `line_base`."""
    lines = line_base
    prev: Piece | None = None
    last: Piece | None = None
    escape_ids = matcher.escape_ids
    for piece in pieces:
        buf, lo, hi = piece
        if hi <= lo:
            continue
        found = matcher.matches(buf, lo, hi)
        marked: list[int] = []
        line_start_hits(buf, lo, hi, marked)
        if marked:
            found.extend((p, MARK) for p in marked)
        if not matcher.marks_inside:
            escaped: list[int] = []
            mark_hits(buf, lo, hi, escaped)
            found.extend((p, ESCAPED) for p in escaped)
        has_cr = buf.find(b"\r", lo, hi) >= 0
        if found:
            found.sort()
            counted_to = lo
            at_line = lines
            start = end = -1
            ids: set[int] = set()
            offered: list[tuple[int, int, int, set[int]]] = []  # (line number, start, end, pattern ids)
            for pos, pid in found + [(hi + 1, UNKNOWN)]:  # the sentinel hands over the last line
                if pos <= end:  # this line is already taken: note what else matched in it
                    ids.add(pid)
                    continue
                if start >= 0:
                    offered.append((at_line + 1, start, end, ids))
                if pos > hi:
                    break
                start, end = line_bounds(buf, pos, has_cr, lo, hi)
                at_line += count_breaks(buf, counted_to, start, has_cr)
                counted_to = start
                ids = {pid}
            # counted_to is a line start: no \r\n is split there, so the counts add up
            lines = at_line + count_breaks(buf, counted_to, hi, has_cr)
            for no, start, end, ids in _readable(buf, offered, matcher, escape_ids):
                on_hit(MatchedLine(no, buf[start:end].decode("utf-8", "replace"), piece, start, last,
                                   None if UNKNOWN in ids else frozenset(ids)))
        else:
            lines += count_breaks(buf, lo, hi, has_cr)
        if buf[hi - 1] not in (10, 13):
            lines += 1  # a last line without a break (only the final piece can end so)
        prev, last = last, piece
    return RangeScan(lines - line_base, last, prev)


def _readable(buf: bytes, offered: list[tuple[int, int, int, set[int]]], matcher: Matcher,
              escape_ids: frozenset[int]) -> list[tuple[int, int, int, set[int]]]:
    """`offered` less the lines offered for their escapes or NULs alone in which no signature
    could match once they are unwrapped (marks.EscapedLines)."""
    if matcher.escaped is None:
        return offered
    alone = [i for i, (_no, _s, _e, ids) in enumerate(offered) if ids <= escape_ids]
    if not alone:
        return offered
    keep = matcher.escaped.could_name(buf, [(offered[i][1], offered[i][2]) for i in alone])
    drop = {i for i, k in zip(alone, keep) if not k}
    return [line for i, line in enumerate(offered) if i not in drop] if drop else offered


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
