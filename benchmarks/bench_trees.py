"""`forewarn explain` of one log by several checkouts of forewarn, interleaved, next to GNU grep.

    .venv/bin/python benchmarks/bench_trees.py LOG PATTERNS TREE [TREE ...] [--reps 3]

The before-and-after benchmark of a change: each TREE is a checkout (a `git worktree` at the
commit before the change, and this one); each runs `python -m forewarn.cli.main explain LOG
--format json` with its own `src/` on PYTHONPATH and this virtual environment's packages, output
piped, and its own cache directory (FOREWARN_CACHE: trees with different knowledge bases
would evict each other's prepared caches and pay for rebuilding them at every run). The trees run
in turn, round after round (`--reps` rounds, after one round that fills the caches), so the load
of the machine falls on all of them alike; GNU grep `-E -c -f PATTERNS` (C locale, output piped: with stdout on
/dev/null it stops at the first match) runs in each round as the baseline. Printed: the best and
the median wall seconds, the best CPU seconds (user + system, children included), and the
ratio to grep's best. The log is read once first, so every run reads the page cache.

Make the logs with `benchmarks/gen_syslog.py OUT 256M` (the project's corpus; its patterns:
`bench_log_scan.py --keep DIR` writes signatures.ere) or `../shared/bench/gen_corpus.py` (the
independent corpus, with its patterns.txt). Not a test: the figures depend on the machine.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the children) of one run, output piped and discarded."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode not in (0, 1):
        sys.exit(f"bench_trees: {' '.join(cmd[:4])} … exited {p.returncode}: {p.stderr.decode()[-400:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("log", type=Path)
    ap.add_argument("patterns", type=Path, help="POSIX ERE patterns for grep's baseline")
    ap.add_argument("trees", type=Path, nargs="+")
    ap.add_argument("--reps", type=int, default=3)
    a = ap.parse_args()
    with a.log.open("rb") as fh:  # into the page cache
        while fh.read(1 << 24):
            pass
    base = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    grep_env = {**base, "LC_ALL": "C"}
    runs: dict[str, list[tuple[float, float]]] = {"grep": []}
    cmd = [sys.executable, "-m", "forewarn.cli.main", "explain", str(a.log), "--format", "json"]
    with tempfile.TemporaryDirectory(prefix="bench-trees-") as caches:
        envs = {str(tree): {**base, "PYTHONPATH": str(tree.resolve() / "src"),
                            "FOREWARN_CACHE": str(Path(caches) / str(i))} for i, tree in enumerate(a.trees)}
        for env in envs.values():
            run(cmd, env)  # fills the tree's caches
        for _ in range(a.reps):
            runs["grep"].append(run(["grep", "-E", "-c", "-f", str(a.patterns), str(a.log)], grep_env))
            for name, env in envs.items():
                runs.setdefault(name, []).append(run(cmd, env))
    grep_best = min(w for w, _ in runs["grep"])
    size = a.log.stat().st_size / 1e6
    print(f"{a.log.name}: {size:.0f} MB, {a.reps} rounds, load average {os.getloadavg()[0]:.1f} at the end")
    print(f"{'':40} {'best s':>8} {'median s':>9} {'CPU s':>7} {'x grep':>7}")
    for name, rs in runs.items():
        walls = [w for w, _ in rs]
        label = name if name == "grep" else f"explain, {name}"
        print(f"{label[-40:]:40} {min(walls):8.2f} {statistics.median(walls):9.2f} "
              f"{min(c for _, c in rs):7.2f} {min(walls) / grep_best:7.2f}")


if __name__ == "__main__":
    main()
