"""Start-up of the commands an operator types most: `forewarn why "…"` and `forewarn rules`,
next to the bare interpreter and `python -c "import click"` measured in the same run.

    .venv/bin/python benchmarks/bench_startup.py [--runs 15]

Runs each command as a whole process (warm cache: one run first, not counted) and prints the
median and the spread. Not a test: the figures depend on the machine and on what else runs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FW = [sys.executable, "-m", "forewarn.cli.main"]
COMMANDS = {
    "python -c pass (baseline)": [sys.executable, "-c", "pass"],
    "python -c 'import click' (baseline)": [sys.executable, "-c", "import click"],
    "forewarn why 'CT is locked (migrate)'": [*FW, "why", "CT is locked (migrate)"],
    "forewarn rules": [*FW, "rules"],
    "forewarn --help": [*FW, "--help"],
}


def timed(cmd: list[str], runs: int) -> list[float]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)  # warm the cache
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        out.append(time.perf_counter() - t)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=15)
    a = ap.parse_args()
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}; {a.runs} runs each")
    for name, cmd in COMMANDS.items():
        t = timed(cmd, a.runs)
        print(f"{name:42} median {statistics.median(t):.3f} s   min {min(t):.3f}   max {max(t):.3f}")


if __name__ == "__main__":
    main()
