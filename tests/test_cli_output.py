"""What every command writes, where: formats picked from -o's extension, colour on a terminal
(and NO_COLOR), --color into a pipe, the formats each command takes, the one width."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from forewarn.cli.main import cli
from forewarn.cli.output import SEVERITIES
from forewarn.model.findings import Severity

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = str(ROOT / "examples" / "seed001-quorum-flap")
ESC = "\x1b["
# an SGR sequence that sets a colour (foreground, background, 256/true colour); bold is no colour
COLOUR = re.compile(r"\x1b\[(?:\d+;)*(?:3[0-9]|4[0-9]|9[0-7]|10[0-7])(?:;\d+)*m")


def in_terminal(*args: str, env: dict[str, str] | None = None) -> str:
    """Run forewarn with stdout on a pseudo-terminal, as an operator's shell would."""
    master, slave = pty.openpty()
    e = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "COLUMNS": "120", **(env or {})}
    if "NO_COLOR" not in (env or {}):
        e.pop("NO_COLOR", None)
    proc = subprocess.Popen([sys.executable, "-m", "forewarn.cli.main", *args], stdout=slave,
                            stderr=slave, env=e, cwd=ROOT)
    os.close(slave)
    out = b""
    while True:
        ready, _, _ = select.select([master], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    proc.wait(60)
    os.close(master)
    return out.decode("utf-8", "replace")


def piped(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    e = {**os.environ, "PYTHONPATH": str(ROOT / "src"), **env}
    return subprocess.run([sys.executable, "-m", "forewarn.cli.main", *args], capture_output=True, text=True,
                          env=e, cwd=ROOT, timeout=120)


def test_colour_on_a_terminal_and_no_color_honoured() -> None:
    assert COLOUR.search(in_terminal("scan", EXAMPLE))
    assert not COLOUR.search(in_terminal("scan", EXAMPLE, env={"NO_COLOR": "1"}))
    assert ESC not in in_terminal("scan", "--no-color", EXAMPLE)


def test_color_forces_colour_into_a_pipe() -> None:
    assert ESC not in piped("scan", EXAMPLE).stdout
    assert ESC in piped("scan", "--color", EXAMPLE).stdout


@pytest.mark.parametrize("ext,check", [
    (".json", lambda t: json.loads(t)["schema"] == "forewarn.report"),
    (".md", lambda t: t.startswith("# forewarn scan")),
    (".html", lambda t: t.lstrip().lower().startswith("<!doctype html")),
    (".txt", lambda t: t.startswith("forewarn scan:")),
])
def test_output_format_from_the_extension(tmp_path: Path, ext: str, check) -> None:
    out = tmp_path / f"report{ext}"
    r = CliRunner().invoke(cli, ["scan", EXAMPLE, "-o", str(out)])
    assert r.exit_code == 1, r.output
    assert check(out.read_text(encoding="utf-8"))


def test_format_given_wins_over_the_extension_and_a_wrong_one_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    CliRunner().invoke(cli, ["scan", EXAMPLE, "--format", "markdown", "-o", str(out)])
    assert out.read_text().startswith("# forewarn scan")
    r = CliRunner().invoke(cli, ["why", "CT is locked", "-o", str(tmp_path / "w.html")])
    assert r.exit_code == 2 and "does not write html" in r.output


def test_html_to_a_terminal_is_refused_with_a_hint() -> None:
    out = in_terminal("scan", "--format", "html", EXAMPLE)
    assert "give -o FILE" in out and "<html" not in out.lower()


def test_every_command_takes_format_and_output(tmp_path: Path) -> None:
    specs = CliRunner().invoke(cli, ["specs", "--format", "json"])
    assert specs.exit_code == 0 and {s["name"] for s in json.loads(specs.output)} >= {"pve.pvecm_status"}
    table = CliRunner().invoke(cli, ["rules", "--format", "markdown"])
    assert table.output.startswith("| CODE | SEVERITY | KIND | BY | NAME | TITLE |")
    listing = CliRunner().invoke(cli, ["rules"]).output.splitlines()
    assert listing[0].split() == ["CODE", "SEVERITY", "KIND", "BY", "NAME", "TITLE"]
    first_severity = listing[1].split()[1]  # whichever rule sorts first (BAK101 since the BAK family)
    assert listing[1].index(first_severity) == listing[0].index("SEVERITY")  # aligned columns
    out = tmp_path / "t.html"
    r = CliRunner().invoke(cli, ["timeline", EXAMPLE, "-o", str(out)])
    assert r.exit_code == 1 and "PVE101" in out.read_text(encoding="utf-8")
    bundled = CliRunner().invoke(cli, ["bundle", "--format", "json", str(ROOT / "examples" / "healthy-5node"),
                                       "-o", str(tmp_path / "b.tar.gz")])
    assert json.loads(bundled.output)["nodes"] == [f"node{i}" for i in range(1, 6)]


def test_rules_code_in_a_terminal_is_rendered_markdown() -> None:
    out = in_terminal("rules", "PVE120", env={"NO_COLOR": "1"})
    assert "## What it does" not in out  # headings rendered, not shown as markup
    assert "What it does" in out and "CT is locked (migrate)" in out
    assert "the default: a finding may be raised or lowered" in out


def test_quiet_everywhere() -> None:
    for cmd in (["scan", "-q", EXAMPLE], ["explain", "-q", EXAMPLE + "/pve5/var/log/syslog"],
                ["timeline", "-q", EXAMPLE], ["why", "-q", "CT is locked"], ["rules", "-q"], ["specs", "-q"]):
        r = piped(*cmd)
        assert r.returncode in (0, 1) and r.stderr == "", (cmd, r.stderr)


def test_the_cli_severities_are_the_models() -> None:
    assert SEVERITIES == tuple(s.label for s in sorted(Severity, reverse=True))


def test_one_width_for_every_command() -> None:
    widths = {}
    for cmd in (["scan", EXAMPLE], ["timeline", EXAMPLE], ["why", "CT is locked (migrate)"]):
        out = piped(*cmd, COLUMNS="100").stdout
        widths[cmd[0]] = max(len(line) for line in out.splitlines())
    assert all(w <= 100 for w in widths.values()), widths


def test_nothing_found_is_not_called_health(tmp_path: Path) -> None:
    """A file of no supported platform: no green "no problems", but what was and was not looked at."""
    resolv = ROOT / "tests" / "evidence" / "host"
    conf = next(p for p in sorted(resolv.rglob("resolv*.conf")) if "nameserver" in p.read_text())
    r = CliRunner().invoke(cli, ["explain", str(conf)])
    out = " ".join(r.output.split())
    assert "No problems found" not in out
    assert "evidence of: Linux host" in out and "this is no health check of a cluster" in out
    assert "could not check" in out
    healthy = CliRunner().invoke(cli, ["scan", str(ROOT / "examples" / "healthy-5node")])
    assert "evidence of: Proxmox VE, Linux host" in " ".join(healthy.output.split())
    page = tmp_path / "healthy.html"  # the HTML page says the same, not "No problems found"
    CliRunner().invoke(cli, ["scan", str(ROOT / "examples" / "healthy-5node"), "-o", str(page)])
    html = page.read_text(encoding="utf-8")
    assert "No problems found" not in html and "evidence of: Proxmox VE, Linux host" in html


def test_evidence_gutter_stays_aligned_past_six_digits() -> None:
    from rich.console import Console

    from forewarn.model.findings import EvidenceRef, Finding, FixStep, Severity, Status
    from forewarn.report.model import Report
    from forewarn.report.text import render_text

    ev = EvidenceRef("log.syslog", "pve1", "pve1/var/log/syslog", (999, 1234567), ("first line", "second line"))
    f = Finding(code="PVE101", name="quorum-lost", title="t", severity=Severity.HIGH, status=Status.FAIL,
                family="PVE", message="m", nodes=("unknown",), evidence=[ev], fix=[FixStep("pvecm status", node="unknown")])
    console = Console(record=True, width=100, color_system=None)
    render_text(Report("explain", "-", [f]), console)
    out = console.export_text()
    bars = [line.index("│") for line in out.splitlines() if "│" in line]
    assert len(bars) == 2 and bars[0] == bars[1], out
    assert "# on unknown" not in out  # a node nobody named is not a place to run a command


def test_standard_input_without_a_node_names_no_node_unknown() -> None:
    """Seed 001's excerpt has no host names: pasted on stdin, nothing may call a node 'unknown'."""
    syslog = (ROOT / "examples" / "seed001-quorum-flap" / "pve5" / "var" / "log" / "syslog").read_text()
    r = CliRunner().invoke(cli, ["explain", "-"], input=syslog)
    assert "Only one node's log is here" in " ".join(r.output.split())
    assert "unknown's" not in r.output and "# on unknown" not in r.output
