"""`forewarn timeline` against known truth.

The truth comes from the lab's own records, read here from the files (not from forewarn's
output): `06-five-faults-timeline.txt` and `04-loss40-timeline.txt` give the wall-clock time of
every fault and what corosync-quorumtool showed on the nodes; seed 001's author marks the story
of the paste with `//` comments. See tests/evidence/timeline/SOURCE.md.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from forewarn.cli.main import cli
from forewarn.facts.context import Context
from forewarn.facts.timeline import Timeline, build_timeline
from forewarn.facts.words import episode_span
from forewarn.model.evidence import EvidenceRecord
from forewarn.report.timeline_json import timeline_to_json
from forewarn.report.timeline_story import story
from forewarn.rules._engine import run_all

ROOT = Path(__file__).resolve().parent.parent
EV = ROOT / "tests" / "evidence"
EX = ROOT / "examples"
LAB = EV / "corosync-lab"
SHIFTED = EV / "timeline" / "06-five-faults-node4-syslog-clock-plus37s.log"
SEED = EV / "seeds" / "001_2bd87300fc635f04.txt"
NOW = datetime(2026, 11, 22, 6, 0, tzinfo=timezone.utc)
SLACK = 3.0  # "within a few seconds": syslog has whole seconds and corosync takes a moment to log


def _rec(node: str, path: Path, text: str | None = None, spec: str = "log.syslog") -> EvidenceRecord:
    data = (text if text is not None else path.read_text(encoding="utf-8")).encode("utf-8")
    return EvidenceRecord(spec=spec, node=node, artifact=str(path.relative_to(ROOT)), kind="log",
                          data=data, size=len(data))


def timeline(files: dict[str, Path], **kw) -> Timeline:
    ctx = Context([_rec(n, p) for n, p in files.items()], now=NOW)
    return build_timeline(ctx, **kw)


def five(prefix: str = "06-five-faults", n: int = 5) -> dict[str, Path]:
    return {f"node{i}": LAB / f"{prefix}-node{i}-syslog.log" for i in range(1, n + 1)}


# -- the lab's truth, read from its own record ---------------------------------------------------
def lab_steps(name: str) -> list[tuple[str, datetime, list[str]]]:
    """[(step title, wall-clock start, the lines recorded under it)] from a lab *-timeline.txt."""
    steps: list[tuple[str, datetime, list[str]]] = []
    for line in (LAB / name).read_text().splitlines():
        m = re.match(r"^===== (.*) \((\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+)\)$", line)
        if m:
            steps.append((m.group(1), datetime.fromisoformat(m.group(2)), []))
        elif steps:
            steps[-1][2].append(line)
    return steps


def after(step: tuple[str, datetime, list[str]], pattern: str) -> datetime:
    """The step's start plus the delay recorded on the line matching `pattern` (`... after: 10.40 s`)."""
    for line in step[2]:
        if re.search(pattern, line):
            secs = float(re.search(r"after(?: restart)?:?\s+([\d.]+) s", line).group(1))
            return step[1] + timedelta(seconds=secs)
    raise AssertionError(f"no line matching {pattern!r} under {step[0]!r}")


def near(a: datetime | None, b: datetime, slack: float = SLACK) -> bool:
    return a is not None and abs((a - b).total_seconds()) <= slack


@pytest.fixture(scope="module")
def tl06() -> Timeline:
    return timeline(five())


@pytest.fixture(scope="module")
def truth06():
    return lab_steps("06-five-faults-timeline.txt")


# -- 06-five-faults: two splits, a crash, a clean stop, a pulled cable ---------------------------
def test_five_faults_episodes_in_truth_order(tl06, truth06):
    steps = truth06
    titles = [s[0] for s in steps]
    assert titles[0].startswith("split 1,2,3 | 4,5") and titles[2].startswith("split 1,2 | 3,4,5")
    assert [ep.kind for ep in tl06.episodes] == ["split", "split", "crash", "restart", "cut-off"]
    assert tl06.timed and not tl06.corrected
    # events are ordered by time
    times = [t.ts for t in tl06.events]
    assert times == sorted(times)
    # the sandbox's RLIMIT_MEMLOCK line is no part of any incident
    assert not any(t.kind == "sandbox_memlock" or "RLIMIT" in t.ne.ev.text for t in tl06.events)
    assert all("RLIMIT" not in story(tl06, ep) for ep in tl06.episodes)


