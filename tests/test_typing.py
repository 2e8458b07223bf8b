"""`mypy --strict` over facts/ and rules/: a rule reads typed facts (`ctx.by_node(KEY)` gives
`Fact[T]`), so a parser's field renamed or removed fails here, not silently in a rule."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_facts_and_rules_pass_mypy_strict(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(tmp_path / "cache"),
         "src/forewarn/facts", "src/forewarn/rules"],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
