"""`forewarn explain` against GNU grep and ripgrep, side by side, on two corpora, in one run.

    .venv/bin/python benchmarks/bench_vs_grep.py [--size 500M] [--reps 2] [--keep DIR]

Corpora (written to a temporary directory, removed at the end unless `--keep`):

- project: benchmarks/gen_syslog.py (real line shapes of public pastes and of the corosync lab),
  searched by grep and ripgrep with every signature of the knowledge base as POSIX ERE
  (bench_log_scan.ere_patterns);
- shared: ../shared/bench/gen_corpus.py, written apart from forewarn (many benign lines, near
  misses, 125 unrelated problem signatures), searched with its own patterns.txt. Skipped, and
  said so, when ../shared is not beside the repository (or at /work/shared).

For each: GNU grep `-E -c -f` in the C locale, its output piped (with stdout on /dev/null GNU grep
stops at the first match); ripgrep `-c -f` (Debian's `ripgrep`; said so when it is not installed);
`forewarn explain FILE --format json` (the whole process: start-up, the scan, every rule, the
report) piped. Printed: wall seconds (best of --reps), CPU seconds, peak RSS (GNU time's %M; for
forewarn the larger of the process and its scanning worker) and the ratio to grep's wall time.
The file is read once before, so every run reads the page cache. Not a test: the figures depend
on the machine and on what else runs on it.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))
SHARED = next((p for p in (ROOT.parent / "shared", Path("/work/shared")) if (p / "bench").is_dir()), None)
TIME = shutil.which("time") or "/usr/bin/time"
C = {**os.environ, "LC_ALL": "C", "PYTHONPATH": str(ROOT / "src")}


def size_arg(s: str) -> int:
    mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    return int(float(s[:-1]) * mult[s[-1].upper()]) if s[-1].upper() in mult else int(s)


def timed(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float, int]:
    """(wall s, CPU s, peak RSS KiB) of one run, its output read through a pipe."""
    proc = subprocess.run([TIME, "-f", "@@ %e %U %S %M", *cmd], env=env or C, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE)
    err = proc.stderr.decode(errors="replace")
    if proc.returncode not in (0, 1) or "@@ " not in err:
        raise RuntimeError(f"{cmd[0]} failed ({proc.returncode}): {err[-1500:]}")
    wall, user, sys_, rss = err.rsplit("@@ ", 1)[1].split()[:4]
    return float(wall), float(user) + float(sys_), int(rss)


def best(reps: int, cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float, int]:
    runs = [timed(cmd, env) for _ in range(reps)]
    return min(runs, key=lambda r: r[0])


def corpus_project(folder: Path, size: int) -> tuple[Path, Path, Path]:
    """The log, its patterns as POSIX ERE (grep) and as written (ripgrep reads the dialect of the
    knowledge base, which RE2, Hyperscan and Rust's regex share, not POSIX classes)."""
    from bench_log_scan import ere_patterns
    from gen_syslog import generate

    from forewarn.parse.log.match import signatures

    log, pats, rx = folder / "project.log", folder / "project.ere", folder / "project.rx"
    generate(log, size, 1, 1_500_000)
    pats.write_text("\n".join(ere_patterns()) + "\n", encoding="utf-8")
    # one pattern set for ripgrep: a group name may appear once in it
    rx.write_text("\n".join(re.sub(r"\(\?P<\w+>", "(?:", s.engine_pattern) for s in signatures()) + "\n",
                  encoding="utf-8")
    return log, pats, rx


def corpus_shared(folder: Path, size: int) -> tuple[Path, Path, Path] | None:
    if SHARED is None:
        return None
    log = folder / "shared.log"
    subprocess.run([sys.executable, str(SHARED / "bench" / "gen_corpus.py"), "--size", str(size), "--out", str(log)],
                   check=True, stdout=subprocess.DEVNULL)
    return log, SHARED / "bench" / "patterns.txt", SHARED / "bench" / "patterns.txt"


def bench(name: str, log: Path, pats: Path, rg_pats: Path, reps: int) -> list[tuple[str, float, float, int]]:
    subprocess.run(["cat", str(log)], stdout=subprocess.DEVNULL, check=True)
    rows = [("GNU grep -E -c -f (C locale)", *best(reps, ["grep", "-E", "-c", "-f", str(pats), str(log)]))]
    rg = shutil.which("rg")
    if rg:
        try:
            rows.append(("ripgrep -c -f", *best(reps, [rg, "-c", "-f", str(rg_pats), str(log)])))
        except RuntimeError as exc:
            print(f"ripgrep refused the patterns: {str(exc).splitlines()[-3:]}")
    fw = [sys.executable, "-m", "forewarn.cli.main", "explain", str(log), "--format", "json",
          "--now", "2001-12-31T23:59:59"]
    rows.append(("forewarn explain --format json", *best(reps, fw)))
    size = log.stat().st_size
    grep = rows[0][1]
    print(f"\n== {name}: {log.name}, {size / 1e6:.0f} MB, {len(pats.read_text().splitlines())} patterns ==")
    print(f"{'':34} {'wall s':>8} {'CPU s':>8} {'MB/s':>8} {'× grep':>8} {'max RSS':>10}")
    for label, wall, cpu, rss in rows:
        print(f"{label:34} {wall:8.2f} {cpu:8.2f} {size / wall / 1e6:8.0f} {wall / grep:8.2f} {rss / 1024:7.1f} MiB")
    if not rg:
        print("ripgrep: not installed (apt-get install ripgrep), not measured")
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", type=size_arg, default=size_arg("500M"))
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--keep", type=Path, help="write the corpora here and keep them")
    ap.add_argument("--only", choices=("project", "shared"), help="one corpus")
    a = ap.parse_args()
    folder = a.keep or Path(tempfile.mkdtemp(prefix="fw-vs-grep-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        if a.only != "shared":
            bench("project corpus (benchmarks/gen_syslog.py)", *corpus_project(folder, a.size), a.reps)
        if a.only != "project":
            shared = corpus_shared(folder, a.size)
            if shared is None:
                print("\n../shared/bench not found: the independent corpus was not measured")
            else:
                bench("independent corpus (../shared/bench/gen_corpus.py)", *shared, a.reps)
    finally:
        if a.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