def test_five_faults_first_split_nodes_4_5_lose_quorum(tl06, truth06):
    steps = truth06
    split, heal = steps[0], steps[1]
    ep = tl06.episodes[0]
    assert sorted(map(sorted, ep.partition)) == [["node1", "node2", "node3"], ["node4", "node5"]]
    assert near(ep.start, split[1])  # the fault at 04:04:28.4; knet noticed it at 04:04:30
    # truth: "node5 sees Quorate: No after 10.40 s"; "node5 back to 5 votes after 4.53 s" (after the heal)
    lost, back = after(split, r"node5 sees Quorate: No"), after(heal, r"node5 back to 5 votes")
    nq = {iv.node: iv for iv in ep.non_quorate}
    assert set(nq) == {"node4", "node5"}  # and nodes 1, 2, 3 kept quorum
    for iv in nq.values():
        assert near(iv.start, lost) and near(iv.end, back), (iv.start, iv.end, lost, back)
        assert 4 <= iv.seconds <= 10
    # the rings the lab saw on each side
    seen = {m.group(1): m.group(2) for m in re.finditer(r"(node\d): ring=(\S+)", "\n".join(split[2]))}
    assert {r["ring"] for r in ep.rings} >= set(seen.values())
    assert near(ep.end, back)
    assert "8 s later node1, node2 and node3 formed ring 1.11 with quorum and node4 and node5 formed ring " \
           "4.11 without quorum" in story(tl06, ep)


def test_five_faults_second_split_nodes_1_2_lose_quorum(tl06, truth06):
    steps = truth06
    split, heal = steps[2], steps[3]
    ep = tl06.episodes[1]
    assert sorted(map(sorted, ep.partition)) == [["node1", "node2"], ["node3", "node4", "node5"]]
    lost, back = after(split, r"node1 sees Quorate: No"), after(heal, r"node1 back to 5 votes")
    nq = {iv.node: iv for iv in ep.non_quorate}
    assert set(nq) == {"node1", "node2"}
    for iv in nq.values():
        assert near(iv.start, lost) and near(iv.end, back)
    assert near(ep.start, split[1]) and near(ep.end, back)


def test_five_faults_node5_crash_and_restart(tl06, truth06):
    steps = truth06
    kill, start = steps[4], steps[5]
    assert "kill -9 corosync on node5" in kill[0] and "start corosync on node5" in start[0]
    ep = tl06.episodes[2]
    assert [c.node for c in ep.crashes] == ["node5"]
    crash = ep.crashes[0]
    assert near(crash.at, kill[1], 1.5)  # its peers lost its link the second it died
    assert near(crash.restart.ts, start[1], 1.5)
    assert near(ep.start, kill[1])
    # node5 had no quorum only while its new corosync was starting; nobody else lost it
    assert [(iv.node, iv.reason.split(":")[0]) for iv in ep.non_quorate] == [("node5", "corosync starting")]
    stopped = [iv for iv in tl06.track("node5", "quorum") if iv.value == "stopped"]
    assert len(stopped) == 1 and near(stopped[0].start, kill[1], 1.5) and near(stopped[0].end, start[1], 1.5)


def test_five_faults_node4_clean_stop_is_not_a_fault(tl06, truth06):
    steps = truth06
    stop = steps[6]
    assert "SIGTERM, clean leave" in stop[0]
    ep = tl06.episodes[3]
    assert ep.kind == "restart" and not ep.crashes
    assert [t.node for t in ep.clean_stops] == ["node4"]
    assert near(ep.clean_stops[0].ts, stop[1])
    assert near(ep.start, stop[1])
    told = story(tl06, ep)
    assert "node4 left cleanly" in told and "node4's corosync was stopped cleanly" in told
    # nobody lost quorum; node4 was only starting up again
    assert all(iv.node == "node4" and iv.reason.startswith("corosync starting") for iv in ep.non_quorate)


def test_five_faults_node5_port_down(tl06, truth06):
    steps = truth06
    down, up = steps[7], steps[8]
    assert down[0].startswith("linkdown 5") and up[0].startswith("linkup 5")
    ep = tl06.episodes[4]
    assert ep.kind == "cut-off" and ep.partition[-1] == ["node5"]
    assert near(ep.start, down[1])
    lost, back = after(down, r"node5 sees Quorate: No"), after(up, r"node1 sees 5 votes")
    assert [iv.node for iv in ep.non_quorate] == ["node5"]
    assert near(ep.non_quorate[0].start, lost) and near(ep.non_quorate[0].end, back)


