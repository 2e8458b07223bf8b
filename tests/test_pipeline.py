"""The pipeline end to end, called directly (no CLI): load → diagnose / timeline, and the one rule
for "now" that every command shares."""

from __future__ import annotations

import os
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest

from forewarn import pipeline
from forewarn.model.findings import Status
from forewarn.report.model import Suppression

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "seed001-quorum-flap"
LAB = ROOT / "tests" / "evidence" / "corosync-lab"
JOURNAL = ROOT / "tests" / "evidence" / "host" / "systemd-vm" / "journal-final.txt"


def test_diagnose_a_bundle() -> None:
    result = pipeline.diagnose(pipeline.load([str(EXAMPLE)]))
    failed = {f.code for f in result.report.failed()}
    assert {"PVE101", "PVE102"} <= failed
    # the bundle's manifest dates it: syslog lines get the bundle's year
    assert result.now.basis == "bundle" and result.now.when.year == 2026
    assert result.context.now == result.now.when


def test_only_and_suppressions() -> None:
    bundle = pipeline.load([str(EXAMPLE)])
    result = pipeline.diagnose(bundle, only=["pve101"], suppress=[Suppression("PVE101", None, "known")])
    assert {f.code for f in result.report.findings if f.status is Status.FAIL} == {"PVE101"}
    assert result.report.failed() == [] and [f.code for f in result.report.suppressed()] == ["PVE101"]
    with pytest.raises(pipeline.InputError, match="PVE999"):
        pipeline.diagnose(bundle, only=["PVE999"])


def test_explain_and_timeline_read_the_same_loose_log_in_the_same_year(tmp_path: Path) -> None:
    """A syslog has no year: both take it from the file's time (explain used the clock before)."""
    log = tmp_path / "node3-syslog.log"
    shutil.copy(LAB / "04-loss40-node3-syslog.log", log)
    t = datetime(2031, 12, 1, tzinfo=timezone.utc)
    os.utime(log, (t.timestamp(), t.timestamp()))
    diag = pipeline.diagnose(pipeline.load([str(log)]), command="explain")
    run = pipeline.timeline(pipeline.load([str(log)]))
    assert diag.now == run.now == pipeline.Now(t, "files")
    assert run.timeline.events[0].ts.year == 2031
    assert any("modification time" in line for line in diag.report.inputs)


def test_dated_lines_outrank_the_file_time(tmp_path: Path) -> None:
    """A journal in short-iso carries its year: that is the time, whatever the file's mtime."""
    log = tmp_path / "journal.txt"
    shutil.copy(JOURNAL, log)
    os.utime(log, (0, 0))
    diag = pipeline.diagnose(pipeline.load([str(log)]))
    assert diag.now.basis == "logs" and diag.now.when.year == 2026


def test_given_now_wins_and_the_clock_is_said_when_nothing_dates_the_evidence(tmp_path: Path) -> None:
    given = datetime(2027, 1, 5, tzinfo=timezone.utc)
    assert pipeline.diagnose(pipeline.load([str(EXAMPLE)]), now=given).now == pipeline.Now(given, "given")
    bundle = pipeline.load([str(LAB / "04-loss40-node3-syslog.log")])
    for rec in bundle.records:  # as from standard input: no file to take a time from
        rec.source = "-"
    diag = pipeline.diagnose(bundle)
    assert diag.now.basis == "clock"
    assert any("clock of this machine" in line and "--now" in line for line in diag.report.inputs)


def test_timeline_without_a_log_is_an_input_error() -> None:
    bundle = pipeline.load([str(ROOT / "examples" / "healthy-5node" / "node1" / "etc" / "pve" / "corosync.conf")])
    with pytest.raises(pipeline.InputError, match="no log among the inputs"):
        pipeline.timeline(bundle)


def test_zones() -> None:
    assert pipeline.parse_zones(["Europe/Berlin", "pve2=+02:00"]) == ("Europe/Berlin", {"pve2": "+02:00"})
    with pytest.raises(pipeline.InputError):
        pipeline.parse_zones(["Mars/Olympus"])
    with pytest.raises(pipeline.InputError):
        pipeline.parse_zones(["UTC", "Europe/Berlin"])
