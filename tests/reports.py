"""Helpers for the tests that run `forewarn explain` on a node's real files and read its JSON."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from forewarn.cli.main import cli
from forewarn.rules import RULES


def explain_nodes(tmp_path: Path, monkeypatch, nodes: dict[str, dict[str, str | bytes | Path]]) -> dict:
    """Write each node's files as `<node>/<name>`, explain them all with `--node <node>=<file>`
    (a folder never names a node by itself) and `--format json`, and return the report. A value is
    text, bytes or a file to copy."""
    args = ["explain"]
    for node, files in nodes.items():
        (tmp_path / node).mkdir()
        for name, content in files.items():
            target = tmp_path / node / name
            if isinstance(content, Path):
                target.write_bytes(content.read_bytes())
            elif isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content, encoding="utf-8")
            args += [f"{node}/{name}", "--node", f"{node}={node}/{name}"]
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, [*args, "--format", "json"], catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.output)


def rule_status(report: dict) -> dict[str, str]:
    """Every rule's status: `checks` lists the rules without a finding, `findings` the failures."""
    status = {c["code"]: c["status"] for c in report["checks"]}
    for f in report["findings"]:
        if f["status"] == "fail":
            status[f["code"]] = "fail"
    return status


def failed(report: dict, code: str) -> list[dict]:
    return [f for f in report["findings"] if f["code"] == code and f["status"] == "fail"]


def platform_statuses(report: dict, platform: str) -> dict[str, str]:
    """The status of every rule of one platform (`pve`, `lvm`, `k8s`, `osk`)."""
    return {c: s for c, s in rule_status(report).items() if c in RULES and RULES[c].platform == platform}
