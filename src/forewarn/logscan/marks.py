"""The lines the log engine offers whatever the signatures say, and where a line is in a block.

Besides the lines where some signature matches (logscan/matchers.py), the parsers must see:

- comment lines (`#`, `//` after white space): the parsers count them;
- lines that start with `{` (JSON journal and container logs): the message is JSON-escaped;
- klog lines whose E/F severity alone makes them errors (the report's unexplained errors);
- lines with a backslash escape (`\\"`, `\\n`, `\\\\`, `\\t`, `\\u`) or a NUL byte: the reader
  unescapes them and drops NUL runs, and a signature may match only the text it gets. Such a
  line is read only when, without its backslashes and NULs, it holds a signature's literal
  (`EscapedLines`: one RE2 pass over all such lines of a piece instead of a Python call per
  line; kubelet and containerd lines quote with `\\"`).

`#` and `{` at a line start are found with memchr (`line_start_hits`); Hyperscan finds the
others with its signature patterns (`MARKS`, `ESCAPE_MARKS`), at no cost; for RE2 and the
pure-Python matcher, whose sets get slower with every pattern, `//`, klog and escapes are
found apart (their own patterns, `mark_hits`).
"""

from __future__ import annotations

import re

MARK = -2  # the pattern index of a line offered by `line_start_hits`
ESCAPED = -3  # the pattern index of a line offered by `mark_hits` (escapes, NULs)

# Bytes that may start a line before a comment's `#` or a JSON line's `{`: white space as Python
# sees it (\s, which includes \x1c-\x1f) and any non-ASCII byte (Unicode spaces), a superset.
_LEAD = bytes([9, 11, 12, 28, 29, 30, 31, 32]) + bytes(range(128, 256))
LINE_START_MARKS = (b"#", b"{")  # found with memchr; `//` (a slow needle for bytes.find) by the matchers
# `//` at a line start after white space (multi-line mode), and after a lone \r, which ends a
# line too but is no line start to `^`
SLASH_COMMENT = (r"^[\x09\x0b\x0c\x1c-\x20\x80-\xff]*//", r"\x0d[\x09\x0b\x0c\x1c-\x20\x80-\xff]*//")
# a klog line whose E/F severity alone says it is an error (parse/log/unexplained.py, _KLOG_ERROR)
KLOG_ERROR = (r"^[EFef][0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2}", r"\x0d[EFef][0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2}")
MARKS = SLASH_COMMENT + KLOG_ERROR  # those starting with `^` are multi-line
KLOG_LINES = re.compile(("(?m)(?:^|\r)" + KLOG_ERROR[0][1:]).encode())  # the same, for the pure-Python matcher
# What `mark_hits` finds, as patterns (multi-line mode). Each runs to its line's end so that
# Hyperscan, which reports a pattern once per end offset, reports it once a line however many
# escapes the line holds (a kubelet line quotes with `\"` a dozen times).
ESCAPE_MARKS = (r"\x5c[\x5c\x22nrtu\x2f][^\x0a\x0d]*(?:\x0d|$)", r"\x00[^\x0a\x0d]*(?:\x0d|$)")
_ESCAPE_NEXT = frozenset(b'\\"nrtu/')  # after a backslash: the escapes parse/log/unwrap.py undoes


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


def line_start_hits(buf: bytes, lo: int, hi: int, out: list[int],
                    marks: tuple[bytes, ...] = LINE_START_MARKS) -> None:
    """Positions in buf[lo:hi] of `#` and `{` (and whatever else is in `marks`) that only white
    space precedes on their line: comment lines (which the parsers count) and JSON lines
    (whose message is JSON-escaped in the raw line, so only the parser's own check on the
    decoded line is sure). `//` comments are found by the matchers (see SLASH_COMMENT)."""
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


def _line_end(buf: bytes, i: int, hi: int) -> int:
    """The position of the line break after `i` (\\n or a lone \\r), or -1."""
    n, r = buf.find(b"\n", i, hi), buf.find(b"\r", i, hi)
    return n if r < 0 else r if n < 0 else min(n, r)


def mark_hits(buf: bytes, lo: int, hi: int, out: list[int]) -> None:
    """Positions in buf[lo:hi] of backslash escapes and NUL bytes: their lines may hold what a
    signature matches once unwrapped (see the module's docstring). memchr finds them, one
    position per line."""
    find = buf.find
    i = find(b"\\", lo, hi)
    while 0 <= i < hi - 1:
        if buf[i + 1] in _ESCAPE_NEXT:
            out.append(i)
            i = _line_end(buf, i, hi)
            if i < 0:
                break
        i = find(b"\\", i + 1, hi)
    i = find(b"\x00", lo, hi)
    while i >= 0:
        out.append(i)
        i = _line_end(buf, i, hi)
        if i < 0:
            break
        i = find(b"\x00", i, hi)


# The two characters whose lower case (Python's str.lower) holds an ASCII letter, in UTF-8:
# İ -> "i̇", the Kelvin sign -> "k". A byte-wise ASCII case-insensitive search would miss them.
_LOWERS_TO_ASCII = (b"\xc4\xb0", b"\xe2\x84\xaa")


class EscapedLines:
    """Which lines, offered for their escapes or NULs alone, a signature could name once the
    reader unwraps them: what parse/log/match.could_name says of each (the line without its
    backslashes and NULs holds a literal of a signature, or it holds a `\\u` escape, which can
    spell any), for all the lines of a piece in one RE2 pass."""

    def __init__(self, literals: tuple[bytes, ...]) -> None:
        import re2

        opts = re2.Options()
        opts.encoding = re2.Options.Encoding.LATIN1  # bytes as they are: ASCII literals, ASCII case folding
        opts.never_capture = True
        opts.max_mem = 64 << 20
        self.rx = re2.compile(b"(?i)(?:" + b"|".join(re.escape(lit) for lit in literals) + b")", opts)

    def could_name(self, buf: bytes, spans: list[tuple[int, int]]) -> list[bool]:
        """For each line buf[start:end] of `spans` (no line break inside): whether to read it."""
        joined = b"\n".join([buf[s:e] for s, e in spans])
        if any(ch in joined for ch in _LOWERS_TO_ASCII):
            return [True] * len(spans)
        keep = [buf.find(b"\\u", s, e) >= 0 for s, e in spans]
        text = joined.translate(None, b"\\\x00")  # the line breaks stay: line k is the k-th
        search, find, count = self.rx.search, text.find, text.count
        pos = line = 0
        while True:
            m = search(text, pos)
            if m is None:
                return keep
            at = m.start()
            line += count(b"\n", pos, at)
            keep[line] = True
            pos = find(b"\n", at) + 1  # on to the next line
            if not pos:
                return keep
            line += 1
