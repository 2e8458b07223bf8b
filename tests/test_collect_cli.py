"""`forewarn collect` and `forewarn scan` without a target: this host, live.

The live scan and a scan of the bundle `forewarn collect` wrote give the same findings; JSON output
has no progress on stderr; a stand-in `pvecm` that hangs (on PATH for the test) is cut at its
timeout, its processes are gone, and PVE105 fires; a plain box gives host evidence and PVE rules
"not applicable".
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import tarfile
import time
from pathlib import Path
from typing import Any

from forewarn.collect.bundle import load_bundle
from forewarn.collect.plan import build_plan
from forewarn.collect.run import collect_nodes
from forewarn.collect.sources.local import LocalSource
from forewarn.facts.context import Context
from forewarn.model.findings import Status
from forewarn.rules._engine import RULES, run_all

ROOT = Path(__file__).resolve().parent.parent


def forewarn(*args: str, env: dict[str, str] | None = None, timeout: float = 180,
             cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    e = dict(os.environ, PYTHONPATH=str(ROOT / "src"), COLUMNS="120")
    e.update(env or {})
    return subprocess.run([sys.executable, "-m", "forewarn.cli.main", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=cwd or ROOT, env=e)


def outcome(report: dict[str, Any]) -> set[tuple[str, str, tuple[str, ...]]]:
    """Every rule's result: findings (code, severity, nodes) and checks (code, status)."""
    got = {(f["code"], f["severity"], tuple(f["nodes"])) for f in report["findings"]}
    got |= {(c["code"], c["status"], ()) for c in report["checks"]}
    return got


def findings_key(findings: list[Any]) -> list[tuple[str, str, tuple[str, ...], str]]:
    return sorted((f.code, f.status.value, tuple(f.nodes), f.message) for f in findings)


def test_collect_writes_a_private_bundle_that_scan_reads_with_the_live_findings(tmp_path: Path) -> None:
    out = tmp_path / "bundle.tar.gz"
    res = forewarn("collect", "-o", str(out))
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith(f"wrote {out}: 1 node(s)")
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    with tarfile.open(out) as t:
        names = t.getnames()
        manifest = json.load(t.extractfile("manifest.json"))  # type: ignore[arg-type]
    assert "manifest.json" in names and not any(n.startswith(("/", "..")) for n in names)
    node = manifest["nodes"][0]
    arts = {a["spec"]: a for a in manifest["artifacts"]}
    for spec in ("host.hostname", "host.uname", "host.mounts"):
        a = arts[spec]
        assert a["node"] == node and a["sha256"] and a["size"] > 0
    cmd = arts["host.uname"]
    for key in ("rc", "started", "ended", "duration", "timed_out", "truncated", "redacted"):
        assert key in cmd, key
    assert cmd["rc"] == 0 and cmd["source"] == "uname -a" and cmd["kind"] == "command"
    assert manifest["collection"]["nodes"][node]["error"] is None

    offline = forewarn("scan", str(out), "--format", "json")
    live = forewarn("scan", "--format", "json")
    assert offline.returncode == live.returncode, (offline.stderr, live.stderr)
    a, b = json.loads(offline.stdout), json.loads(live.stdout)
    assert outcome(a) == outcome(b)
    assert b["source"] == f"live: {node}" and b["nodes"] == a["nodes"] == [node]


def test_the_same_collection_gives_the_same_findings_in_memory_and_from_disk(tmp_path: Path) -> None:
    mem = collect_nodes([LocalSource()], build_plan())
    disk_dir = tmp_path / "b"
    disk = collect_nodes([LocalSource()], build_plan(), out_dir=disk_dir)
    loaded = load_bundle(disk_dir)
    f_disk = run_all(Context(disk.records, now=disk.created)) + disk.findings
    f_loaded = run_all(Context(loaded.records, now=disk.created)) + loaded.findings
    assert findings_key(f_disk) == findings_key(f_loaded)
    # and a second collection a moment later agrees on what each rule concluded
    f_mem = run_all(Context(mem.records, now=mem.created)) + mem.findings
    assert {(f.code, f.status) for f in f_mem} == {(f.code, f.status) for f in f_loaded}