def test_five_faults_pve102_reports_the_timelines_episodes(tl06):
    """One episode model: PVE102 lists the timeline's corosync episodes, with their numbers, spans
    and titles (the clean restart of node4, episode 4, is not corosync trouble)."""
    ctx = Context([_rec(n, p) for n, p in five().items()], now=NOW)
    f = next(f for f in run_all(ctx, ["PVE102"]) if f.code == "PVE102")
    listed = re.findall(r"^\s+Episode (\d+)  (.+?): (.+)$", f.message, re.M)
    expected = [(str(ep.id), episode_span(ep), ep.title) for ep in tl06.episodes if ep.corosync]
    assert [x[0] for x in expected] == ["1", "2", "3", "5"]
    assert listed == expected
    assert f.details["node1"]["timeline_episodes"] == [1, 2, 3, 5]


def test_seed001_pve102_and_the_timeline_cut_the_same_episodes():
    """Issue 10 item 3: the timeline cut 14–102, 103–137, 139–146 while PVE102 said 14–61, 103–117,
    139–143; PVE102 now reports the timeline's episodes, recovery events included."""
    log = EX / "seed001-quorum-flap" / "pve5" / "var" / "log" / "syslog"
    ctx = Context([_rec("pve5", log)], now=NOW)
    tl = build_timeline(ctx)
    spans = [episode_span(ep) for ep in tl.episodes if ep.corosync]
    assert spans[:3] == ["lines 14–102", "lines 103–137", "lines 139–146"]
    f = next(f for f in run_all(ctx, ["PVE102"]) if f.code == "PVE102")
    assert f"the instability repeated: {len(spans)} episodes ({', '.join(spans)})." in " ".join(f.message.split())
    assert f.details["pve5"]["timeline_episodes"] == [ep.id for ep in tl.episodes if ep.corosync]


def test_five_faults_states_for_a_chart(tl06):
    """Every node has a quorum lane covering its whole log, without gaps, and a membership lane."""
    for lane in tl06.lanes:
        q = tl06.track(lane.name, "quorum")
        assert q[0].start == lane.start and q[-1].end == lane.end
        for a, b in zip(q, q[1:]):
            assert a.end == b.start and a.value != b.value
        assert tl06.track(lane.name, "membership")
    # node3 never logged a quorum change and was in majority memberships only: quorate throughout
    assert [iv.value for iv in tl06.track("node3", "quorum")] == ["quorate"]


# -- 04-loss40: node3 thrown out, nodes 1 and 2 keep quorum ---------------------------------------
def test_loss40_node3_thrown_out_nodes_1_2_keep_quorum():
    tl = timeline(five("04-loss40", 3))
    steps = lab_steps("04-loss40-timeline.txt")
    loss, heal = steps[0], steps[1]
    samples = [ln for ln in loss[2] if re.match(r"^\d\d:\d\d:\d\d\.\d ", ln)]
    first_no = next(ln for ln in samples if "node3[ring=" in ln and re.search(r"node3\[\S+ quorate=No", ln))
    t_no = datetime.combine(loss[1].date(), datetime.strptime(first_no.split()[0], "%H:%M:%S.%f").time())
    assert all("quorate=No" not in ln.split("node3[")[0] for ln in samples)  # nodes 1 and 2: always Yes
    back = after(heal, r"all back to 3 votes")

    corosync_eps = [ep for ep in tl.episodes if ep.rings]
    assert len(corosync_eps) == 1
    ep = corosync_eps[0]
    assert ep.kind == "cut-off" and ep.partition == [["node1", "node2"], ["node3"]]
    assert [iv.node for iv in ep.non_quorate] == ["node3"]
    iv = ep.non_quorate[0]
    assert near(iv.start, t_no, 1.5) and near(iv.end, back)
    for node in ("node1", "node2"):
        assert [x.value for x in tl.track(node, "quorum")] == ["quorate"]


# -- seed 001: a paste without times --------------------------------------------------------------
def seed_lines() -> tuple[str, dict[str, int]]:
    lines = SEED.read_text(encoding="utf-8").splitlines()[137:301]
    marks = {}
    for i, ln in enumerate(lines, 1):
        m = re.match(r"^\s*// (.*)$", ln)
        if m:
            marks[m.group(1).strip()] = i
    return "\n".join(lines) + "\n", marks


