"""Tolerant text helpers shared by parsers."""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from forewarn.model.lazyre import lazy_compile as lazy_compile  # re-exported: the parsers use it

_INT = re.compile(r"-?\d+")
_COUNT = re.compile(r"\d+")


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
