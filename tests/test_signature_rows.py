"""The findings that signatures carry are rows of the one registry: `rules` lists them, `rules CODE`
shows their real lines, and a scan gives each one of the four outcomes, as a rule has."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from forewarn.catalogue import CATALOGUE
from forewarn.cli.main import cli
from forewarn.model.findings import Status
from forewarn.pipeline import diagnose, load
from forewarn.signatures import load as signatures

ROOT = Path(__file__).resolve().parent.parent
CARRIED = {s.finding.code: s for s in signatures() if s.finding is not None}


def test_every_carried_code_is_a_detect_row_by_signature() -> None:
    rows = {r["code"]: r for r in json.loads(CliRunner().invoke(cli, ["rules", "--format", "json"]).output)}
    for code, sig in CARRIED.items():
        assert rows[code]["kind"] == "detect" and rows[code]["by"] == "signature", code
        assert rows[code]["title"] == sig.finding.title and CATALOGUE[code].by == "signature"


def test_rules_code_shows_real_example_and_near_miss() -> None:
    code, sig = sorted(CARRIED.items())[0]
    doc = json.loads(CliRunner().invoke(cli, ["rules", code, "--format", "json"]).output)
    assert doc["implemented"] and doc["by"] == "signature" and sig.id in doc["signatures"]
    assert sig.examples[0].line in [e["line"] for e in doc["examples"]]
    assert sig.near_misses[0].line in [e["line"] for e in doc["near_misses"]]
    md = CliRunner().invoke(cli, ["rules", code, "--format", "markdown"]).output
    assert sig.examples[0].line in md and "Near misses" in md


def _loose(tmp_path: Path, name: str, text: str) -> list[str]:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return [str(p)]


def test_four_outcomes(tmp_path: Path) -> None:
    sig = CARRIED["PVE209"]
    code = sig.finding.code
    example = ROOT / sig.examples[0].source.split(":")[0]
    # the real line in a log: fail
    failing = diagnose(load([str(example)]), only=[code], command="explain").report
    assert [f.status for f in failing.findings if f.code == code] == [Status.FAIL], example
    # a real log of its platform without it: pass (a PVE row on a log with no PVE evidence is not
    # applicable, as a rule is)
    log = ROOT / "tests/evidence/corosync-lab/04-loss40-node1-syslog.log"
    passing = diagnose(load([str(log)]), only=[code], command="explain").report
    assert {f.status for f in passing.findings if f.code == code} == {Status.PASS}
    # no log at all (a config only): could not check
    cfg = ROOT / "examples/seed001-quorum-flap"
    confs = sorted(p for p in cfg.rglob("corosync.conf"))[:1]
    if confs:
        none = diagnose(load([str(confs[0])]), only=[code], command="explain").report
        assert {f.status for f in none.findings if f.code == code} == {Status.COULD_NOT_CHECK}


def test_a_row_of_an_absent_platform_is_not_applicable() -> None:
    log = ROOT / "tests/evidence/logs-storage/lkml-2001-nfs-spot.log"  # a kernel's NFS lines, no Proxmox
    report = diagnose(load([str(log)]), only=["PVE209"], command="explain").report
    assert {f.status for f in report.findings if f.code == "PVE209"} == {Status.NOT_APPLICABLE}