def test_seed001_order_and_episodes_without_times():
    text, marks = seed_lines()
    ctx = Context([EvidenceRecord(spec="log.syslog", node="pve5", artifact="seed001.txt", kind="log",
                                  data=text.encode(), size=len(text))], now=NOW)
    tl = build_timeline(ctx)
    assert not tl.timed and all(t.ts is None for t in tl.events)
    assert [t.line for t in tl.events] == sorted(t.line for t in tl.events)  # line order kept
    assert len({t.line for t in tl.events}) == len(tl.events)
    eps = tl.episodes
    assert len(eps) == 5 and not any(ep.timed for ep in eps)
    first = eps[0]
    # "Quorum disruption" ... "Quorum restoration" ... "Host unbloked for this moment" ... "Problems persists"
    nq = first.non_quorate
    assert [iv.node for iv in nq] == ["pve5"]
    by_seq = {t.seq: t for t in tl.events}
    assert marks["Quorum disruption"] < by_seq[nq[0].start_seq].line < marks["Quorum restoration"]
    assert marks["Host unbloked for this moment"] < by_seq[nq[0].end_seq].line < marks["Problems persists"]
    assert [(r["ring"], r["members"]) for r in first.rings] == [("5.13620", ["5"]), ("1.13624", ["1", "3", "4", "5", "8"])]
    locks = {t.attrs.get("lock") for t in first.lock_losses if t.attrs.get("lock")}
    assert locks == {"ha_agent_pve5_lock", "ha_manager_lock"}
    # the recovery ("All thing became good for now") closes episode 2: the locks come back after it
    second = eps[1]
    assert marks["Problems persists"] < min(t.line for t in second.events)
    back = [t for t in second.aftermath if t.kind == "ha_acquired_lock"]
    assert back and all(t.line > marks["All thing became good for now"] for t in back)
    # "Bad again": three more re-formations, each one ring, nobody loses quorum
    for ep in eps[2:]:
        assert min(t.line for t in ep.events) > marks["Bad again"]
        assert ep.membership_changes == 1 and not ep.non_quorate
    assert all(ep.membership_changes == 1 for ep in eps[1:])
    # the near miss PVE103 reports is the timeline's too
    assert [m.node for m in tl.near_misses] == ["pve5"] and not tl.fences


# -- clocks -------------------------------------------------------------------------------------
def _syslog_time(line: str) -> datetime:
    return datetime.strptime("2026 " + line[:15], "%Y %b %d %H:%M:%S")


def test_shifted_evidence_is_the_original_with_its_time_field_moved():
    orig = (LAB / "06-five-faults-node4-syslog.log").read_text().splitlines()
    shifted = SHIFTED.read_text().splitlines()
    assert len(orig) == len(shifted)
    for a, b in zip(orig, shifted):
        assert a[15:] == b[15:]
        assert _syslog_time(b) - _syslog_time(a) == timedelta(seconds=37)


def test_skew_of_two_nodes_detected_and_corrected():
    tl = timeline({"node1": LAB / "06-five-faults-node1-syslog.log", "node4": SHIFTED})
    skew = {s.node: s for s in tl.skews}
    assert abs(skew["node4"].offset - 37) <= 1 and skew["node4"].applied
    assert skew["node1"].offset == 0 and not skew["node1"].applied
    assert tl.corrected
    # true time of every event: node1's as logged, node4's from the unshifted original
    orig4 = (LAB / "06-five-faults-node4-syslog.log").read_text().splitlines()
    def true(t):
        return _syslog_time(orig4[t.line - 1]) if t.node == "node4" else t.logged
    for t in tl.events:
        assert abs((t.ts - true(t)).total_seconds()) <= 1
    trues = [true(t) for t in tl.events]
    assert trues == sorted(trues), "merged order must follow the true time"
    # without the correction the order would be wrong: this test bites
    by_logged = sorted(tl.events, key=lambda t: (t.logged, t.seq))
    assert [true(t) for t in by_logged] != sorted(trues)
    # and the story is the one the unshifted logs tell
    ref = timeline({"node1": LAB / "06-five-faults-node1-syslog.log", "node4": LAB / "06-five-faults-node4-syslog.log"})
    assert [(ep.kind, ep.start, ep.end) for ep in tl.episodes] == [(ep.kind, ep.start, ep.end) for ep in ref.episodes]


