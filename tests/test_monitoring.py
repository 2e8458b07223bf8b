"""The monitoring mode (contrib/): systemd units that write node_exporter's textfile, and the
alerting rules for it, checked by the tools that will run them: systemd-analyze, promtool."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
UNITS = ROOT / "contrib" / "systemd"
PROM = ROOT / "contrib" / "prometheus"
RECORDED = PROM / "testdata"
FOREWARN = [sys.executable, "-m", "forewarn.cli.main"]
# run-dependent: the rest of a recorded textfile must be what forewarn writes today
MOVING = ("forewarn_last_run_timestamp_seconds", "forewarn_last_run_duration_seconds")

needs_promtool = pytest.mark.skipif(shutil.which("promtool") is None,
                                    reason="promtool absent (Debian's prometheus package; .ci/run installs it)")


def _env() -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    env.pop("FOREWARN_CONFIG", None)
    return env


def _exec_start(unit: Path) -> list[str]:
    (line,) = [ln for ln in unit.read_text().splitlines() if ln.startswith("ExecStart=")]
    return shlex.split(line.partition("=")[2])


def _installed_units(tmp_path: Path) -> Path:
    """The units as an installation has them, with forewarn at this checkout's interpreter."""
    forewarn = tmp_path / "bin" / "forewarn"
    forewarn.parent.mkdir()
    forewarn.write_text(f"#!/bin/sh\nPYTHONPATH={ROOT / 'src'} exec {sys.executable} -m forewarn.cli.main \"$@\"\n")
    forewarn.chmod(0o755)
    out = tmp_path / "units"
    out.mkdir()
    for unit in UNITS.glob("forewarn-scan.*"):
        (out / unit.name).write_text(unit.read_text().replace("/usr/local/bin/forewarn", str(forewarn)))
    return out


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze absent")
def test_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    units = _installed_units(tmp_path)
    res = subprocess.run(["systemd-analyze", "verify", "--man=no", *map(str, sorted(units.iterdir()))],
                         capture_output=True, text=True, timeout=120)
    # verify exits 0 on a directive it cannot parse, and says so on stderr
    assert res.returncode == 0 and "forewarn-scan" not in res.stderr, res.stderr


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze absent")
def test_systemd_analyze_check_can_fail(tmp_path: Path) -> None:
    units = _installed_units(tmp_path)
    timer = units / "forewarn-scan.timer"
    timer.write_text(timer.read_text().replace("OnUnitActiveSec=5min", "OnUnitActiveSec=5 fortnights"))
    res = subprocess.run(["systemd-analyze", "verify", "--man=no", str(timer)], capture_output=True, text=True,
                         timeout=120)
    assert "forewarn-scan.timer" in res.stderr


def test_the_timer_runs_the_service_every_few_minutes() -> None:
    timer = UNITS / "forewarn-scan.timer"
    text = timer.read_text()
    assert re.search(r"^OnUnitActiveSec=\d+min$", text, re.M) and "WantedBy=timers.target" in text
    service = (UNITS / "forewarn-scan.service").read_text()
    assert "Type=oneshot" in service and "SuccessExitStatus=1" in service  # findings are no failed unit


def test_the_service_command_line_writes_the_textfile(tmp_path: Path) -> None:
    """ExecStart as written, on this host, with the textfile directory moved into tmp_path."""
    from prometheus_client.parser import text_string_to_metric_families

    argv = _exec_start(UNITS / "forewarn-scan.service")
    assert argv[0] == "/usr/local/bin/forewarn" and argv[1] == "scan"
    target = argv[argv.index("--output") + 1]
    assert target == "/var/lib/prometheus/node-exporter/forewarn.prom"  # Debian's textfile directory
    out = tmp_path / "node-exporter" / "forewarn.prom"
    out.parent.mkdir()
    argv[argv.index("--output") + 1] = str(out)
    res = subprocess.run([*FOREWARN, *argv[1:]], capture_output=True, text=True, env=_env(), cwd=tmp_path,
                         timeout=300)
    assert res.returncode in (0, 1), res.stderr  # 1: this host has findings, which the unit accepts
    assert res.stderr == ""  # --quiet: nothing in the journal but errors
    fams = {f.name: f for f in text_string_to_metric_families(out.read_text())}
    (up,) = fams["forewarn_up"].samples
    assert up.value == 1
    assert sorted(p.name for p in out.parent.iterdir()) == ["forewarn.prom"]


