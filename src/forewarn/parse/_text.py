"""Tolerant text helpers shared by parsers."""

from __future__ import annotations

import re

from forewarn.model.problems import ParseProblem

_INT = re.compile(r"^-?\d+$")


def to_int(value: str | None) -> int | None:
    if value is None:
        return None
    value = value.strip()
    return int(value) if _INT.match(value) else None


def key_values(text: str, sep: str = ":") -> tuple[dict[str, tuple[str, int]], list[ParseProblem]]:
    """`Key: value` lines -> {key: (value, line_no)}. Lines without the separator are reported."""
    out: dict[str, tuple[str, int]] = {}
    problems: list[ParseProblem] = []
    for no, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or set(line) <= {"-", "="}:
            continue
        if sep not in line:
            problems.append(ParseProblem("no key/value separator", no, raw))
            continue
        key, _, value = line.partition(sep)
        out.setdefault(key.strip(), (value.strip(), no))
    return out, problems


def strip_comment(line: str, marker: str = "#") -> str:
    """Drop a trailing comment that is not inside double quotes."""
    in_quote = False
    for i, ch in enumerate(line):
        if ch == '"':
            in_quote = not in_quote
        elif ch == marker and not in_quote:
            return line[:i]
    return line
