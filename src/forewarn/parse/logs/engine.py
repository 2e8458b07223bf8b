"""The fast log engine: find the few lines of a big log that a signature can match, in one pass.

A log on a struggling node can be gigabytes, and almost none of its lines matter. Calling Python
once per line caps a scan near 400 MB/s before any matching is done, so this engine never does:
it reads the log 1 MiB at a time, hands each read (cut at its first and last line break, with
no copy) to a multi-pattern matcher that runs in C, counts line breaks with bytes.count, and gives
Python only the lines a pattern matched. The parsers (parse/logs/syslog.py) run their exact
per-line code on those lines. Memory stays bounded: two reads are held at a time.

The patterns are the knowledge base's own signatures (forewarn/signatures, in the dialect
that RE2, Hyperscan and Python read alike), compiled by the matchers of parse/logs/matchers.py;
the parsers recheck every offered line with the same regex, so the engine's result is exactly
the per-line code's.

Line numbers are exact: line breaks are counted as Python's text reader counts them (`\\n`,
`\\r\\n` and a lone `\\r` each end a line), so a line number here is the one
`EvidenceRecord.lines()` gives. A plain file bigger than `SPLIT_BYTES` is scanned as two halves
split at a line end, the second half in a forked process, to use both cores (a compressed log
is one stream: one process).

Environment: FOREWARN_MATCHER=hyperscan|re2|python picks a matcher, FOREWARN_JOBS=1 keeps to
one process, FOREWARN_CACHE=DIR (or "off") moves the compiled-matcher cache.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from forewarn.parse.logs.matchers import (  # noqa: F401  (the engine's public names)
    Matcher, PatternSet, build_patterns, knowledge_base_patterns, line_bounds, line_start_hits, make,
    mark_hits, matcher_for,
)

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
        if not matcher.marks_inside:
            mark_hits(buf, lo, hi, positions)
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
    if not matcher.marks_inside:
        mark_hits(buf, off, n, pos)
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
