"""forewarn.toml (and pyproject.toml's [tool.forewarn]) as the options' defaults, the command line
winning; `forewarn baseline` writing a --suppress file that keeps a scan at exit 0 until
something new appears."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = str(ROOT / "examples" / "seed001-quorum-flap")  # 4 findings: 2 high, 1 medium, 1 low


def forewarn(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    e = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "XDG_CONFIG_HOME": str(cwd / "no-user-config"), **env}
    if "FOREWARN_CONFIG" not in env:
        e.pop("FOREWARN_CONFIG", None)
    return subprocess.run([sys.executable, "-m", "forewarn.cli.main", *args], capture_output=True, text=True,
                          cwd=cwd, env=e, timeout=180)


# -- the config file --------------------------------------------------------------------------

def test_fail_on_from_forewarn_toml_and_the_command_line_wins(tmp_path: Path) -> None:
    assert forewarn("scan", EXAMPLE, "-q", cwd=tmp_path).returncode == 1  # no config: high fails
    (tmp_path / "forewarn.toml").write_text('fail-on = "critical"\n')
    assert forewarn("scan", EXAMPLE, "-q", cwd=tmp_path).returncode == 0
    assert forewarn("scan", EXAMPLE, "-q", "--fail-on", "high", cwd=tmp_path).returncode == 1


def test_format_from_config_gives_way_to_the_command_line(tmp_path: Path) -> None:
    (tmp_path / "forewarn.toml").write_text('format = "sarif"\n[explain]\nformat = "junit"\n')
    assert json.loads(forewarn("scan", EXAMPLE, cwd=tmp_path).stdout)["version"] == "2.1.0"
    assert forewarn("explain", f"{EXAMPLE}/pve5/var/log/syslog", cwd=tmp_path).stdout.startswith("<?xml")
    assert "schema" in json.loads(forewarn("scan", EXAMPLE, "--format", "json", cwd=tmp_path).stdout)
    res = forewarn("scan", EXAMPLE, "-o", "r.md", cwd=tmp_path)  # -o's extension beats the config
    assert (tmp_path / "r.md").read_text().startswith("# forewarn scan"), res.stderr
    # `rules` has no sarif: the top-level format is not its default
    assert forewarn("rules", cwd=tmp_path).stdout.startswith("CODE")


def test_suppress_path_is_relative_to_the_config_file(tmp_path: Path) -> None:
    xdg = tmp_path / "xdg"
    (xdg / "forewarn").mkdir(parents=True)
    (xdg / "forewarn" / "forewarn.toml").write_text('suppress = "accepted.yaml"\nfail-on = "info"\n')
    (xdg / "forewarn" / "accepted.yaml").write_text(
        "suppress:\n" + "".join(f"  - {{code: {c}, reason: known}}\n" for c in ("PVE101", "PVE102", "PVE103", "PVE106")))
    work = tmp_path / "elsewhere"
    work.mkdir()
    res = forewarn("scan", EXAMPLE, "--format", "json", cwd=work, XDG_CONFIG_HOME=str(xdg))
    assert res.returncode == 0, res.stderr
    assert len(json.loads(res.stdout)["suppressed"]) == 4


def test_pyproject_tool_table_and_forewarn_toml_first(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.forewarn]\nfail-on = "critical"\n')
    assert forewarn("scan", EXAMPLE, "-q", cwd=tmp_path).returncode == 0
    (tmp_path / "forewarn.toml").write_text('fail-on = "low"\n')  # the first file found is the one read
    assert forewarn("scan", EXAMPLE, "-q", cwd=tmp_path).returncode == 1


def test_a_broken_pyproject_of_another_project_is_not_forewarns_problem(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project\nname = \n")
    assert forewarn("scan", EXAMPLE, "-q", cwd=tmp_path).returncode == 1
    (tmp_path / "forewarn.toml").write_text("[project\n")  # but its own file must be right
    assert forewarn("scan", EXAMPLE, "-q", cwd=tmp_path).returncode == 2


def test_targets_and_ssh_options_from_the_config(tmp_path: Path) -> None:
    (tmp_path / "forewarn.toml").write_text(f'targets = ["{EXAMPLE}"]\nidentity = "keys/pve"\n'
                                            "connect-timeout = 3\n")
    res = forewarn("scan", "--format", "json", cwd=tmp_path)
    assert json.loads(res.stdout)["source"] == EXAMPLE
    shown = forewarn("config", cwd=tmp_path).stdout
    assert f"identity = ['{tmp_path / 'keys' / 'pve'}']" in shown and "connect_timeout = 3" in shown


def test_a_config_cluster_is_no_target_when_the_command_line_names_one(tmp_path: Path) -> None:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    (tmp_path / "forewarn.toml").write_text(f'cluster = "root@127.0.0.1:{port}"\nconnect-timeout = 2\n')
    res = forewarn("scan", EXAMPLE, "--format", "json", cwd=tmp_path)
    assert json.loads(res.stdout)["source"] == EXAMPLE, res.stderr
    res = forewarn("scan", "--format", "json", "-q", cwd=tmp_path)  # no target: the config's cluster
    assert res.returncode == 2 and f"127.0.0.1:{port}" in res.stderr  # its seed cannot be reached


@pytest.mark.parametrize("text, says", [
    ('fail-on = "sometimes"\n', "fail-on = 'sometimes'"),
    ('no-such-option = 1\n', "no-such-option"),
    ('[scna]\nformat = "json"\n', "[scna]: no such command"),
    ('[rules]\nfail-on = "low"\n', "[rules] fail-on: `forewarn rules` has no such option"),
    ('insecure-no-host-key-check = true\n', "give it on the command line"),
    ('fail-on = "high\n', "not valid TOML"),
])
def test_a_bad_config_is_one_line_and_exit_2(tmp_path: Path, text: str, says: str) -> None:
    (tmp_path / "forewarn.toml").write_text(text)
    res = forewarn("scan", EXAMPLE, cwd=tmp_path)
    assert res.returncode == 2 and says in res.stderr and len(res.stderr.strip().splitlines()) == 1, res.stderr
    assert "Traceback" not in res.stderr


def test_forewarn_config_env_names_the_file(tmp_path: Path) -> None:
    conf = tmp_path / "monitoring.toml"
    conf.write_text('[scan]\nformat = "prometheus"\n')
    res = forewarn("scan", EXAMPLE, cwd=tmp_path, FOREWARN_CONFIG=str(conf))
    assert "forewarn_finding{" in res.stdout
    res = forewarn("scan", EXAMPLE, cwd=tmp_path, FOREWARN_CONFIG=str(tmp_path / "missing.toml"))
    assert res.returncode == 2 and "missing.toml: no such file" in res.stderr


# -- baseline ---------------------------------------------------------------------------------

def _scan(tmp_path: Path, *args: str) -> tuple[int, dict]:
    res = forewarn("scan", EXAMPLE, "--format", "json", "--fail-on", "info", *args, cwd=tmp_path)
    return res.returncode, json.loads(res.stdout)


def test_baseline_keeps_the_scan_clean_until_something_new(tmp_path: Path) -> None:
    from forewarn.cli.main import _known_codes
    from forewarn.report.model import load_suppressions

    res = forewarn("baseline", EXAMPLE, "-o", "accepted.yaml", "--expires", "90d", cwd=tmp_path)
    assert res.returncode == 0 and "8 entries for 4 finding(s)" in res.stderr, res.stderr
    sups = load_suppressions(tmp_path / "accepted.yaml", known_codes=_known_codes())  # the one schema
    assert {(s.code, s.node) for s in sups} >= {("PVE101", "pve5"), ("PVE106", "pve8")}
    assert {s.expires for s in sups} == {date.today() + timedelta(days=90)}
    rc, report = _scan(tmp_path, "--suppress", "accepted.yaml")
    assert rc == 0 and report["findings"] == [] and len(report["suppressed"]) == 4
    assert report["suppression_notes"] == []  # every entry matched: none reported as unused

    # a baseline of two rules: the other findings are new
    forewarn("baseline", EXAMPLE, "--only", "PVE101", "--only", "PVE102", "-o", "two.yaml", "-q", cwd=tmp_path)
    rc, report = _scan(tmp_path, "--suppress", "two.yaml")
    assert rc == 1 and {f["code"] for f in report["findings"]} == {"PVE103", "PVE106"}


def test_expired_baseline_entries_are_reported_and_count_again(tmp_path: Path) -> None:
    forewarn("baseline", EXAMPLE, "-o", "accepted.yaml", "-q", cwd=tmp_path)
    doc = yaml.safe_load((tmp_path / "accepted.yaml").read_text())
    for entry in doc["suppress"]:
        if entry["code"] == "PVE101":
            entry["expires"] = date(2020, 1, 1)
    (tmp_path / "accepted.yaml").write_text(yaml.safe_dump(doc))
    rc, report = _scan(tmp_path, "--suppress", "accepted.yaml")
    assert rc == 1 and [f["code"] for f in report["findings"]] == ["PVE101"]
    assert any("PVE101 on pve5: expired on 2020-01-01" in n for n in report["suppression_notes"])


def test_baseline_through_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "forewarn.toml").write_text('suppress = "accepted.yaml"\nfail-on = "info"\n')
    assert forewarn("scan", EXAMPLE, "-q", cwd=tmp_path).returncode == 2  # the file is not there yet
    assert forewarn("baseline", EXAMPLE, "-o", "accepted.yaml", "-q", cwd=tmp_path).returncode == 0
    assert forewarn("scan", EXAMPLE, "-q", cwd=tmp_path).returncode == 0


def test_baseline_of_loose_files_to_stdout(tmp_path: Path) -> None:
    res = forewarn("baseline", f"{EXAMPLE}/pve5/var/log/syslog", "--reason", "lab, known", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    entries = yaml.safe_load(res.stdout)["suppress"]
    assert entries and all(e["reason"] == "lab, known" and "expires" not in e for e in entries)
    assert "no expiry" in res.stderr


@pytest.mark.parametrize("value, says", [("2020-01-01", "has passed"), ("soon", "a date (YYYY-MM-DD)")])
def test_baseline_refuses_a_useless_expiry(tmp_path: Path, value: str, says: str) -> None:
    res = forewarn("baseline", EXAMPLE, "--expires", value, cwd=tmp_path)
    assert res.returncode == 2 and says in res.stderr and "Traceback" not in res.stderr
