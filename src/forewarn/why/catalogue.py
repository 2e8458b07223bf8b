"""Every catalogue row (all families, detect and advise) as data, from catalogue.yaml."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

_FILE = Path(__file__).with_name("catalogue.yaml")
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: ~10x faster


def _load() -> dict[str, dict[str, Any]]:
    data = yaml.load(_FILE.read_text(encoding="utf-8"), Loader=_LOADER) or {}  # noqa: S506 (safe loader)
    return {str(code): dict(row) for code, row in (data.get("rows") or {}).items()}


CATALOGUE: dict[str, dict[str, Any]] = _load()
