"""Logs whose times go backwards: rotated pieces given in any order, and pieces concatenated in
the wrong order (`cat syslog syslog.1`). They are read in time order, said so when one file goes
back, every evidence line keeps its own file and line number, and no duration is negative
(issue 10, item 2). The pieces are a real lab log cut in two; nothing is invented."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from forewarn.cli.main import cli

ROOT = Path(__file__).resolve().parent.parent
LOG = ROOT / "tests" / "evidence" / "corosync-lab" / "06-five-faults-node5-syslog.log"
NEGATIVE = re.compile(r"(?<![\w.])-\d+ (?:s|min|h)\b")
NOW = ["--now", "2026-11-22T06:00:00"]


def _run(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    return result.output


def _pieces(tmp_path: Path, cut: int) -> tuple[Path, Path]:
    """The log as logrotate would leave it: `syslog.1` up to line `cut`, `syslog` the rest."""
    lines = LOG.read_text(encoding="utf-8").splitlines(keepends=True)
    old, new = tmp_path / "syslog.1", tmp_path / "syslog"
    old.write_text("".join(lines[:cut]), encoding="utf-8")
    new.write_text("".join(lines[cut:]), encoding="utf-8")
    return old, new


def _findings(*files: Path) -> dict[str, dict]:
    report = json.loads(_run("explain", *map(str, files), *NOW, "--format", "json"))
    return {f["code"]: f for f in report["findings"]}


@pytest.fixture(scope="module")
def whole() -> dict[str, dict]:
    return _findings(LOG)


def test_rotated_pieces_in_any_order_read_in_time_order(tmp_path, whole):
    old, new = _pieces(tmp_path, 100)
    got = _findings(new, old)  # the current file first, as `ls -t` or a shell glob may give them
    assert got["PVE101"]["message"] == whole["PVE101"]["message"]
    assert "FW910" not in got  # each piece is in order: nothing to say
    # evidence: each line cited in its own piece, by its own line number there
    by_art = {Path(e["artifact"]).name: e for e in got["PVE101"]["evidence"]}
    for name, piece in (("syslog.1", old), ("syslog", new)):
        text = piece.read_text(encoding="utf-8").splitlines()
        for n, excerpt in zip(by_art[name]["lines"], by_art[name]["excerpt"]):
            assert text[n - 1].startswith(excerpt.rstrip("…"))


@pytest.mark.parametrize("cut", [20, 100, 180])
def test_concatenated_in_the_wrong_order_is_sorted_and_said(tmp_path, whole, cut):
    old, new = _pieces(tmp_path, cut)
    cat = tmp_path / "all.log"
    cat.write_text(new.read_text(encoding="utf-8") + old.read_text(encoding="utf-8"), encoding="utf-8")
    got = _findings(cat)
    assert got["PVE101"]["message"] == whole["PVE101"]["message"]
    episodes = re.compile(r"the membership broke.*|episodes? \(.*?\)\.|in one episode \(.*?\)\.", re.S)
    assert episodes.findall(" ".join(got["PVE102"]["message"].split())) == \
        episodes.findall(" ".join(whole["PVE102"]["message"].split()))
    fw = got["FW910"]
    back = len(LOG.read_text(encoding="utf-8").splitlines()) - cut + 1  # the first line of syslog.1 in all.log
    assert fw["evidence"][0]["lines"][0] >= back
    assert f"all.log goes back in time at line {fw['evidence'][0]['lines'][0]}" in fw["message"]
    text = _run("explain", str(cat), *NOW, "--no-color")
    timeline = _run("timeline", str(cat), "--no-color")
    assert not NEGATIVE.search(text), NEGATIVE.search(text)
    assert not NEGATIVE.search(timeline), NEGATIVE.search(timeline)
    assert "goes back in time" in timeline