def test_skew_of_one_node_in_five():
    files = five()
    files["node4"] = SHIFTED
    tl = timeline(files)
    offsets = {s.node: s.offset for s in tl.skews}
    assert abs(offsets.pop("node4") - 37) <= 1
    assert all(abs(o) < 1 for o in offsets.values())
    ref = timeline(five())
    assert [(ep.kind, ep.start, ep.end) for ep in tl.episodes] == [(ep.kind, ep.start, ep.end) for ep in ref.episodes]


def test_zones_from_flags_and_from_the_stamps():
    """The same real journald entries read out without a zone (short) and with one (short-iso)."""
    short = ROOT / "tests" / "parsers" / "log.syslog" / "journal-short.txt"
    iso = ROOT / "tests" / "parsers" / "log.syslog" / "journal-short-iso.txt"
    js = ROOT / "tests" / "parsers" / "log.syslog" / "journal-json.txt"
    same = timeline({"a": short, "b": iso}, tz="UTC")
    a = [t.ts for t in same.events if t.node == "a"]
    b = [t.ts for t in same.events if t.node == "b"]
    assert a and a == b[:len(a)] and same.zone == "UTC"
    wrong = timeline({"a": short, "b": iso}, node_tz={"a": "+01:00"})
    a1 = [t.ts for t in wrong.events if t.node == "a"]
    assert all(x == y - timedelta(hours=1) for x, y in zip(a1, b))
    unknown = timeline({"a": short, "b": js})
    assert unknown.zone == "UTC" and "a: local times of an unknown zone" in unknown.zone_note
    berlin = timeline(five(), tz="Europe/Berlin")
    doc = timeline_to_json(berlin)
    assert doc["events"][0]["time"].endswith("+01:00") and doc["clock"]["zone"] == "Europe/Berlin"


# -- fences: the same as PVE103 -------------------------------------------------------------------
def test_fence_is_the_one_pve103_reports():
    files = {"sd-sandbox-pve02": EV / "ha-fence-watchdog" / "sd-sandbox-pve02-membership.log"}
    recs = [_rec("sd-sandbox-pve02", p) for p in sorted((EV / "ha-fence-watchdog").glob("*.log"))]
    ctx = Context(recs, now=datetime(2026, 5, 16, tzinfo=timezone.utc))
    tl = build_timeline(ctx)
    assert files and len(tl.fences) == 1
    f = tl.fences[0]
    assert f.node == "sd-sandbox-pve02" and f.fence.certain and f.boot is None
    assert f"{f.watchdog.ts:%b %d %H:%M:%S}" == "May 15 17:43:34"
    pve103 = [x for x in run_all(Context(recs, now=datetime(2026, 5, 16, tzinfo=timezone.utc)), ["PVE103"])
              if x.code == "PVE103"]
    assert len(pve103) == 1 and pve103[0].nodes == ("sd-sandbox-pve02",)
    assert "May 15 17:43:34" in pve103[0].message
    assert tl.episodes[0].kind == "fence" and "FENCED" in story(tl, tl.episodes[0])


