"""The event cap (parse/log/events.py MAX_PER_KIND) bounds memory and never changes findings: a
kind seen more often keeps its first and last events and its exact count. Checked on a large
real-shaped log (benchmarks/gen_syslog.py: real lines of public pastes and of the corosync lab,
problem lines among much noise) and on the independent corpus of ../shared/bench (state lines by
the thousand), read with the cap as shipped and with a cap far below their event counts: the same
findings, and the report says the cap applied."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from forewarn.parse.log import events
from forewarn.pipeline import diagnose, load

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))


BENCH = Path("/work/shared/bench/gen_corpus.py")
if not BENCH.exists():
    BENCH = ROOT.parent / "shared" / "bench" / "gen_corpus.py"


@pytest.fixture(scope="module", params=["gen_syslog", "shared-bench"])
def big_log(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cap") / "syslog"
    if request.param == "gen_syslog":
        from gen_syslog import generate

        generate(out, 12 << 20, 3, 300_000)
        return out
    if not BENCH.exists():
        pytest.skip("../shared/bench not present")
    subprocess.run([sys.executable, str(BENCH), "--size", "12M", "--out", str(out)], check=True,
                   stdout=subprocess.DEVNULL)
    return out


def _bench_corpus(folder: Path, size: str) -> Path:
    """A corpus of the independent generator (../shared/bench) of `size`, in `folder`."""
    out = folder / "syslog"
    subprocess.run([sys.executable, str(BENCH), "--size", size, "--out", str(out)], check=True,
                   stdout=subprocess.DEVNULL)
    return out


def _verdicts(path: Path) -> tuple[set[tuple[str, str, str, tuple[str, ...]]], list[str], int]:
    from datetime import datetime, timezone

    d = diagnose(load([str(path)]), command="explain", now=datetime(2027, 1, 2, tzinfo=timezone.utc))
    rows = {(f.code, f.status.value, f.severity.label, f.nodes) for f in d.report.findings}
    dropped = sum(f.value.dropped_events for f in d.context.facts("log.syslog"))
    return rows, d.report.notes, dropped


def test_same_findings_with_and_without_the_cap(big_log: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    full, notes, dropped = _verdicts(big_log)
    assert dropped == 0 and not notes
    monkeypatch.setattr(events, "MAX_PER_KIND", 40)
    capped, notes_capped, dropped_capped = _verdicts(big_log)
    assert capped == full
    assert sum(1 for r in full if r[1] == "fail") >= 2  # a log with problems in it
    if dropped_capped:
        assert any("counted but not kept" in n for n in notes_capped)
    else:  # gen_syslog's noise is no event: each problem kind shows a few times
        assert "shared" not in str(big_log.parent.name)


def test_the_cap_applies_on_the_independent_corpus(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    if not BENCH.exists():
        pytest.skip("../shared/bench not present")
    out = _bench_corpus(tmp_path, "4M")
    monkeypatch.setattr(events, "MAX_PER_KIND", 40)
    _rows, notes, dropped = _verdicts(out)
    assert dropped > 0 and any("counted but not kept" in n for n in notes)
    # the timeline, which draws its lanes from the kept events, says so too
    from datetime import datetime, timezone

    from forewarn.facts.timeline import timeline_of

    d = diagnose(load([str(out)]), command="explain", now=datetime(2027, 1, 2, tzinfo=timezone.utc))
    assert any("counted but not kept" in n for n in timeline_of(d.context).notes)


def test_a_count_in_a_message_stays_exact_past_the_cap(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """NET122 says how many bridge port state lines it ignored: the exact count, not the events kept."""
    if not BENCH.exists():
        pytest.skip("../shared/bench not present")
    from datetime import datetime, timezone

    out = _bench_corpus(tmp_path, "4M")
    monkeypatch.setattr(events, "MAX_PER_KIND", 40)
    d = diagnose(load([str(out)]), command="explain", now=datetime(2027, 1, 2, tzinfo=timezone.utc))
    exact = sum(f.value.kinds["bridge_port_state"] for f in d.context.facts("log.syslog"))
    net122 = [f for f in d.report.findings if f.code == "NET122" and f.status.value == "fail"]
    assert exact > 40 and net122
    assert sum(f.details["ignored_lines"] for f in net122) == exact
    assert all("among the first and last 40 kept" in f.message for f in net122)


def test_counts_made_from_sampled_events_say_they_are_a_lower_bound(monkeypatch: pytest.MonkeyPatch,
                                                                    tmp_path: Path) -> None:
    """PVE101 counts quorum losses and PVE102 memberships from the events kept: past the cap
    they say the number is a lower bound; within it they say nothing of the kind."""
    if not BENCH.exists():
        pytest.skip("../shared/bench not present")
    from datetime import datetime, timezone

    out = _bench_corpus(tmp_path, "12M")

    def messages() -> dict[str, str]:
        d = diagnose(load([str(out)]), command="explain", now=datetime(2027, 1, 2, tzinfo=timezone.utc))
        return {f.code: f.message for f in d.report.findings
                if f.code in ("PVE101", "PVE102") and f.status.value == "fail"}

    shipped = messages()
    assert set(shipped) == {"PVE101", "PVE102"} and not any("at least" in m for m in shipped.values())
    monkeypatch.setattr(events, "MAX_PER_KIND", 40)
    capped = messages()
    assert set(capped) == {"PVE101", "PVE102"}
    assert all("(at least: of " in m and "the rest only counted)" in m for m in capped.values())
