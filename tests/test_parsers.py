"""Parser cases, pyinfra style: tests/parsers/<spec>/<case>.txt (real text, source in SOURCE.md)
against <case>.json: {"value": {...}, "problems": N}.

`value` is compared as a subset: every key given must match (dataclasses as dicts, tuples as
lists, datetimes as ISO strings); keys not given are not checked. `problems` (optional) is the
exact number of parse problems; `"value": null` means the parser must give up cleanly.
"""

from __future__ import annotations

import dataclasses
import enum
import json
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from forewarn.parse import get_parser

HERE = Path(__file__).parent / "parsers"


def plain(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, Counter):
        return {str(k): v for k, v in obj.items()}
    if isinstance(obj, dict):
        return {str(k): plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [plain(v) for v in obj]
    if isinstance(obj, datetime):
        return obj.isoformat()
    if isinstance(obj, enum.Enum):
        return obj.value
    return obj


def subset(expected: Any, actual: Any, path: str = "value") -> None:
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{path}: expected a mapping, got {actual!r}"
        for k, v in expected.items():
            assert k in actual, f"{path}.{k}: missing (have {sorted(actual)})"
            subset(v, actual[k], f"{path}.{k}")
    elif isinstance(expected, list):
        assert isinstance(actual, list), f"{path}: expected a list, got {actual!r}"
        assert len(expected) == len(actual), f"{path}: {len(actual)} items, expected {len(expected)}: {actual!r}"
        for i, (e, a) in enumerate(zip(expected, actual)):
            subset(e, a, f"{path}[{i}]")
    else:
        assert expected == actual, f"{path}: {actual!r} != expected {expected!r}"


def _cases():
    for txt in sorted(HERE.glob("*/*.txt")):
        yield pytest.param(txt.parent.name, txt, id=f"{txt.parent.name}/{txt.stem}")


@pytest.mark.parametrize("spec,path", list(_cases()))
def test_parser_case(spec: str, path: Path) -> None:
    p = get_parser(spec)
    assert p is not None, f"no parser for {spec}"
    expected = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    text = path.read_text(encoding="utf-8", errors="replace")
    parsed = p(text.splitlines() if p.stream else text)
    if expected.get("value", ...) is None:
        assert parsed.value is None
    elif "value" in expected:
        assert parsed.value is not None, [str(x) for x in parsed.problems]
        subset(expected["value"], plain(parsed.value))
    if "problems" in expected:
        assert len(parsed.problems) == expected["problems"], [str(x) for x in parsed.problems]


def test_every_parser_case_has_a_source_note() -> None:
    for folder in HERE.iterdir():
        if folder.is_dir() and any(folder.glob("*.txt")):
            assert (folder / "SOURCE.md").exists(), f"{folder.name}: add SOURCE.md naming where each case's text came from"