# -- the command --------------------------------------------------------------------------------
def run(*args: str):
    result = CliRunner().invoke(cli, ["timeline", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    assert "Traceback" not in result.output
    return result


def test_cli_text_reads_like_a_post_mortem():
    r = run(*[str(p) for p in five().values()])
    assert r.exit_code == 1, r.output  # findings at high and above (--fail-on high), as scan says
    assert r.output.rstrip().endswith("could not check") and "HIGH     PVE101 Cluster not quorate  [node5]" in r.output
    out = " ".join(r.output.split())
    assert "5 episodes" in out
    assert "Episode 1 04:04:30–04:04:45 (15 s) split {node1, node2, node3} | {node4, node5}" in out
    assert "without quorum: node4 7 s (04:04:38–04:04:45); node5 7 s (04:04:38–04:04:45)" in out
    assert "corosync died on node5" in out and "corosync stopped cleanly on node4" in out


def test_cli_loose_logs_are_named_after_their_hosts_and_skew_is_said():
    r = run(str(LAB / "06-five-faults-node1-syslog.log"), str(SHIFTED))
    assert r.exit_code == 1
    out = " ".join(r.output.split())
    assert "2 nodes (node1, node4)" in out
    assert "node4 runs 37 s ahead of node1" in out and "ordered by corrected time" in out


def test_cli_seed_bundle_without_times():
    r = run(str(ROOT / "examples" / "seed001-quorum-flap"))
    assert r.exit_code == 1
    assert run("--fail-on", "critical", str(ROOT / "examples" / "seed001-quorum-flap")).exit_code == 0
    out = " ".join(r.output.split())
    assert "times unknown" in out and "5 episodes" in out
    assert "pve5 was alone in ring 5.13620 (without quorum)" in out
    assert "near miss" in out


def test_cli_json_schema(tmp_path):
    out = tmp_path / "t.json"
    r = run("--format", "json", "-o", str(out), *[str(p) for p in five().values()])
    assert r.exit_code == 1 and r.output == ""
    doc = json.loads(out.read_text())
    assert doc["schema"] == "forewarn.timeline" and doc["schema_version"] == 1
    assert [n["name"] for n in doc["nodes"]] == [f"node{i}" for i in range(1, 6)]
    node5 = doc["nodes"][4]
    quorum = [s for s in node5["states"] if s["track"] == "quorum"]
    assert [s["value"] for s in quorum][:3] == ["quorate", "non-quorate", "quorate"]
    assert all(s["from"] and s["to"] for s in quorum)
    assert {e["category"] for e in doc["events"]} >= {"link", "totem", "membership", "quorum", "lifecycle"}
    assert [e["seq"] for e in doc["events"]] == list(range(len(doc["events"])))
    ep1 = doc["episodes"][0]
    assert ep1["partition"] == [["node1", "node2", "node3"], ["node4", "node5"]]
    assert {q["node"] for q in ep1["non_quorate"]} == {"node4", "node5"}
    assert all(doc["events"][s]["episode"] == 1 for s in ep1["events"])
    assert doc["crashes"][0]["node"] == "node5" and doc["skew"] and doc["fences"] == []
    # every top-level field is documented
    docs = (ROOT / "docs" / "report-json.md").read_text()
    section = docs[docs.index("## Timeline"):]
    for key in doc:
        assert f'"{key}"' in section, key


def test_cli_markdown():
    r = run("--format", "markdown", str(LAB / "04-loss40-node1-syslog.log"), str(LAB / "04-loss40-node2-syslog.log"),
            str(LAB / "04-loss40-node3-syslog.log"))
    assert r.exit_code == 1 and "## Findings of the same evidence" in r.output
    assert "## Episode 1 — 04:02:18–04:03:04" in r.output and "| node | time | what |" in r.output


def test_cli_bad_input():
    r = run("--tz", "Mars/Olympus", str(LAB / "04-loss40-node1-syslog.log"))
    assert r.exit_code == 2 and "unknown time zone" in r.output
    r = run(str(LAB / "06-five-healthy-quorumtool.txt"))
    assert r.exit_code == 2 and "no log among the inputs" in r.output
    r = run(str(LAB / "nope.log"))
    assert r.exit_code == 2


def test_zone_from_the_node_itself():
    """A bundle that carries the node's /etc/timezone or `timedatectl show` output reads that node's
    syslog times in its own zone. `Etc/UTC` is this machine's /etc/timezone, verbatim; the
    `timedatectl show` lines follow its documented `Key=value` format (this machine runs no
    systemd-timedated to capture them from)."""
    log = LAB / "04-loss40-node1-syslog.log"
    for spec, text in (("host.timezone", "Etc/UTC\n"),
                       ("host.timedatectl", "Timezone=Europe/Berlin\nLocalRTC=no\n")):
        zone = EvidenceRecord(spec=spec, node="node1", artifact="etc/timezone", kind="file",
                              data=text.encode(), size=len(text))
        tl = build_timeline(Context([_rec("node1", log), zone], now=NOW))
        first = next(t for t in tl.events)
        assert tl.zone == "UTC" and tl.lane("node1").zone in ("Etc/UTC", "Europe/Berlin")
        expect = first.logged - (timedelta(hours=1) if "Berlin" in text else timedelta(0))
        assert first.ts == expect


def test_year_from_now_flag_and_from_file_time(tmp_path):
    """Syslog has no year: it comes from --now, else the bundle's time, else the file's time."""
    import os
    import shutil

    log = tmp_path / "node3-syslog.log"
    shutil.copy(LAB / "04-loss40-node3-syslog.log", log)
    r = run("--format", "json", "--now", "2027-01-05T00:00:00", str(log))
    assert json.loads(r.output)["events"][0]["time"].startswith("2026-11-22T04:02")  # Nov is last year in Jan
    t = datetime(2031, 12, 1, tzinfo=timezone.utc).timestamp()
    os.utime(log, (t, t))
    r = run("--format", "json", str(log))
    assert json.loads(r.output)["events"][0]["time"].startswith("2031-11-22T04:02")
