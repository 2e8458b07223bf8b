"""Tolerant text helpers shared by parsers."""

from __future__ import annotations

import ipaddress
import re
from typing import Any

_INT = re.compile(r"-?\d+")
_COUNT = re.compile(r"\d+")


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

    def __repr__(self) -> str:
        return f"lazy_compile({self._args[0]!r})"


def lazy_compile(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """`re.compile`, deferred to the pattern's first use. A run imports the parsers of what the
    rules it runs may read, and most of those specs are absent from a given bundle: compiling
    their ~200 module-level patterns cost a third of their import. For parsers of files and
    command output; a log parser's per-line patterns stay `re.compile` (a use costs ~0.2 µs more).

    >>> rx = lazy_compile(r"(?P<n>[0-9]+) votes")
    >>> rx.search("Total 3 votes").group("n"), rx.pattern
    ('3', '(?P<n>[0-9]+) votes')
    """
    return _Lazy(pattern, flags)  # type: ignore[return-value]  # a stand-in with the Pattern's methods


def to_int(value: str | None, *, signed: bool = True) -> int | None:
    """A whole number written in decimal (`-3`, ` 42 `), else None; `signed=False` refuses a minus.

    >>> to_int(" 42 "), to_int("-3"), to_int("-3", signed=False), to_int("4k"), to_int(None)
    (42, -3, None, None, None)
    """
    if value is None:
        return None
    value = value.strip()
    return int(value) if (_INT if signed else _COUNT).fullmatch(value) else None


def int_value(value: Any) -> int | None:
    """A whole number decoded from JSON or TOML, else None (their true and false are not numbers here).

    >>> int_value(3), int_value(True), int_value("3"), int_value(3.0)
    (3, None, None, None)
    """
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def ip_of(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The IP address `text` is (an IPv6 `%zone` dropped), else None.

    >>> ip_of("fe80::1%eth0"), ip_of("10.0.0.5"), ip_of("compute3")
    (IPv6Address('fe80::1'), IPv4Address('10.0.0.5'), None)
    """
    try:
        return ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None


def strip_comment(line: str, marker: str = "#") -> str:
    """Drop a trailing comment that is not inside double quotes."""
    in_quote = False
    for i, ch in enumerate(line):
        if ch == '"':
            in_quote = not in_quote
        elif ch == marker and not in_quote:
            return line[:i]
    return line
