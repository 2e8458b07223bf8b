"""How fast forewarn scans a big syslog for every signature, next to GNU grep and cat.

    .venv/bin/python benchmarks/bench_log_scan.py [--size 1G] [--explain-size 500M] [--keep DIR]

Prints, for the same generated file in the same run: forewarn's full-signature scan MB/s
(`parse_syslog` over the file as `forewarn explain` reads it, per matcher and with one or two
processes), `grep -E -c -f PATTERNS` MB/s with the same signatures translated to POSIX ERE,
`cat > /dev/null` MB/s, peak RSS, the ratio to grep, whether forewarn and grep found the same
problem lines; then the whole `forewarn explain big.log` against grep on a smaller file.
Generated files go to a temporary directory that is removed at the end (unless --keep).
Not a test: numbers depend on the machine and on what else runs on it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import re._constants as _c
import re._parser as _p
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(HERE))

from gen_syslog import generate, size_arg  # noqa: E402

PY = str(ROOT / ".venv/bin/python") if (ROOT / ".venv/bin/python").exists() else sys.executable
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "LC_ALL": "C"}
# grep as a user runs it here: the environment's own locale (C.UTF-8 on these machines), slower
LOCALE = os.environ.get("LC_ALL") or os.environ.get("LC_CTYPE") or os.environ.get("LANG") or "C"
ENV_LOCALE = {**ENV, "LC_ALL": LOCALE}

# -- the signatures as POSIX ERE for grep ---------------------------------------------------------
# The same translation the engine makes for its matchers (logscan/engine.py): anchors and
# look-arounds dropped (a signature's regex is matched against the message, not the line),
# lazy repeats made greedy (the set of matching lines is the same), classes as bracket
# expressions of their ASCII members (the corpus is ASCII). So grep matches a line whenever a
# signature's regex matches its message: grep's set can only be larger than forewarn's.

_ERE_SPECIAL = set(".[]()*+?{}|^$\\")
_CAT = {_c.CATEGORY_DIGIT: r"\d", _c.CATEGORY_NOT_DIGIT: r"\D", _c.CATEGORY_SPACE: r"\s",
        _c.CATEGORY_NOT_SPACE: r"\S", _c.CATEGORY_WORD: r"\w", _c.CATEGORY_NOT_WORD: r"\W"}


def _bracket(members: set[int]) -> str:
    ms = sorted(members - {10})
    if len(ms) == 1:
        ch = chr(ms[0])
        return "\\" + ch if ch in _ERE_SPECIAL else ch
    close = 93 in ms
    dash = 45 in ms
    caret = 94 in ms
    ms = [m for m in ms if m not in (93, 45, 94)]
    parts = []
    i = 0
    while i < len(ms):
        j = i
        while j + 1 < len(ms) and ms[j + 1] == ms[j] + 1:
            j += 1
        parts.append(chr(ms[i]) if j - i < 2 else f"{chr(ms[i])}-{chr(ms[j])}")
        if 0 < j - i < 2:
            parts.append("".join(chr(m) for m in ms[i + 1:j + 1]))
        i = j + 1
    body = ("]" if close else "") + "".join(parts) + ("^" if caret else "") + ("-" if dash else "")
    if body == "^":
        return "\\^"
    return f"[{body}]"


def _class(items, flags) -> str:
    src = []
    for op, av in items:
        if op is _c.NEGATE:
            src.append("^")
        elif op is _c.LITERAL:
            src.append(re.escape(chr(av)))
        elif op is _c.RANGE:
            src.append(f"{re.escape(chr(av[0]))}-{re.escape(chr(av[1]))}")
        elif op is _c.CATEGORY:
            src.append(_CAT[av])
    probe = re.compile(f"[{''.join(src)}]", flags & re.IGNORECASE)
    return _bracket({b for b in range(1, 128) if probe.fullmatch(chr(b))})


def _ere(items, flags) -> str:
    out = []
    for op, av in items:
        if op is _c.LITERAL:
            ch = chr(av)
            if flags & re.IGNORECASE and ch.isalpha():
                out.append(f"[{ch.lower()}{ch.upper()}]")
            else:
                out.append("\\" + ch if ch in _ERE_SPECIAL else ch)
        elif op is _c.NOT_LITERAL:
            out.append(_class([(_c.NEGATE, None), (_c.LITERAL, av)], flags))
        elif op is _c.ANY:
            out.append(".")
        elif op is _c.IN:
            out.append(_class(av, flags))
        elif op in (_c.AT, _c.ASSERT, _c.ASSERT_NOT):
            continue
        elif op is _c.SUBPATTERN:
            inner = _ere(av[3], (flags | av[1]) & ~av[2])
            out.append(f"({inner})" if inner else "")
        elif op is _c.BRANCH:
            out.append("(" + "|".join(_ere(a, flags) for a in av[1]) + ")")
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT):
            lo, hi, sub = av
            inner = _ere(sub, flags)
            if not inner:
                continue
            q = ("*" if lo == 0 else "+" if lo == 1 else f"{{{lo},}}") if hi == _c.MAXREPEAT else \
                ("?" if (lo, hi) == (0, 1) else f"{{{lo}}}" if lo == hi else f"{{{lo},{hi}}}")
            out.append(f"({inner}){q}")
        elif op is _c.GROUPREF:
            out.append(".*")
        else:
            raise ValueError(f"cannot write {op} as ERE")
    return "".join(out)


def ere_patterns() -> list[str]:
    from forewarn.parse.log.match import signatures

    pats = []
    for sig in signatures():
        parsed = _p.parse(sig.regex.pattern, sig.regex.flags)
        pats.append(_ere(parsed.data, sig.regex.flags | parsed.state.flags))
    return pats


# -- measuring --------------------------------------------------------------------------------------

TIME = shutil.which("time") or "/usr/bin/time"


def run(cmd: list[str], *, env=None, stdout=subprocess.DEVNULL, stdin=None) -> tuple[float, int, bytes]:
    """(wall seconds, peak RSS KiB, stdout) of one command. The peak is GNU time's (`%M`):
    a child's own high-water mark, which would otherwise include the memory of this Python
    process from before the exec."""
    t = time.perf_counter()
    proc = subprocess.Popen([TIME, "-f", "@@ %M", *cmd], env=env or ENV, stdout=stdout, stdin=stdin,
                            stderr=subprocess.PIPE)
    out = proc.stdout.read() if stdout == subprocess.PIPE else b""
    err = proc.stderr.read().decode(errors="replace")
    code = proc.wait()
    wall = time.perf_counter() - t
    if code not in (0, 1):
        raise RuntimeError(f"{cmd[0]} failed: {err[-2000:]}")
    rss = int(err.rsplit("@@ ", 1)[1].split()[0]) if "@@ " in err else 0
    return wall, rss, out


SCAN = r"""
import json, resource, sys, time
t0 = time.perf_counter()
from forewarn.model.evidence import EvidenceRecord
from forewarn.parse.log.syslog import parse_syslog
from forewarn.logscan import engine
path = sys.argv[1]
rec = EvidenceRecord("log.syslog", "bench", path, opener=lambda: open(path, "rb"))
t1 = time.perf_counter()
r = parse_syslog(rec.lines())
t2 = time.perf_counter()
v = r.value
with open(sys.argv[2], "w") as fh:
    fh.write("\n".join(str(e.line_no) for e in v.events))
