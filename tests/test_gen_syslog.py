"""The benchmark's generated log is one node in time order (issue 10, item 2): its real problem
lines are put under the log's own clock and host, not their own timestamps and host names."""

from __future__ import annotations

import importlib.util
import json
import re
from datetime import datetime
from pathlib import Path

from click.testing import CliRunner

from forewarn.cli.main import cli

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("gen_syslog", ROOT / "benchmarks" / "gen_syslog.py")
gen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen)  # type: ignore[union-attr]
HEAD = re.compile(r"^([A-Z][a-z]{2}) +(\d+) (\d\d:\d\d:\d\d) (\S+) ")


def test_generated_log_is_one_node_in_time_order(tmp_path):
    out = tmp_path / "syslog"
    placed = gen.generate(out, 3 << 20, seed=3, problem_every=20_000)
    assert sum(placed.values()) > 100 and len(placed) >= 40  # the real problem lines went in
    hosts, prev = set(), None
    for line in out.read_text(encoding="utf-8").splitlines():
        m = HEAD.match(line)
        assert m, line
        hosts.add(m.group(4))
        t = datetime.strptime(f"2001 {m.group(1)} {m.group(2)} {m.group(3)}", "%Y %b %d %H:%M:%S")
        assert prev is None or t >= prev, line
        prev = t
    assert hosts == {gen.HOST}
    result = CliRunner().invoke(cli, ["explain", str(out), "--now", "2001-12-31T00:00:00", "--format", "json"])
    report = json.loads(result.output)
    assert report["nodes"] == [gen.HOST]
    assert not [f for f in report["findings"] if f["code"] == "FW910"]
    assert not re.search(r"(?<![\w.])-\d+ (?:s|min|h)\b", json.dumps(report, ensure_ascii=False))
