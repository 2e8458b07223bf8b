"""Missing evidence is never health: what a bundle lacks makes rules "could not check", not pass.

A manifest lists every artifact the collection made; a file it lists that the bundle does not
hold (lost in a copy, cut from a tarball) has no content. Its rules must say they could not
check, whatever the manifest says about its size. The bundle is the real seed-001 example.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "seed001-quorum-flap"


def _scan(path: Path) -> dict:
    res = subprocess.run([sys.executable, "-m", "forewarn.cli.main", "scan", str(path), "--format", "json"],
                         capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert res.returncode in (0, 1), res.stderr
    return json.loads(res.stdout)


def _statuses(report: dict) -> dict[str, str]:
    out = {c["code"]: c["status"] for c in report["checks"]}
    out.update({f["code"]: "fail" for f in report["findings"]})
    return out


def test_files_the_manifest_lists_but_the_bundle_lacks_are_not_a_pass(tmp_path: Path) -> None:
    bundle = tmp_path / "b"
    shutil.copytree(EXAMPLE, bundle)
    manifest = json.loads((bundle / "manifest.json").read_text())
    listed = [a for a in manifest["artifacts"] if a.get("size")]
    assert listed, "the example's manifest records sizes"
    full = _statuses(_scan(bundle))
    assert full["PVE101"] == "fail" and full["PVE103"] in ("fail", "pass")
    for a in listed:
        (bundle / a["path"]).unlink()
    report = _scan(bundle)
    got = _statuses(report)
    passed = sorted(code for code, st in got.items() if st == "pass")
    assert passed == [], f"rules passed on evidence that is not there: {passed}"
    assert got["PVE101"] == "could-not-check" and got["PVE103"] == "could-not-check"
    msg = next(c["message"] for c in report["checks"] if c["code"] == "PVE101")
    assert "missing from the bundle" in msg, msg
    missing = [f for f in report["findings"] if f["code"] == "FW903"]
    assert len(missing) == len(listed)
