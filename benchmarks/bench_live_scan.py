"""Benchmark (not a test): wall time of a live scan over SSH of 1, 3 and 5 lab nodes.

Builds one 5-node corosync lab (tests/lab/corosync_lab.py: two links, sshd, rsyslogd, /etc/pve
and a pvecm stand-in per node), then, from the lab's client namespace, times

  * `forewarn scan node1 [node2 ...] --format json`: what an admin waits for (Python start-up,
    SSH connections, collection, parsing, rules, report), and
  * `forewarn collect node1 [...] -o bundle.tar.gz`: collection and the bundle only,

for the first 1, 3 and 5 nodes, `--repeat` times each (median reported), and prints them side
by side with the ratio to one node. Nodes are collected in parallel, so N nodes should cost
little more than one.

    sudo .venv/bin/python benchmarks/bench_live_scan.py [--repeat 5] [--json]

Needs root, corosync, sshd, rsyslogd, nftables and iproute2, like the lab tests.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "lab"))

import corosync_lab  # noqa: E402

SIZES = (1, 3, 5)


def timed(lab: corosync_lab.Lab, args: list[str]) -> float:
    t0 = time.monotonic()
    res = lab.client_run([sys.executable, "-m", "forewarn.cli.main", *args], timeout=300, cwd=ROOT,
                         env={"PYTHONPATH": str(ROOT / "src")})
    took = time.monotonic() - t0
    if res.returncode not in (0, 1):
        raise RuntimeError(f"forewarn {' '.join(args)} exited {res.returncode}: {res.stderr.strip()[-500:]}")
    return took


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=3, help="runs per size (the median is reported)")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = ap.parse_args(argv)
    rows = []
    with corosync_lab.Lab(max(SIZES), links=2, ssh=True, pve=True) as lab, \
            tempfile.TemporaryDirectory(prefix="fwbench-") as tmp:
        lab.start()
        lab.wait_all_quorate(timeout=40)
        timed(lab, ["scan", "node1", "--format", "json"])  # warm the page cache and .pyc files
        for n in SIZES:
            nodes = [f"node{i}" for i in range(1, n + 1)]
            scans = [timed(lab, ["scan", *nodes, "--format", "json"]) for _ in range(args.repeat)]
            collects = [timed(lab, ["collect", *nodes, "-o", f"{tmp}/b{n}.tar.gz"]) for _ in range(args.repeat)]
            rows.append({"nodes": n, "scan_s": statistics.median(scans), "collect_s": statistics.median(collects),
                         "scan_runs": scans, "collect_runs": collects})
    base_scan, base_collect = rows[0]["scan_s"], rows[0]["collect_s"]
    print(f"live scan over SSH, lab nodes (median of {args.repeat}; {corosync_lab.PREFIX} lab, 2 corosync links)")
    print(f"{'nodes':>5}  {'scan wall s':>11}  {'x 1 node':>8}  {'collect wall s':>14}  {'x 1 node':>8}")
    for r in rows:
        print(f"{r['nodes']:>5}  {r['scan_s']:>11.2f}  {r['scan_s'] / base_scan:>8.2f}  "
              f"{r['collect_s']:>14.2f}  {r['collect_s'] / base_collect:>8.2f}")
    if args.json:
        print(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
