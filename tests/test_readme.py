"""The README's example outputs are real: each `$ ./run.sh …` block is run at the README's width
and every line it shows must appear in the real output, in order (a `...` line skips any number
of lines). The live-lab block is checked in tests/test_live_lab.py, where the lab runs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
WIDTH = "100"  # the README's examples were taken at COLUMNS=100
EXIT = {"scan": 1, "explain": 1, "timeline": 1, "why": 0, "rules": 0, "baseline": 0}


def blocks() -> list[tuple[str, list[str]]]:
    out = []
    for m in re.finditer(r"^```\n\$ (\./run\.sh [^\n]+)\n(.*?)^```", README.read_text(encoding="utf-8"), re.M | re.S):
        out.append((m.group(1), m.group(2).splitlines()))
    return out


_MASKS = [(re.compile(r"\b\d\d:\d\d:\d\d\b"), "HH:MM:SS"),  # clock times
          (re.compile(r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +\d{1,2}\b"), "MON DD"),
          (re.compile(r"\b\d+(?:\.\d+)? s\b"), "N s"),  # durations
          # what a live node gives depends on what the machine has installed (smartctl, ethtool, ...)
          (re.compile(r"\b\d+ artifact\(s\) collected live\b"), "N artifact(s) collected live")]


def masked(line: str) -> str:
    line = " ".join(line.split())
    for rx, sub in _MASKS:
        line = rx.sub(sub, line)
    return line


def readme_block(command_prefix: str) -> list[str]:
    """The lines the README shows for the block whose command starts so."""
    for m in re.finditer(r"^```\n\$ ([^\n]+)\n(.*?)^```", README.read_text(encoding="utf-8"), re.M | re.S):
        if m.group(1).startswith(command_prefix):
            return m.group(2).splitlines()
    raise KeyError(command_prefix)


def shown_in_order(shown: list[str], real: str) -> list[str]:
    """The README lines not found, in order, among the real output's lines (times, dates and
    durations masked: they are different at every run)."""
    lines = [masked(ln) for ln in real.splitlines()]
    missing, at = [], 0
    for want in shown:
        w = masked(want)
        if not w or w in ("...", "…"):
            continue
        for i in range(at, len(lines)):
            if lines[i] == w:
                at = i + 1
                break
        else:
            missing.append(want)
    return missing


@pytest.mark.parametrize("command,shown", blocks(), ids=[c[:60] for c, _ in blocks()])
def test_readme_example_is_real_output(command: str, shown: list[str]) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "COLUMNS": WIDTH, "NO_COLOR": "1"}
    cmd = command.replace("./run.sh", f"{sys.executable} -m forewarn.cli.main", 1)
    r = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    verb = command.split()[1]
    assert r.returncode == EXIT[verb], r.stderr
    missing = shown_in_order(shown, r.stdout)
    assert not missing, "README lines not in the real output (or out of order):\n" + "\n".join(missing) + \
        "\n--- real output ---\n" + r.stdout


def test_every_readme_example_is_checked() -> None:
    assert len(blocks()) >= 3


def test_readme_family_table_counts_the_catalogue() -> None:
    """The README's per-family table says how many rows each family has, by kind: the catalogue
    registry (rule YAMLs and signature-carried findings) is the truth."""
    from collections import Counter

    from forewarn.catalogue import CATALOGUE

    text = README.read_text(encoding="utf-8")
    section = text.split("## What it knows", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| ([A-Z0-9]+) \| [^|]+ \| (\d+) \| (\d+) \| (\d+) \|$", section, re.M)
    assert rows, "no family table in the README"
    have: Counter[tuple[str, str]] = Counter()
    for m in CATALOGUE.values():
        have[(m.family, "advise" if m.kind == "advise" else m.by)] += 1
    shown = {fam: (int(r), int(s), int(a)) for fam, r, s, a in rows}
    real = {fam: (have[(fam, "rule")], have[(fam, "signature")], have[(fam, "advise")])
            for fam in {f for f, _ in have}}
    assert shown == real
    total = re.search(r"^(\d+) catalogue rows", section.strip(), re.M)
    assert total and int(total.group(1)) == len(CATALOGUE)
