"""Benchmark (not a test): wall time of a live scan over SSH of 1, 3 and 5 lab nodes.

Builds one 5-node corosync lab (tests/lab/corosync_lab.py: two links, sshd, rsyslogd, /etc/pve
and a pvecm stand-in per node), then, from the lab's client namespace, times

  * `forewarn scan node1 [node2 ...] --format json`: what an admin waits for (Python start-up,
    SSH connections, collection, parsing, rules, report), and
  * `forewarn collect node1 [...] -o bundle.tar.gz`: collection and the bundle only,

for the first 1, 3 and 5 nodes, `--repeat` times each (median reported), and prints them side
by side with the ratio to one node, the CPU time forewarn itself used, the CPU time the nodes
spent serving it, and how busy the machine was. Nodes are collected in parallel, so N nodes
should cost little more than one. On the lab every node shares this machine's cores with
forewarn (and with whatever else runs): when the machine is saturated, the wall time follows the
total CPU work (forewarn's plus every node's), which a real cluster spreads over its nodes.

    sudo .venv/bin/python benchmarks/bench_live_scan.py [--repeat 5] [--json]

Needs root, corosync, sshd, rsyslogd, nftables and iproute2, like the lab tests.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "lab"))

import corosync_lab  # noqa: E402

SIZES = (1, 3, 5)


def _cpu_times() -> tuple[float, float]:
    """(busy, total) jiffies of all CPUs of the machine, from /proc/stat."""
    fields = [float(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0.0)
    return sum(fields) - idle, sum(fields)


def _nodes_cpu(lab: corosync_lab.Lab) -> float:
    """CPU seconds the nodes spent serving SSH: every sshd listener's reaped descendants (the
    per-connection sshd, its sessions and the commands they ran), from /proc/PID/stat."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for n in lab.nodes:
        if n.sshd is None or n.sshd.poll() is not None:
            continue
        fields = Path(f"/proc/{n.sshd.pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[13]) + int(fields[14])) / tick  # cutime, cstime
    return total


def timed(lab: corosync_lab.Lab, args: list[str]) -> tuple[float, float, float, float]:
    """(wall seconds, CPU seconds of forewarn itself (user + system of the client process tree),
    how busy the machine's CPUs were meanwhile (0..1, everything: forewarn, the nodes, others),
    CPU seconds the nodes spent on it)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    nodes0 = _nodes_cpu(lab)
    busy0, total0 = _cpu_times()
    t0 = time.monotonic()
    res = lab.client_run([sys.executable, "-m", "forewarn.cli.main", *args], timeout=300, cwd=ROOT,
                         env={"PYTHONPATH": str(ROOT / "src")})
    took = time.monotonic() - t0
    busy1, total1 = _cpu_times()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if res.returncode not in (0, 1):
        raise RuntimeError(f"forewarn {' '.join(args)} exited {res.returncode}: {res.stderr.strip()[-500:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    time.sleep(0.3)  # let the nodes' sshd reap their finished connections
    return took, cpu, (busy1 - busy0) / max(total1 - total0, 1.0), _nodes_cpu(lab) - nodes0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=3, help="runs per size (the median is reported)")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = ap.parse_args(argv)
    rows = []
    ntp = shutil.which("chronyd", path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin") is not None
    with corosync_lab.Lab(max(SIZES), links=2, ssh=True, pve=True, ntp=ntp) as lab, \
            tempfile.TemporaryDirectory(prefix="fwbench-") as tmp:
        lab.start()
        lab.wait_all_quorate(timeout=40)
        timed(lab, ["scan", "node1", "--format", "json"])  # warm the page cache and .pyc files
        for n in SIZES:
            nodes = [f"node{i}" for i in range(1, n + 1)]
            scans = [timed(lab, ["scan", *nodes, "--format", "json"]) for _ in range(args.repeat)]
            collects = [timed(lab, ["collect", *nodes, "-o", f"{tmp}/b{n}.tar.gz"]) for _ in range(args.repeat)]
            rows.append({"nodes": n,
                         "scan_s": statistics.median(r[0] for r in scans),
                         "scan_cpu_s": statistics.median(r[1] for r in scans),
                         "scan_busy": statistics.median(r[2] for r in scans),
                         "collect_s": statistics.median(r[0] for r in collects),
                         "collect_cpu_s": statistics.median(r[1] for r in collects),
                         "collect_busy": statistics.median(r[2] for r in collects),
                         "collect_nodes_cpu_s": statistics.median(r[3] for r in collects),
                         "scan_runs": scans, "collect_runs": collects})
    base_scan, base_collect = rows[0]["scan_s"], rows[0]["collect_s"]
    print(f"live scan over SSH of lab nodes, median of {args.repeat} runs, on {os.cpu_count()} CPU(s) shared "
          "by forewarn and every lab node")
    print(f"{'nodes':>5}  {'scan s':>7}  {'x 1':>5}  {'fw CPU s':>8}  {'busy':>5}  "
          f"{'collect s':>9}  {'x 1':>5}  {'fw CPU s':>8}  {'nodes CPU s':>11}  {'busy':>5}")
    for r in rows:
        print(f"{r['nodes']:>5}  {r['scan_s']:>7.2f}  {r['scan_s'] / base_scan:>5.2f}  {r['scan_cpu_s']:>8.2f}  "
              f"{r['scan_busy']:>5.0%}  {r['collect_s']:>9.2f}  {r['collect_s'] / base_collect:>5.2f}  "
              f"{r['collect_cpu_s']:>8.2f}  {r['collect_nodes_cpu_s']:>11.2f}  {r['collect_busy']:>5.0%}")
    print("fw CPU s: forewarn's own user+system time. nodes CPU s: what the lab nodes spent serving it (sshd, "
          "shells, the commands). busy: the machine's CPUs during the run (forewarn, the nodes, anything else). "
          "Near 100 % the lab measures this machine's cores, not the parallelism: on a real cluster each node "
          "runs its commands on its own CPU, and only forewarn's CPU grows with N.")
    if args.json:
        print(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
