"""What forewarn makes of an independent corpus's problem lines: a finding, a named event no
finding cites, an unexplained error, or nothing at all.

    .venv/bin/python benchmarks/bench_recall.py                    # a fresh 20 MB corpus, dense in problems
    .venv/bin/python benchmarks/bench_recall.py --log CORPUS -v    # a corpus made before; list the misses
    .venv/bin/python benchmarks/bench_recall.py --tree ../before   # another checkout's forewarn (before/after)

The corpus of ../shared/bench (`gen_corpus.py`) injects problem lines of 125 kinds, one kind per
pattern of its `patterns.txt`, written apart from forewarn's knowledge base. Its lines are
synthetic: they show which classes of problem forewarn misses, they are never evidence for a
signature (every signature is tested on real lines, docs/signatures.md). This takes the lines a
pattern matches, runs `forewarn explain --format json` over them alone, and sorts each pattern
by the best that happened to one of its lines:

- finding: a finding cites the line (its evidence names the line number);
- named: a signature names the line (an event), but no finding cites it;
- unexplained: it is an error-looking line no signature names (the report's unexplained errors);
- silent: nothing: no event, not error-looking.

Printed: the count of each, and with -v the first line of every pattern that made no finding.
Not a test: the figure moves with the knowledge base.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# ../shared beside the checkout; a checkout elsewhere (a git worktree) finds it where bench_vs_grep.py does
BENCH = next((p / "bench" for p in (ROOT.parent / "shared", Path("/work/shared")) if (p / "bench").is_dir()),
             ROOT.parent / "shared" / "bench")
ORDER = ("finding", "named", "unexplained", "silent")


def corpus(out: Path, size: str, rate: float) -> Path:
    log = out / "corpus.log"
    subprocess.run([sys.executable, str(BENCH / "gen_corpus.py"), "--size", size, "--rate", str(rate),
                    "--out", str(log)], check=True, stdout=subprocess.DEVNULL)
    return log


def problem_lines(log: Path, patterns: list[re.Pattern[str]]) -> list[tuple[int, str]]:
    """(pattern index, line) of every line some pattern matches (the first that does)."""
    out = []
    with log.open(encoding="utf-8", errors="replace") as fh:
        for line in fh:
            line = line.rstrip("\n")
            for i, rx in enumerate(patterns):
                if rx.search(line):
                    out.append((i, line))
                    break
    return out


def cited_lines(report: dict, artifact: str) -> set[int]:
    cited: set[int] = set()
    for f in report.get("findings", []):
        if f.get("status") != "fail":
            continue
        for ev in f.get("evidence", []):
            if ev.get("artifact") == artifact:
                cited.update(ev.get("lines") or [])
    return cited


def classify(lines: list[tuple[int, str]], work: Path, src: Path) -> dict[int, tuple[str, str]]:
    """pattern index -> (best class, a line of it that got that class)."""
    sys.path.insert(0, str(src))
    from forewarn.parse.log.syslog import parse_lines

    path = work / "problems.log"
    path.write_text("".join(line + "\n" for _i, line in lines), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(src)}
    run = subprocess.run([sys.executable, "-m", "forewarn.cli.main", "explain", str(path), "--format", "json"],
                         env=env, capture_output=True, text=True)
    if run.returncode not in (0, 1):
        sys.exit(f"bench_recall: forewarn explain failed ({run.returncode}): {run.stderr[-400:]}")
    cited = cited_lines(json.loads(run.stdout), str(path))
    best: dict[int, tuple[str, str]] = {}
    for no, (i, line) in enumerate(lines, 1):
        if no in cited:
            cls = "finding"
        else:
            r = parse_lines([line]).value
            cls = ("named" if r is not None and r.events else
                   "unexplained" if r is not None and r.unexplained.templates else "silent")
        if i not in best or ORDER.index(cls) < ORDER.index(best[i][0]):
            best[i] = (cls, line)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--log", type=Path, help="a corpus made by gen_corpus.py (default: make one)")
    ap.add_argument("--size", default="20M", help="size of the corpus to make (default 20M)")
    ap.add_argument("--rate", type=float, default=0.005, help="problem lines per line (default 0.005)")
    ap.add_argument("--tree", type=Path, default=ROOT, help="the checkout whose src/ is run (default: this one)")
    ap.add_argument("-v", action="store_true", help="list a line of every pattern without a finding")
    a = ap.parse_args()
    patterns = [re.compile(p) for p in (BENCH / "patterns.txt").read_text().splitlines() if p.strip()]
    with tempfile.TemporaryDirectory(prefix="fw-recall-") as tmp:
        work = Path(tmp)
        log = a.log or corpus(work, a.size, a.rate)
        lines = problem_lines(log, patterns)
        best = classify(lines, work, a.tree.resolve() / "src")
    counts = Counter(cls for cls, _line in best.values())
    print(f"{log.name if a.log else 'corpus ' + a.size}: {len(lines)} problem lines of {len(best)} of the "
          f"{len(patterns)} patterns")
    for cls in ORDER:
        print(f"  {cls:<12} {counts.get(cls, 0):4d}")
    if a.v:
        for cls in ORDER[1:]:
            for i, (c, line) in sorted(best.items()):
                if c == cls:
                    print(f"{cls:<12} #{i:<3} {line[:160]}")


if __name__ == "__main__":
    main()
