"""The fast log engine: find the few lines of a big log that a signature can match, in one pass.

A log on a struggling node can be gigabytes, and almost none of its lines matter. Calling Python
once per line caps a scan near 400 MB/s before any matching is done, so this engine never does:
it reads the log 1 MiB at a time, hands each read (cut at its first and last line break, with
no copy) to a multi-pattern matcher that runs in C, counts line breaks with bytes.count, and gives
Python only the lines a pattern matched. The parsers (parse/log/syslog.py) run their exact
per-line code on those lines. Memory stays bounded: two reads are held at a time.

The patterns are the knowledge base's own signatures (forewarn/signatures, in the dialect
that RE2, Hyperscan and Python read alike), compiled by the matchers of logscan/matchers.py;
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
from dataclasses import dataclass
from typing import IO, Any

from forewarn.logscan.marks import line_bounds, line_start_hits, mark_hits  # noqa: F401  (the engine's public names)
from forewarn.logscan.matchers import (  # noqa: F401  (the engine's public names)
    Matcher, PatternSet, build_patterns, knowledge_base_patterns, make, matcher_for,
)
from forewarn.logscan.pieces import (  # noqa: F401  (the engine's public names)
    BLOCK_BYTES, MAX_LINE_BYTES, SPLIT_BYTES, MatchedLine, Piece, RangeScan, count_breaks, iter_pieces, last_lines,
    scan_pieces,
)
from forewarn.logscan.workers import (  # noqa: F401  (the engine's public names)
    Worker, WorkerFailed, cores, line_start_after, plain_file, pread_pieces,
)


# -- driving a log parser --------------------------------------------------------------------------


@dataclass
class LogScan:
    lines: int  # lines in the whole log
    acc: dict[str, Any]  # what `make` counted (e.g. comment lines: ints, summed over both processes)
    tail: Any = None  # what `tail` found at the end of the log (None: nothing, or all sampled)
    sampled_all: bool = False  # the sample took the whole log: the per-line code saw every line


def scan_log(src: Any, matcher: Matcher, *, sampling: Callable[[], bool],
             sample_line: Callable[[int, str, bool], None], make: Callable[[MatchedLine, dict[str, Any]], Any],
             apply: Callable[[Any, int, Any], None], tail: Callable[[Iterable[str]], Any]) -> LogScan:
    """Drive a log parser over `src` (anything with `open_bytes()`).

    While `sampling()` is true, every line goes to `sample_line(no, text, maybe)` (`maybe` is
    False when no signature can match the line). After that, only the lines the matcher offers:
    each is turned into a record by `make(hit, acc)` (None: nothing) and handed, in file order,
    to `apply(record, line_offset, fallback)`. For a plain file bigger than SPLIT_BYTES, `make`
    runs in a forked process for the second half, so its records must pickle; there
    `line_offset` is the number of lines before that half and `fallback` what `tail` found at
    the end of the first half (for a record that looked back past its half's start).
    `acc` is make's per-pass state, one per process: its int values are counts, summed over
    both processes at the end (comment lines); make keeps what else it needs there too."""
    acc: dict[str, Any] = {}

    def take(hit: MatchedLine) -> None:
        rec = make(hit, acc)
        if rec is not None:
            apply(rec, 0, None)

    with src.open_bytes() as fh, _ReadAhead(fh) as read:
        fd = plain_file(fh)
        size = os.fstat(fd).st_size if fd is not None else 0
        worker: Worker | None = None
        mid = size  # where the worker's half starts (none: the end)
        if fd is not None and size >= SPLIT_BYTES and cores() >= 2:
            # two halves split at a line end, the second one in a forked process, which starts
            # at once: it does not wait for the parent's per-line sample of the first lines
            mid = line_start_after(fd, size // 2, size)
            worker = Worker(fd, mid, size, matcher, make, tail)
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
            if worker is not None:
                worker.cancel()
            return LogScan(no, acc, None, True)
        start = consumed + off - lo  # where the engine takes over, in bytes
        if worker is None or start > mid:  # one process (or the sample ran past the middle)
            if worker is not None:
                worker.cancel()
            scan = scan_pieces(_chain(rest, pieces), matcher, line_base=no, on_hit=take)
            return LogScan(no + scan.lines, acc, tail(last_lines(scan)))
        assert fd is not None
        scan = scan_pieces(_taking_in(pread_pieces(fd, start, mid), worker), matcher, line_base=no, on_hit=take)
        total = no + scan.lines
        first_tail = tail(last_lines(scan))
        done = 0  # the worker's records applied (relative line number of the last)
        try:
            for rec in worker.records():
                apply(rec, total, first_tail)
                done = _line_of(rec)
        except WorkerFailed:  # scan the second half here, past what was applied
            def take_rest(hit: MatchedLine) -> None:
                if hit.line_no > done:
                    rec = make(hit, acc)
                    if rec is not None:
                        apply(rec, total, first_tail)

            scan2 = scan_pieces(pread_pieces(fd, mid, size), matcher, on_hit=take_rest)
            end_tail = tail(last_lines(scan2))
            return LogScan(total + scan2.lines, acc, end_tail if end_tail is not None else first_tail)
        for k, v in worker.acc.items():  # the counts (make's other per-pass state stays in its process)
            if isinstance(v, int):
                acc[k] = acc.get(k, 0) + v
        return LogScan(total + worker.lines, acc, worker.tail if worker.tail is not None else first_tail)


def _taking_in(pieces: Iterable[Piece], worker: Worker) -> Iterator[Piece]:
    """The parent's pieces, with the worker's records read in between (Worker.take_in)."""
    for piece in pieces:
        worker.take_in()
        yield piece


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
