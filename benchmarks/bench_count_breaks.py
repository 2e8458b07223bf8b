"""Counting line breaks: the engine's `bytes.count` beside numpy, on the same syslog-shaped data.

The issue that removed numpy as a dependency asked for this figure: numpy (73 MB installed) was
kept only to count newlines. Run: `.venv/bin/python benchmarks/bench_count_breaks.py [MiB]`
(numpy is not a dependency: `pip install numpy` to see its column).
"""

from __future__ import annotations

import statistics
import sys
import time

from forewarn.logscan.engine import BLOCK_BYTES

LINE = (b"Mar 21 10:00:01 pve5 corosync[3813]:   [KNET  ] link: host: 8 link: 0 is down\n"
        b"Mar 21 10:00:01 pve5 pmxcfs[1234]: [status] notice: received log\n")


def blocks(mib: int) -> list[bytes]:
    data = LINE * (mib * (1 << 20) // len(LINE))
    return [data[i:i + BLOCK_BYTES] for i in range(0, len(data), BLOCK_BYTES)]


def timed(fn, bufs: list[bytes], runs: int = 7) -> tuple[float, int]:
    times, n = [], 0
    for _ in range(runs):
        t = time.perf_counter()
        n = sum(fn(b) for b in bufs)
        times.append(time.perf_counter() - t)
    return statistics.median(times), n


def main() -> None:
    mib = int(sys.argv[1]) if len(sys.argv) > 1 else 256
    bufs = blocks(mib)
    size = sum(map(len, bufs)) / (1 << 20)
    t_count, n1 = timed(lambda b: b.count(b"\n"), bufs)
    print(f"{size:.0f} MiB in {len(bufs)} blocks of {BLOCK_BYTES >> 10} KiB")
    print(f"bytes.count          {t_count * 1000:8.1f} ms  {size / t_count:8.0f} MiB/s  ({n1} breaks)")
    try:
        import numpy as np
    except ImportError:
        print("numpy                (not installed)")
        return
    t_np, n2 = timed(lambda b: int(np.count_nonzero(np.frombuffer(b, np.uint8) == 10)), bufs)
    assert n1 == n2
    print(f"numpy count_nonzero  {t_np * 1000:8.1f} ms  {size / t_np:8.0f} MiB/s  "
          f"({t_count / t_np:.2f}x bytes.count)")


if __name__ == "__main__":
    main()
