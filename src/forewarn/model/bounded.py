"""Bounded reading: what forewarn reads from an input it was given is bounded in time and memory.

- Only regular files are opened (`open_regular`): a FIFO or a device given as input would block
  in `open()` or never end; it is refused with a one-line message instead.
- An artifact's bytes are capped (`LIMITS.artifact_bytes`, 1 GiB by default, `--max-artifact-size`
  raises it) wherever they can expand beyond what is on disk: a `.gz` that inflates to 10 GiB, a
  sparse tar member of 100 GiB, a plain file bigger than the cap. Only the first bytes are read.
- A line read as a stream is capped (`LIMITS.line_bytes`, 1 MiB): the rest of a longer line is
  skipped up to its end, so a log of one 10 GiB line costs one megabyte, not ten gigabytes.

Both are counted on the record (`read_capped`, `lines_cut`) and said in the report
(`reading_findings`: FW911). The line cap applies to streamed lines only, never to an artifact
read whole as text (command output such as `ip -j link` is one long JSON line).
"""

from __future__ import annotations

import errno
import io
import os
import stat
from dataclasses import dataclass
from typing import IO, Any, Protocol

GiB = 1 << 30
MiB = 1 << 20
_CHUNK = 256 * 1024  # one read from the source; never more than the line cap


@dataclass(slots=True)
class Limits:
    artifact_bytes: int = GiB
    line_bytes: int = MiB


LIMITS = Limits()


class NotRegular(OSError):
    """The path is not a regular file (a FIFO, a device, a socket, a directory)."""


_KINDS = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a directory"))


def not_regular(mode: int) -> str | None:
    """What a file of this mode is, when it is not a regular file."""
    if stat.S_ISREG(mode):
        return None
    return next((what for test, what in _KINDS if test(mode)), "not a regular file")


def open_regular(path: str | os.PathLike[str]) -> IO[bytes]:
    """Open a regular file for reading without ever blocking in `open()` (O_NONBLOCK: a FIFO
    would wait there for a writer); anything else raises `NotRegular`."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        what = not_regular(os.fstat(fd).st_mode)
        if what is not None:
            raise NotRegular(errno.EINVAL, f"is {what}, not a file", os.fspath(path))
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def parse_size(text: str) -> int:
    """`4G`, `512M`, `100k`, `2GiB` or plain bytes -> bytes (ValueError if it is none of them).

    >>> parse_size("4G"), parse_size("512MiB"), parse_size("1000")
    (4294967296, 536870912, 1000)
    """
    t = text.strip().lower().removesuffix("ib").removesuffix("b")
    mult = {"k": 1 << 10, "m": MiB, "g": GiB, "t": 1 << 40}.get(t[-1:], 1)
    number = t[:-1] if mult != 1 else t
    value = int(float(number) * mult)
    if value <= 0:
        raise ValueError(text)
    return value


def human(n: int) -> str:
    for unit, size in (("GiB", GiB), ("MiB", MiB), ("KiB", 1 << 10)):
        if n >= size:
            v = n / size
            return f"{v:.0f} {unit}" if v == int(v) else f"{v:.1f} {unit}"
    return f"{n} bytes"


class _Counts(Protocol):
    read_capped: bool
    lines_cut: int
    truncated: bool


class Bounded(io.RawIOBase):
    """`src` read through the caps: at most `cap` bytes of it, and (with `line_cap`) no line
    longer than that (the rest of the line is skipped, its line break kept). What was cut is
    counted on `counts` (an EvidenceRecord) when the stream is closed."""

    def __init__(self, src: IO[bytes], *, cap: int, line_cap: int | None = None,
                 counts: _Counts | None = None) -> None:
        self.src = src
        self.left = cap
        self.line_cap = max(line_cap, _CHUNK) if line_cap else None
        self.counts = counts
        self.run = 0  # bytes of the current line given out so far
        self.dropping = False  # in the part of a long line that is skipped
        self.capped = False
        self.cuts = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        want = min(len(b), _CHUNK)
        while True:
            if self.left <= 0:
                if not self.capped and self.src.read(1):
                    self.capped = True  # there was more than the cap
                return 0
            chunk = self.src.read(min(want, self.left))
            if not chunk:
                return 0
            self.left -= len(chunk)
            out = self._cut(chunk) if self.line_cap else chunk
            if out:
                b[:len(out)] = out
                return len(out)

    def _cut(self, chunk: bytes) -> bytes:
        """Lines of `chunk` with every line cut at `line_cap`. A chunk is never longer than the
        cap, so only its first and its last line can be too long."""
        cap = self.line_cap
        assert cap is not None
        if self.dropping:
            nl = _first_break(chunk)
            if nl < 0:
                return b""
            chunk, self.dropping, self.run = chunk[nl:], False, 0
        first = _first_break(chunk)
        if first < 0:
            if self.run + len(chunk) <= cap:
                self.run += len(chunk)
                return chunk
            keep = cap - self.run
            self.run, self.dropping = cap, True
            self.cuts += 1
            return chunk[:keep]
        head = b""
        if self.run + first > cap:  # the line begun in an earlier chunk ends here, too long
            head = chunk[:cap - self.run]
            chunk = chunk[first:]
            self.cuts += 1
        else:
            head, chunk = chunk[:first], chunk[first:]
        last = max(chunk.rfind(b"\n"), chunk.rfind(b"\r"))
        self.run = len(chunk) - last - 1
        return head + chunk

    def close(self) -> None:
        if not self.closed:
            if self.counts is not None:
                if self.capped:
                    self.counts.read_capped = True
                    self.counts.truncated = True
                self.counts.lines_cut = max(self.counts.lines_cut, self.cuts)
            self.src.close()
        super().close()


def _first_break(chunk: bytes) -> int:
    n, r = chunk.find(b"\n"), chunk.find(b"\r")
    return n if r < 0 else r if n < 0 else min(n, r)


def bounded(src: IO[bytes], *, counts: _Counts | None = None, lines: bool = False) -> IO[bytes]:
    """`src` through the caps of `LIMITS` (the line cap too when `lines`), buffered."""
    raw = Bounded(src, cap=LIMITS.artifact_bytes, line_cap=LIMITS.line_bytes if lines else None,
                  counts=counts)
    return io.BufferedReader(raw, buffer_size=_CHUNK)


def reading_findings(records: Any) -> list[Any]:
    """FW911: the artifacts that were read only in part (the cap on bytes, long lines cut)."""
    from forewarn.model.internal import internal_finding

    parts = []
    nodes = set()
    for r in records:
        what = []
        if getattr(r, "read_capped", False):
            what.append(f"only its first {human(LIMITS.artifact_bytes)} was read")
        if getattr(r, "lines_cut", 0):
            what.append(f"{r.lines_cut} line(s) longer than {human(LIMITS.line_bytes)} were cut there")
        if what:
            parts.append(f"{r.artifact}: {', '.join(what)}")
            nodes.add(r.node)
    if not parts:
        return []
    shown = "; ".join(parts[:8]) + (f"; +{len(parts) - 8} more" if len(parts) > 8 else "")
    return [internal_finding(
        "FW911", "evidence-read-in-part", "Evidence read only in part",
        f"{shown}. What lies beyond was not checked (--max-artifact-size raises the cap on bytes)",
        nodes=tuple(sorted(n for n in nodes if n != "unknown")), details={"artifacts": parts})]
