"""The bundles under examples/ tell the stories examples/README.md says they tell."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from forewarn.cli.main import cli

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SEED001 = ROOT / "tests" / "evidence" / "seeds" / "001_2bd87300fc635f04.txt"
ORDER = ("info", "low", "medium", "high", "critical")


def scan(name: str, *extra: str):
    result = CliRunner().invoke(cli, ["scan", str(EXAMPLES / name), *extra])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    return result


def failed(report: dict, code: str) -> list[dict]:
    return [f for f in report["findings"] if f["code"] == code and f["status"] == "fail"]


@pytest.fixture(scope="module")
def seed001() -> tuple[int, dict]:
    result = scan("seed001-quorum-flap", "--format", "json")
    return result.exit_code, json.loads(result.output)


def test_seed001_log_is_the_seed_verbatim():
    seed = SEED001.read_text(encoding="utf-8").splitlines()[137:301]
    log = (EXAMPLES / "seed001-quorum-flap" / "pve5" / "var" / "log" / "syslog").read_text(encoding="utf-8")
    assert log.splitlines() == seed


def test_seed001_exit_code(seed001):
    code, _ = seed001
    assert code == 1


def test_seed001_pve102_tells_the_flapping(seed001):
    _, report = seed001
    [f] = failed(report, "PVE102")
    msg = f["message"]
    assert f["severity"] == "high" and f["nodes"] == ["pve5"]
    assert "pve8 (host 8) 4 times (link 0)" in msg and "pve1 (host 1) once (link 0)" in msg
    assert "11 `Token has not been received` warnings, longest 19848 ms" in msg
    assert "a new membership formed 6 times" in msg
    assert "the instability repeated: 5 episodes" in msg
    assert "It came back after the cluster had recovered" in msg
    assert "too soon to call it settled" in msg
    # the lost HA locks and pmxcfs's CPG failures are part of the story
    assert "ha_agent_pve5_lock" in msg and "ha_manager_lock" in msg
    assert "cpg_send_message failed ×28" in msg and "cpg_join failed ×1" in msg
    commands = [s["command"] for s in f["fix"]]
    assert "ping -c 200 -i 0.2 10.10.10.8" in commands


def test_seed001_pve101_lost_and_regained(seed001):
    _, report = seed001
    [f] = failed(report, "PVE101")
    assert f["nodes"] == ["pve5"]
    assert "pve5: lost quorum 1 time(s)" in f["message"] and "regained" in f["message"]


def test_seed001_pve103_no_fence_but_near_miss(seed001):
    _, report = seed001
    [f] = failed(report, "PVE103")
    assert f["severity"] == "low"
    assert "near miss, not fenced" in f["message"] and "ha_agent_pve5_lock" in f["message"]


def test_seed001_text_reads_like_a_diagnosis():
    result = scan("seed001-quorum-flap", "--no-color")
    assert result.exit_code == 1
    out = result.output
    for needle in ("PVE102", "PVE101", "PVE103", "pve8", "ha_agent_pve5_lock", "cpg_send_message"):
        assert needle in out, needle
    assert out.index("PVE101") < out.index("PVE103")  # worst first: the near miss comes last


def test_healthy_5node_is_quiet():
    result = scan("healthy-5node", "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    loud = [(f["code"], f["severity"], f["message"]) for f in report["findings"]
            if f["status"] == "fail" and ORDER.index(f["severity"]) >= ORDER.index("medium")]
    assert not loud, loud
    quorum = [c for c in report["checks"] if c["code"] == "PVE101"]
    assert quorum and all(c["status"] == "pass" for c in quorum), quorum


def test_healthy_lab_twolinks_is_quiet_and_checks_what_it_can():
    result = scan("healthy-lab-twolinks", "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    loud = [(f["code"], f["severity"], f["message"]) for f in report["findings"]
            if ORDER.index(f["severity"]) >= ORDER.index("medium")]
    assert not loud, loud
    status = {c["code"]: c["status"] for c in report["checks"]}
    for code in ("PVE101", "PVE104", "PVE105", "PVE106"):
        assert status.get(code) == "pass", (code, status.get(code))
    # no log in this bundle: the log rules must say so, not pass
    assert status["PVE102"] == "could-not-check"
