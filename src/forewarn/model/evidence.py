"""Evidence: what was read, exactly as read, with where it came from.

An `EvidenceRecord` keeps the sos manifest fields (command or path, exit code, start, end,
timed out, truncated). Its text is loaded lazily through an opener so that a gigabyte log is
streamed line by line and never held whole in memory.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

# Anything bigger than this is not a config or a command output: read it as a stream or not at all.
MAX_TEXT_BYTES = 16 * 1024 * 1024
SNIFF_BYTES = 8192
GZIP_MAGIC = b"\x1f\x8b"


def gunzip_head(head: bytes) -> bytes:
    """The first bytes of what a gzip-compressed `head` holds (as much as it decompresses to);
    `head` itself if it is not gzip."""
    if not head.startswith(GZIP_MAGIC):
        return head
    import zlib

    try:
        return zlib.decompressobj(wbits=47).decompress(head, 1 << 20)
    except zlib.error:
        return head


def _maybe_gunzip(fh: IO[bytes]) -> IO[bytes]:
    """`fh`, decompressed on the fly if it starts with the gzip magic (rotated logs: syslog.2.gz)."""
    peek = getattr(fh, "peek", None)
    if peek is not None:
        magic = peek(2)[:2]
    elif fh.seekable():
        magic = fh.read(2)
        fh.seek(0)
    else:  # pragma: no cover - every opener here gives a peekable or seekable stream
        return fh
    if magic == GZIP_MAGIC:
        return gzip.GzipFile(fileobj=fh, mode="rb")  # type: ignore[return-value]
    return fh


def _plain_within(fh: IO[bytes], cap: int) -> bool:
    """A plain file on disk no bigger than `cap` (read as it is: no expansion is possible)."""
    import os
    import stat

    if type(fh) is not io.BufferedReader or not isinstance(fh.raw, io.FileIO):
        return False
    try:
        st = os.fstat(fh.fileno())
    except OSError:
        return False
    return stat.S_ISREG(st.st_mode) and st.st_size <= cap and fh.tell() == 0


def _is_plain_record(rec: "EvidenceRecord") -> bool:
    from forewarn.model.bounded import LIMITS

    if rec.data is not None or rec.opener is None:
        return False
    try:
        with rec.opener() as fh:
            peek = getattr(fh, "peek", None)
            magic = peek(2)[:2] if peek is not None else b""
            return magic != GZIP_MAGIC and _plain_within(fh, LIMITS.artifact_bytes)
    except OSError:
        return False


def looks_binary(head: bytes) -> bool:
    """Whether `head` (a file's first bytes) is binary data rather than text: the one definition
    of binary for explain, scan, bundles and live collection.

    Runs of NUL bytes do not make text binary: a crash or power loss leaves NUL blocks in a
    syslog, and the reader skips them. Set them aside; what remains is binary when it is mostly
    not text: bytes that do not decode as UTF-8, or control characters other than tab, line
    breaks, form feed and escape, make up more than a tenth of it (and more than one).
    A head of nothing but NULs says nothing either way: it is not called binary here.

    >>> looks_binary(b"Mar 21 09:12:44 pve5 kernel: ok\\n" + b"\\0" * 4096 + b"Mar 21 09:20:01 pve5 kernel: Linux version")
    False
    >>> looks_binary(bytes(range(256)) * 8)
    True
    >>> looks_binary(b"PK\\x03\\x04" + b"\\0" * 100)  # a zip: NUL runs aside, half of it is not text
    True
    >>> looks_binary(b"\\x7fELF\\x02\\x01\\x01" + b"\\0" * 9 + b"\\x03\\x00>\\x00\\x01\\x00\\x00\\x00\\x10\\x6a\\x01" * 40)
    True
    """
    if not head:
        return False
    rest = head.replace(b"\x00", b"")
    if not rest:
        return False
    text = rest.decode("utf-8", errors="replace")
    bad = sum(1 for ch in text if ch == "\ufffd" or (ch < " " and ch not in "\t\n\r\f\v\x1b") or ch == "\x7f")
    return bad > max(1, len(text) // 10)


@dataclass(slots=True)
class EvidenceRecord:
    spec: str
    node: str
    artifact: str  # path inside the bundle, or the file name the user gave
    source: str = ""  # the command that ran or the path that was read on the node
    kind: str = "file"  # "command" | "file" | "log"
    rc: int | None = None
    started: str | None = None
    ended: str | None = None
    duration: float | None = None
    timed_out: bool = False
    truncated: bool = False
    sha256: str | None = None
    size: int | None = None
    error: str | None = None  # collection error (node unreachable, permission denied, ...)
    redacted: int | None = None  # how many secret values live collection masked in it
    read_capped: bool = False  # reading stopped at the cap on an artifact's bytes (model/bounded.py)
    lines_cut: int = 0  # lines longer than the line cap, cut when streamed
    opener: Callable[[], IO[bytes]] | None = field(default=None, repr=False)
    data: bytes | None = field(default=None, repr=False)
    _text_cache: str | None = field(default=None, repr=False)

    # -- reading ------------------------------------------------------------------------
    def open_bytes(self, *, lines: bool = False) -> IO[bytes]:
        """The artifact's bytes; a gzip-compressed artifact is decompressed as it is read.
        Bounded (model/bounded.py): at most the cap on an artifact's bytes, and with `lines`
        no line longer than the line cap. A plain file within the cap is given as it is (a log
        engine reads it at any offset, and its monster lines in bounded pieces)."""
        from forewarn.model.bounded import LIMITS, bounded

        if self.data is not None:
            if self.data.startswith(GZIP_MAGIC):
                fh: IO[bytes] = gzip.GzipFile(fileobj=io.BytesIO(self.data), mode="rb")  # type: ignore[assignment]
                return bounded(fh, counts=self, lines=lines)
            return bounded(io.BytesIO(self.data), counts=self, lines=lines) if lines else io.BytesIO(self.data)
        if self.opener is None:
            return io.BytesIO(b"")
        raw = self.opener()
        try:
            fh = _maybe_gunzip(raw)
            if fh is raw and _plain_within(raw, LIMITS.artifact_bytes) and not lines:
                return fh
            return bounded(fh, counts=self, lines=lines)
        except BaseException:
            raw.close()
            raise

    def head(self, n: int = SNIFF_BYTES) -> bytes:
        with self.open_bytes() as fh:
            return fh.read(n)

    def is_binary(self) -> bool:
        return looks_binary(self.head())

    def text(self, limit: int = MAX_TEXT_BYTES) -> str:
        """The whole artifact as text, capped at `limit` bytes (marks `truncated`)."""
        if self._text_cache is None:
            with self.open_bytes() as fh:
                raw = fh.read(limit + 1)
            if len(raw) > limit:
                raw = raw[:limit]
                self.truncated = True
            self._text_cache = raw.decode("utf-8", errors="replace")
        return self._text_cache

    def lines(self) -> "LineStream":
        """Stream lines (without newline) in bounded memory, whatever the artifact's size.
        The stream also offers `open_bytes()`, so a log parser can read it as bytes instead."""
        return LineStream(self)

    def to_manifest(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "path": self.artifact,
            "spec": self.spec,
            "node": self.node,
            "kind": self.kind,
            "source": self.source,
        }
        for key in ("rc", "started", "ended", "duration", "sha256", "size", "error", "redacted"):
            val = getattr(self, key)
            if val is not None:
                out[key] = val
        if self.started is not None:  # collected live: the exit code is always recorded (null: did not finish)
            out.setdefault("rc", None)
        out["timed_out"] = self.timed_out
        out["truncated"] = self.truncated
        return out


class LineStream:
    """An artifact's lines, read when iterated (`\n`, `\r\n` and a lone `\r` end a line);
    `open_bytes()` gives the same artifact as bytes, for parsers that scan blocks."""

    __slots__ = ("record",)

    def __init__(self, record: EvidenceRecord) -> None:
        self.record = record

    def open_bytes(self) -> IO[bytes]:
        """For a log engine: a plain file as it is (the engine bounds its lines itself), any
        other stream with its lines cut at the line cap."""
        return self.record.open_bytes(lines=not _is_plain_record(self.record))

    def __iter__(self) -> Iterator[str]:
        with self.record.open_bytes(lines=True) as fh:
            reader = io.TextIOWrapper(fh, encoding="utf-8", errors="replace", newline="")
            for line in reader:
                yield line.rstrip("\r\n")