m = engine.matcher_for(engine.knowledge_base_patterns())
print(json.dumps({"start_s": t1 - t0, "scan_s": t2 - t1, "events": len(v.events), "lines": v.lines,
                  "matcher": m.name, "rss_children_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))
"""


def best(n: int, fn):
    results = [fn() for _ in range(n)]
    return min(results, key=lambda r: r[0])


def mbps(size: int, secs: float) -> float:
    return size / secs / 1e6


def bench_scan(path: Path, size: int, reps: int, matchers: list[str], pats: Path, tmp: Path) -> None:
    print(f"\n== full-signature scan of {path.name}: {size / 1e6:.0f} MB, {reps} run(s) each, best shown ==")
    subprocess.run(["cat", str(path)], stdout=subprocess.DEVNULL, check=True)  # into the page cache
    cat = best(reps, lambda: run(["cat", str(path)]))
    grep = best(reps, lambda: run(["grep", "-E", "-c", "-f", str(pats), str(path)], stdout=subprocess.PIPE))
    grep_count = int(grep[2].strip() or 0)
    grep_loc = best(reps, lambda: run(["grep", "-E", "-c", "-f", str(pats), str(path)], env=ENV_LOCALE,
                                      stdout=subprocess.PIPE)) if LOCALE != "C" else grep
    print(f"{'cat > /dev/null':44s} {mbps(size, cat[0]):8.0f} MB/s  {cat[0]:7.2f} s  RSS {cat[1] / 1024:6.1f} MiB")
    n_pats = len(pats.read_text().split(chr(10))) - 1
    print(f"{'grep -E -c -f (LC_ALL=C, %d ERE patterns)' % n_pats:44s} "
          f"{mbps(size, grep[0]):8.0f} MB/s  {grep[0]:7.2f} s  RSS {grep[1] / 1024:6.1f} MiB  {grep_count} lines")
    if LOCALE != "C":
        print(f"{'grep -E -c -f (LC_ALL=%s, the default here)' % LOCALE:44s} "
              f"{mbps(size, grep_loc[0]):8.0f} MB/s  {grep_loc[0]:7.2f} s  RSS {grep_loc[1] / 1024:6.1f} MiB"
              f"  {int(grep_loc[2].strip() or 0)} lines")
    events_file = tmp / "events.txt"
    fw_lines = None
    for matcher in matchers:
        for jobs in (1, 2):
            env = {**ENV, "FOREWARN_MATCHER": matcher, "FOREWARN_JOBS": str(jobs)}
            try:
                wall, rss, out = best(reps, lambda: run([PY, "-c", SCAN, str(path), str(events_file)], env=env,
                                                        stdout=subprocess.PIPE))
            except RuntimeError as exc:
                print(f"forewarn {matcher}: unavailable ({str(exc).strip().splitlines()[-1]})")
                break
            info = json.loads(out)
            label = f"forewarn {info['matcher']}, {jobs} process{'es' if jobs > 1 else ''}"
            peak = max(rss, info["rss_children_kib"]) / 1024  # the process (GNU time) and its worker
            print(f"{label:44s} {mbps(size, info['scan_s']):8.0f} MB/s  {info['scan_s']:7.2f} s  RSS {peak:6.1f} MiB"
                  f"  {info['events']} events")
            print(f"{'':44s} whole process {wall:.2f} s = {mbps(size, wall):.0f} MB/s: x{grep[0] / wall:.1f} grep (C),"
                  f" x{grep_loc[0] / wall:.1f} grep ({LOCALE}); the scan alone x{grep[0] / info['scan_s']:.1f}"
                  f" / x{grep_loc[0] / info['scan_s']:.1f}")
            got = {int(x) for x in events_file.read_text().split()}
            if fw_lines is None:
                fw_lines = got
            elif got != fw_lines:
                print(f"   !! {matcher} with {jobs} process(es) found other lines than the first matcher")
    if fw_lines is not None:
        compare(path, pats, fw_lines, grep_count)


def compare(path: Path, pats: Path, fw_lines: set[int], grep_count: int) -> None:
    out = subprocess.run(["grep", "-n", "-E", "-f", str(pats), str(path)], env=ENV,
                         capture_output=True).stdout.decode("utf-8", "replace")
    grep_lines = {int(x.split(":", 1)[0]): x.split(":", 1)[1] for x in out.splitlines()}
    only_grep = sorted(set(grep_lines) - fw_lines)
    only_fw = sorted(fw_lines - set(grep_lines))
    same = "the same" if not only_grep and not only_fw else "NOT the same"
    print(f"problem lines: forewarn {len(fw_lines)}, grep {len(grep_lines)} (-c said {grep_count}): {same} lines")
    for no in only_grep[:10]:
        print(f"   only grep, line {no}: {grep_lines[no][:150]}")
    for no in only_fw[:10]:
        print(f"   only forewarn, line {no}")


def bench_explain(path: Path, size: int, reps: int, pats: Path) -> None:
    print(f"\n== whole `forewarn explain {path.name}` ({size / 1e6:.0f} MB) against grep on the same file ==")
    subprocess.run(["cat", str(path)], stdout=subprocess.DEVNULL, check=True)
    fw = str(ROOT / ".venv/bin/forewarn")
    # grep's output must not be /dev/null: GNU grep then stops at the first match
    grep = best(reps, lambda: run(["grep", "-E", "-c", "-f", str(pats), str(path)], stdout=subprocess.PIPE))
    grep_loc = best(reps, lambda: run(["grep", "-E", "-c", "-f", str(pats), str(path)], env=ENV_LOCALE,
                                      stdout=subprocess.PIPE)) if LOCALE != "C" else grep
    print(f"grep -E -c -f: {grep[0]:.2f} s with LC_ALL=C, {grep_loc[0]:.2f} s with LC_ALL={LOCALE}")
    for jobs in ("1", "2"):
        env = {**ENV_LOCALE, "FOREWARN_JOBS": jobs}
        # the generated clock runs from Jan 1 of a 365-day year: a time after it keeps it one year
        explain = best(reps, lambda: run([fw, "explain", str(path), "--no-color", "--now", "2001-12-31T23:59:59"],
                                         env=env))
        print(f"forewarn explain, FOREWARN_JOBS={jobs}: {explain[0]:6.2f} s  RSS {explain[1] / 1024:6.1f} MiB"
              f"   x{grep[0] / explain[0]:.1f} grep's speed (C), x{grep_loc[0] / explain[0]:.1f} ({LOCALE})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", type=size_arg, default=size_arg("1G"), help="scan benchmark file size (1G)")
    ap.add_argument("--explain-size", type=size_arg, default=size_arg("500M"), help="explain benchmark size (500M)")
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--matchers", default="hyperscan,re2,python")
    ap.add_argument("--keep", type=Path, help="write the files here and keep them")
    ap.add_argument("--no-explain", action="store_true")
    ap.add_argument("--no-scan", action="store_true", help="only the `forewarn explain` comparison")
    ap.add_argument("--log", type=Path, help="scan this log instead of generating one (the same corpus before and after a change)")
    a = ap.parse_args()
    tmp = Path(a.keep) if a.keep else Path(tempfile.mkdtemp(prefix="fw-bench-"))
    tmp.mkdir(parents=True, exist_ok=True)
    try:
        print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}; "
              f"{subprocess.run(['grep', '--version'], capture_output=True, text=True).stdout.splitlines()[0]}")
        pats = tmp / "signatures.ere"
        pats.write_text("\n".join(ere_patterns()) + "\n")
        big = tmp / "syslog-big.log"
        if a.log:
            big = a.log
        if not a.no_scan and not a.log:
            t = time.perf_counter()
            placed = generate(big, a.size)
            print(f"generated {big.stat().st_size / 1e6:.0f} MB in {time.perf_counter() - t:.0f} s: "
                  f"{sum(placed.values())} problem lines of {len(placed)} kinds")
        if not a.no_scan:
            bench_scan(big, big.stat().st_size, a.reps, a.matchers.split(","), pats, tmp)
        if not a.no_explain:
            if (a.explain_size != a.size or a.no_scan) and not a.log:
                if big.exists() and not a.keep:
                    big.unlink()
                big = tmp / "syslog-explain.log"
                placed = generate(big, a.explain_size, seed=2)
                print(f"generated {big.stat().st_size / 1e6:.0f} MB: {sum(placed.values())} problem lines")
            bench_explain(big, big.stat().st_size, a.reps, pats)
    finally:
        if not a.keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
