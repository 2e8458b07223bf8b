"""Which of the specs' content patterns match a loose file's first bytes, in one pass.

Scoring a loose file asks, of each spec's sniff patterns (~200), whether it matches anywhere in
the file's head (up to 64 KiB): one Python search each took ~0.13 s for a full head, at every
start, for every loose file. An RE2 set answers for all the patterns it accepts in one pass.

RE2 and Python's `re` read those patterns alike on ASCII text: RE2's `\\s`, `\\d`, `\\w` and `\\b`
are ASCII classes, and Python's `\\s` also counts `\\v` and `\\x1c`-`\\x1f` as spaces, so a head
holding those, or anything not ASCII, is searched with `re`. So are the patterns RE2 refuses
(lookarounds, `\\Z`, back references) and two it would read otherwise (`x{,3}` is a repetition
to Python and text to RE2; `[[:alpha:]]` a POSIX class to RE2 and a set of characters to Python).
tests/test_specs_sniff.py holds the two to the same answers on every real file of the tests.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

_NOT_RE2_TEXT = re.compile(r"[^\x00-\x0a\x0c-\x1b\x20-\x7f]")  # what only Python's re reads right


class Sniffer:
    """The patterns of every spec, and an RE2 set of those it can answer for."""

    def __init__(self, patterns: Iterable[re.Pattern[str]]) -> None:
        self.patterns = list(patterns)
        self.in_set: dict[int, int] = {}  # index in `patterns` -> index in the set
        self.set: Any = None
        try:
            import re2

            opts = re2.Options()
            opts.log_errors = False  # a pattern it refuses is searched with re, not reported on stderr
            opts.never_capture = True
            rset = re2.Set.SearchSet(opts)
            for i, rx in enumerate(self.patterns):
                if "{," in rx.pattern or "[:" in rx.pattern:
                    continue
                try:
                    self.in_set[i] = rset.Add("(?m)" + rx.pattern)
                except re2.error:
                    continue
            rset.Compile()
            self.set = rset
        except Exception:  # noqa: BLE001 - no RE2, or it refuses the set: every pattern is searched with re
            self.in_set, self.set = {}, None

    def matching(self, head: str) -> set[int]:
        """The indexes (in `patterns`) of the patterns that match somewhere in `head`."""
        if self.set is None or _NOT_RE2_TEXT.search(head):
            return {i for i, rx in enumerate(self.patterns) if rx.search(head)}
        hits = set(self.set.Match(head) or ())
        return {i for i, rx in enumerate(self.patterns)
                if (self.in_set[i] in hits if i in self.in_set else rx.search(head))}
