"""The log engine on a second core: a plain file's second half scanned at its own offsets in a
forked process (logscan/engine.py decides when)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any

from forewarn.logscan.matchers import Matcher
from forewarn.logscan.pieces import MatchedLine, Piece, iter_pieces, last_lines, scan_pieces

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
    each hit into a picklable record (or None) there; records stream back in batches. The
    parent takes in up to HOLD_BYTES of them while it scans its own half; past that a log full
    of matches fills a pipe, not memory: the worker waits until they are read."""

    BATCH = 512
    HOLD_BYTES = 16 << 20  # what the parent takes in while it scans its own half (then the pipe fills)

    def __init__(self, fd: int, start: int, end: int, matcher: Matcher,
                 make: Callable[[MatchedLine, dict[str, Any]], Any], tail: Callable[[Iterable[str]], Any]) -> None:
        import multiprocessing

        ctx = multiprocessing.get_context("fork")
        self.conn, child = ctx.Pipe(duplex=False)
        _widen(child.fileno())
        self.proc = ctx.Process(target=_work, args=(child, fd, start, end, matcher, make, tail), daemon=True)
        import gc

        # The forked worker shares the parent's heap page by page; a garbage collection there
        # would touch every object and copy it all (gc.freeze's documented use).
        gc.freeze()
        try:
            self.proc.start()
        finally:
            gc.unfreeze()
        child.close()
        self.lines = 0
        self.acc: dict[str, int] = {}
        self.tail: Any = None
        self.peak_rss_kib = 0
        self._held: list[bytes] = []  # messages taken in early, in order, still pickled (compact)
        self._held_bytes = 0

    def take_in(self) -> None:
        """Called by the parent between its own pieces: read what the worker has sent so far, so
        that a worker with many records does not wait on a full pipe until the parent's half is
        done (that made two processes as slow as one). Bounded by HOLD_BYTES of pickled records."""
        try:
            while self._held_bytes < self.HOLD_BYTES and self.conn.poll():
                data = self.conn.recv_bytes()
                self._held.append(data)
                self._held_bytes += len(data)
        except (EOFError, OSError):
            return  # records() says what happened

    def _messages(self) -> Iterator[Any]:
        import pickle

        held, self._held = self._held, []
        for data in held:
            yield pickle.loads(data)
        while True:
            try:
                yield self.conn.recv()
            except EOFError:
                raise WorkerFailed("the scanning process died") from None

    def cancel(self) -> None:
        """Stop the worker unheard: the parent read its half too (a sample that ran past it)."""
        self.conn.close()
        self.proc.kill()
        self.proc.join(timeout=30)

    def records(self) -> Iterator[Any]:
        try:
            for msg in self._messages():
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


def _widen(fd: int) -> None:
    """Let the pipe hold 1 MiB instead of 64 KiB (Linux): the parent reads the worker's records only
    between its own pieces, so with a small pipe the worker waits there, one batch at a time."""
    import fcntl

    try:
        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
    except OSError:  # not Linux, or above /proc/sys/fs/pipe-max-size: the default size works too
        pass


def _work(conn: Any, fd: int, start: int, end: int, matcher: Matcher,
          make: Callable[[MatchedLine, dict[str, Any]], Any], tail: Callable[[Iterable[str]], Any]) -> None:
    import resource
    import traceback

    try:
        reset = getattr(matcher, "reset_after_fork", None)
        if reset is not None:
            reset()
        acc: dict[str, Any] = {}
        batch: list[Any] = []

        def on_hit(hit: MatchedLine) -> None:
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
        counts = {k: v for k, v in acc.items() if isinstance(v, int)}  # make's other state stays here
        conn.send(("done", scan.lines, counts, tail(last_lines(scan)), peak))
    except BaseException:  # noqa: BLE001 - reported to the parent, which scans this half itself
        conn.send(("error", traceback.format_exc(limit=8)))
    finally:
        conn.close()