def _samples(text: str, instance: str) -> dict[str, float]:
    from prometheus_client.parser import text_string_to_metric_families

    out = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            labels = {**s.labels, "instance": instance}
            out[s.name + "{" + ", ".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}"] = s.value
    return out


def _record(name: str) -> str:
    """What forewarn writes today for the evidence a recorded textfile was made from."""
    watchdog = "tests/evidence/ha-fence-watchdog/sd-sandbox-pve02-"
    if name == "seed001-quorum-flap":
        args = ["scan", "examples/seed001-quorum-flap"]
    elif name == "ha-fence-watchdog":
        args = ["explain", f"{watchdog}membership.log", f"{watchdog}watchdog.log",
                "--node", f"sd-sandbox-pve02={watchdog}membership.log", "--node", f"sd-sandbox-pve02={watchdog}watchdog.log"]
    else:
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()  # a loopback port nothing listens on
        args = ["scan", f"root@127.0.0.1:{port}", "--connect-timeout", "5", "-q"]
    res = subprocess.run([*FOREWARN, *args, "--format", "prometheus"], capture_output=True, text=True, env=_env(),
                         cwd=ROOT, timeout=300)
    assert res.returncode == 1, res.stderr
    return res.stdout


@pytest.mark.parametrize("name", ["seed001-quorum-flap", "ha-fence-watchdog", "node-unreachable"])
def test_recorded_textfiles_are_what_forewarn_writes_and_what_promtool_is_fed(name: str) -> None:
    recorded = _samples((RECORDED / f"{name}.prom").read_text(), name)
    today = _samples(_record(name), name)
    assert {k: v for k, v in recorded.items() if not k.startswith(MOVING)} == \
           {k: v for k, v in today.items() if not k.startswith(MOVING)}
    fed = {}
    for series in yaml.safe_load((PROM / "forewarn-alerts.test.yml").read_text())["tests"][0]["input_series"]:
        if f'instance="{name}"' in series["series"]:
            first = series["values"].split()[0].split("x")[0].split("+")[0]
            fed[series["series"]] = float(first)
    assert set(fed) == set(recorded)
    assert {k: v for k, v in fed.items() if not k.startswith(MOVING)} == \
           {k: pytest.approx(v) for k, v in recorded.items() if not k.startswith(MOVING)}


@needs_promtool
def test_alerting_rules_pass_promtool_check() -> None:
    res = subprocess.run(["promtool", "check", "rules", str(PROM / "forewarn-alerts.yml")], capture_output=True,
                         text=True, timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "4 rules found" in res.stdout + res.stderr


@needs_promtool
def test_alerting_rules_pass_promtool_tests_on_the_recorded_textfiles() -> None:
    res = subprocess.run(["promtool", "test", "rules", "forewarn-alerts.test.yml"], capture_output=True, text=True,
                         cwd=PROM, timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr


@needs_promtool
def test_promtool_test_fails_when_an_alert_is_not_expected(tmp_path: Path) -> None:
    doc = yaml.safe_load((PROM / "forewarn-alerts.test.yml").read_text())
    for case in doc["tests"][0]["alert_rule_test"]:
        if case["alertname"] == "ForewarnHighFinding" and case["exp_alerts"]:
            case["exp_alerts"] = [a for a in case["exp_alerts"] if a["exp_labels"]["code"] != "PVE102"]
    doc["rule_files"] = [str(PROM / "forewarn-alerts.yml")]
    (tmp_path / "t.yml").write_text(yaml.safe_dump(doc))
    res = subprocess.run(["promtool", "test", "rules", "t.yml"], capture_output=True, text=True, cwd=tmp_path,
                         timeout=120)
    assert res.returncode != 0 and "PVE102" in res.stdout + res.stderr
