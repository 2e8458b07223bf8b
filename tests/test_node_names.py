"""Which node a loose file is from: `--node`, the log's own host field, or a path that names the
node (`/etc/pve/nodes/NODE/...`) — never the first folder of a relative path (issue 10, item 1)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from forewarn.cli.main import cli
from forewarn.collect.loose import load_files

ROOT = Path(__file__).resolve().parent.parent
LAB = "tests/evidence/corosync-lab"


def _json(*args: str) -> dict:
    result = CliRunner().invoke(cli, [*args, "--format", "json"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    return json.loads(result.output)


def test_relative_log_paths_keep_the_host_names_of_their_lines(monkeypatch):
    monkeypatch.chdir(ROOT)
    logs = [f"{LAB}/06-five-faults-node{i}-syslog.log" for i in range(1, 6)]
    report = _json("scan", *logs)
    assert report["nodes"] == ["node1", "node2", "node3", "node4", "node5"]
    named = {n for f in report["findings"] for n in f["nodes"]}
    assert "tests" not in named
    commands = [s["command"] for f in report["findings"] for s in f["fix"]]
    assert commands and not [c for c in commands if "tests" in c.split() or "/tests/" in c]


def test_a_folder_name_is_not_a_node(tmp_path, monkeypatch):
    # `cd / && forewarn explain etc/hosts` once reported a node `etc`
    (tmp_path / "etc").mkdir()
    shutil.copy(ROOT / "tests/evidence/host/plain-debian12/hosts", tmp_path / "etc" / "hosts")
    monkeypatch.chdir(tmp_path)
    bundle = load_files(["etc/hosts"])
    assert [r.node for r in bundle.records] == ["unknown"]
    assert "etc" not in _json("explain", "etc/hosts")["nodes"]


def test_a_pmxcfs_path_names_its_node(monkeypatch):
    monkeypatch.chdir(ROOT)
    conf = "tests/evidence/pve-etc-brucewinter/nodes/pve/lxc/104.conf"
    assert [r.node for r in load_files([conf]).records] == ["pve"]


def test_node_option_wins_over_the_log_host_field(monkeypatch):
    monkeypatch.chdir(ROOT)
    log = f"{LAB}/06-five-faults-node2-syslog.log"
    assert [r.node for r in load_files([log], nodes={log: "pve7"}).records] == ["pve7"]
    assert [r.node for r in load_files([log]).records] == ["node2"]
