"""`lazy_compile`: a regex compiled when it is first used."""

from __future__ import annotations

import re
from typing import Any


class _Lazy:
    """A regex compiled when it is first used (see `lazy_compile`)."""

    __slots__ = ("_args", "_rx")

    def __init__(self, pattern: str, flags: int) -> None:
        self._args = (pattern, flags)
        self._rx: re.Pattern[str] | None = None

    def __getattr__(self, name: str) -> Any:
        rx = self._rx
        if rx is None:
            rx = self._rx = re.compile(*self._args)
        return getattr(rx, name)

    @property
    def pattern(self) -> str:  # the source, without compiling it (specs/_sniff.py gives it to RE2)
        return self._args[0]

    def __repr__(self) -> str:
        return f"lazy_compile({self._args[0]!r})"


def lazy_compile(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """`re.compile`, deferred to the pattern's first use. A run imports the parsers of what the
    rules it runs may read, and most of those specs are absent from a given bundle: compiling
    their ~200 module-level patterns cost a third of their import; the specs' ~200 sniff
    patterns are searched by an RE2 set (specs/_sniff.py), `re` only for a few. For parsers of
    files and command output; a log parser's per-line patterns stay `re.compile` (a use costs
    ~0.2 µs more).

    >>> rx = lazy_compile(r"(?P<n>[0-9]+) votes")
    >>> rx.search("Total 3 votes").group("n"), rx.pattern
    ('3', '(?P<n>[0-9]+) votes')
    """
    return _Lazy(pattern, flags)  # type: ignore[return-value]  # a stand-in with the Pattern's methods
