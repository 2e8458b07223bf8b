"""Reading Proxmox VE API JSON: what the collector stored, or a pasted `pvesh get ... --output-format json`.

The collector writes a list one element per line (collect/sources/api.py), so an element's line
number points at exactly that element in a report's excerpt; pretty-printed pastes work too (the
line is where the element opens). A paste's prompt line before the JSON is skipped, and an HTTP
body's `{"data": ...}` wrapper is unwrapped.
"""

from __future__ import annotations

import json
from typing import Any

from forewarn.model.problems import ParseProblem
from forewarn.parse._text import lazy_compile

_DECODER = json.JSONDecoder()
_DATA = lazy_compile(r'"data"\s*:\s*\[')


def _line_at(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def _starts(text: str) -> list[int]:
    """Where the JSON may start: each line that opens an array or object (a prompt such as
    `[kate@pve:~]$ pvesh get ...` opens one too, and is skipped when it does not decode)."""
    out, pos = [], 0
    for line in text.splitlines(keepends=True):
        if line.lstrip().startswith(("[", "{")):
            out.append(pos + (len(line) - len(line.lstrip())))
        pos += len(line)
    return out


def _skip_ws(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def json_rows(text: str) -> tuple[list[tuple[int, dict[str, Any]]] | None, list[ParseProblem]]:
    """The objects of an API answer that is a list, each with its line; None if it is not one.

    >>> json_rows('$ pvesh get /x --output-format json\\n[\\n{"a": 1},\\n{"a": 2}\\n]\\n')
    ([(3, {'a': 1}), (4, {'a': 2})], [])
    >>> json_rows('{"data": [{"a": 1}]}')
    ([(1, {'a': 1})], [])
    >>> json_rows('{"data": [\\n  {"a": 1},\\n  {"a": 2}\\n]}')
    ([(2, {'a': 1}), (3, {'a': 2})], [])
    >>> json_rows('[kate@pve:~]$ pvesh get /x --output-format json\\n[{"a": 1}]')
    ([(2, {'a': 1})], [])
    >>> json_rows('no json here')[1][0].reason
    'no JSON array or object found'
    """
    starts = _starts(text)
    if not starts:
        return None, [ParseProblem("no JSON array or object found")]
    first_error: ParseProblem | None = None
    for start in starts[:20]:
        try:
            value, _ = _DECODER.raw_decode(text, start)
            break
        except ValueError as exc:
            first_error = first_error or ParseProblem(
                f"not valid JSON ({exc.args[0] if exc.args else exc})", _line_at(text, start))
    else:
        return None, [first_error or ParseProblem("no JSON array or object found")]
    if isinstance(value, dict) and "data" in value:
        data = value["data"]
        if not isinstance(data, list):
            return None, [ParseProblem("the answer's data is not a list", _line_at(text, start))]
        m = _DATA.search(text, start)
        if m is None:  # `data` not where a plain body has it: every element at the body's line
            return _objects([(_line_at(text, start), v) for v in data])
        start = m.end() - 1
    elif not isinstance(value, list):
        return None, [ParseProblem("the answer is not a list", _line_at(text, start))]
    # walk the array again to learn where each element starts
    located: list[tuple[int, Any]] = []
    pos = _skip_ws(text, start + 1)
    while pos < len(text) and text[pos] != "]":
        elem, end = _DECODER.raw_decode(text, pos)
        located.append((_line_at(text, pos), elem))
        pos = _skip_ws(text, end)
        if pos < len(text) and text[pos] == ",":
            pos = _skip_ws(text, pos + 1)
    return _objects(located)


def _objects(located: list[tuple[int, Any]]) -> tuple[list[tuple[int, dict[str, Any]]], list[ParseProblem]]:
    rows: list[tuple[int, dict[str, Any]]] = []
    problems: list[ParseProblem] = []
    for line, v in located:
        if isinstance(v, dict):
            rows.append((line, v))
        else:
            problems.append(ParseProblem("an element of the list is not an object", line, repr(v)[:80]))
    return rows, problems


def as_int(value: Any) -> int | None:
    """The API gives numbers as numbers, or (older releases, some fields) as strings."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return None
    return None