def test_json_output_has_no_progress_and_text_output_does(tmp_path: Path) -> None:
    res = forewarn("scan", "--format", "json")
    assert res.returncode in (0, 1)
    assert res.stderr == "", res.stderr
    json.loads(res.stdout)
    res = forewarn("collect", "-o", str(tmp_path / "b.tar.gz"))
    assert "forewarn: collecting" in res.stderr and "forewarn: collected" in res.stderr
    res = forewarn("collect", "-q", "-o", str(tmp_path / "c.tar.gz"))
    assert res.stderr == ""


def test_collect_to_a_directory_and_refusals(tmp_path: Path) -> None:
    d = tmp_path / "dir"
    res = forewarn("collect", "-q", "-o", str(d))
    assert res.returncode == 0, res.stderr
    assert (d / "manifest.json").is_file()
    assert stat.S_IMODE((d / "manifest.json").stat().st_mode) == 0o600
    res = forewarn("collect", "-q", "-o", str(d))
    assert res.returncode == 2 and "not an empty directory" in res.stderr
    res = forewarn("collect", "-q", str(ROOT / "README.md"))
    assert res.returncode == 2 and "look like files" in res.stderr
    bad = tmp_path / "no-such-dir" / "x.tar.gz"
    res = forewarn("collect", "-q", "-o", str(bad))
    assert res.returncode == 2 and "no such directory" in res.stderr


def test_a_hanging_pvecm_is_cut_at_its_timeout_and_pve105_fires(tmp_path: Path) -> None:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    pids = tmp_path / "pvecm.pids"
    pvecm = bindir / "pvecm"
    pvecm.write_text(f'#!/bin/sh\necho $$ >> "{pids}"\nsleep 3600 &\necho $! >> "{pids}"\nwait\n')
    pvecm.chmod(0o755)
    env = {"PATH": f"{bindir}:{os.environ.get('PATH', '/usr/bin:/bin')}"}
    t0 = time.monotonic()
    res = forewarn("scan", "--format", "json", "--command-timeout", "3", "--budget", "60", env=env)
    took = time.monotonic() - t0
    assert res.returncode in (0, 1), res.stderr
    assert took < 25, f"a scan with a 3 s command timeout took {took:.1f} s"
    report = json.loads(res.stdout)
    hung = [f for f in report["findings"] if f["code"] == "PVE105"]
    assert len(hung) == 1, [f["code"] for f in report["findings"]]
    assert "`pvecm status` timed out after 3 s" in hung[0]["message"]
    assert "pve.pvecm_status" in hung[0]["details"]["timed_out"]
    listed = [int(x) for x in pids.read_text().split()]
    assert len(listed) == 4  # pvecm status and pvecm nodes, each with its sleep
    time.sleep(0.2)
    for pid in listed:
        try:
            st = Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0]
        except FileNotFoundError:
            continue
        assert st == "Z", f"process {pid} of a timed-out pvecm is still running"


def test_a_plain_box_gives_host_evidence_and_pve_not_applicable(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()  # an empty tree: no /etc/pve, no configs; commands run on this host
    plan = build_plan(root=str(tmp_path), exclude=("log.*",))
    env = dict(os.environ, PATH="/usr/bin:/bin:/usr/sbin:/sbin")  # no pvecm anywhere
    bundle = collect_nodes([LocalSource(node="debian", env=env)], plan, out_dir=tmp_path / "b")
    specs = {r.spec for r in bundle.records}
    assert {"host.hostname", "host.uname", "host.sysctl"} <= specs
    assert not [s for s in specs if s.startswith("pve.")]
    skipped = bundle.manifest["collection"]["nodes"]["debian"]["skipped"]
    assert any(s["spec"] == "pve.pvecm_status" and s["reason"].startswith("not a Proxmox VE node") for s in skipped)
    loaded = load_bundle(tmp_path / "b")
    findings = run_all(Context(loaded.records, now=loaded.created))
    pve = [f for f in findings if f.code in RULES and RULES[f.code].platform == "pve"]  # not the linux-wide ones
    assert pve and all(f.status is Status.NOT_APPLICABLE for f in pve), [
        (f.code, f.status) for f in pve if f.status is not Status.NOT_APPLICABLE]
