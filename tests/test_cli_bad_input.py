"""Bad input gets a one-line message and exit 2 (or a finding), never a traceback."""

from __future__ import annotations

import io
import json
import os
import resource
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from forewarn.cli.main import cli
from forewarn.collect.bundle import write_manifest

ROOT = Path(__file__).resolve().parent.parent
SEED001 = ROOT / "tests" / "evidence" / "seeds" / "001_2bd87300fc635f04.txt"


def run(*args: str, input: str | None = None):
    result = CliRunner().invoke(cli, list(args), input=input)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    assert "Traceback" not in result.output
    return result


def _one_line_error(result, needle: str) -> None:
    assert result.exit_code == 2, result.output
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1, result.output
    assert needle in lines[0], lines[0]


def test_missing_path(tmp_path):
    _one_line_error(run("scan", str(tmp_path / "nope")), "no such file or directory")
    _one_line_error(run("explain", str(tmp_path / "nope.txt")), "no such file or directory")


def test_empty_directory(tmp_path):
    _one_line_error(run("scan", str(tmp_path)), "empty")


def test_empty_file_is_named_not_ignored(tmp_path):
    f = tmp_path / "empty.txt"
    f.write_text("")
    r = run("explain", str(f), "--format", "json")
    doc = json.loads(r.output)
    assert any(x["code"] == "FW906" and "empty.txt" in x["message"] for x in doc["findings"])


def test_binary_file(tmp_path):
    f = tmp_path / "core.bin"
    f.write_bytes(bytes(range(256)) * 64)
    r = run("explain", str(f), "--format", "json")
    assert r.exit_code == 0
    doc = json.loads(r.output)
    fw = [x for x in doc["findings"] if x["code"] == "FW906"]
    assert fw and "binary" in fw[0]["message"]


def test_binary_file_forced_as_spec(tmp_path):
    f = tmp_path / "syslog"
    f.write_bytes(b"\x00\x01\x02" * 1000)
    r = run("explain", "--as", f"log.syslog={f}", str(f), "--format", "json")
    doc = json.loads(r.output)
    assert any(x["code"] == "FW903" for x in doc["findings"]), doc["findings"]


def test_not_a_tarball_nor_dir(tmp_path):
    f = tmp_path / "bundle.tar.gz"
    f.write_bytes(b"\x1f\x8b\x08\x00garbage")
    r = run("scan", str(f))
    assert r.exit_code == 2
    assert "Traceback" not in r.output


def _tar_with(tmp_path: Path, members: dict[str, bytes], links: dict[str, str] | None = None) -> Path:
    out = tmp_path / "b.tar.gz"
    with tarfile.open(out, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            tar.addfile(info)
    return out


def test_tarball_with_dotdot_member_refused(tmp_path):
    t = _tar_with(tmp_path, {"manifest.json": b"{}", "../../etc/evil": b"x"})
    _one_line_error(run("scan", str(t)), "climbs out")
    assert not (tmp_path.parent / "etc" / "evil").exists()


def test_tarball_with_absolute_member_refused(tmp_path):
    t = _tar_with(tmp_path, {"/etc/evil": b"x"})
    _one_line_error(run("scan", str(t)), "absolute")


def test_tarball_with_escaping_link_refused(tmp_path):
    t = _tar_with(tmp_path, {"manifest.json": b"{}"}, links={"pve1/etc/passwd": "../../../etc/passwd"})
    _one_line_error(run("scan", str(t)), "escapes")


def _bundle(tmp_path: Path) -> Path:
    root = tmp_path / "bundle"
    (root / "pve5" / "var" / "log").mkdir(parents=True)
    lines = SEED001.read_text(encoding="utf-8").splitlines()[137:301]
    (root / "pve5" / "var" / "log" / "syslog").write_text("\n".join(lines) + "\n")
    write_manifest(root)  # a collected bundle's folder: its manifest inside
    return root


def test_bundle_never_writes_into_its_input(tmp_path):
    root = tmp_path / "bundle"
    (root / "pve5" / "var" / "log").mkdir(parents=True)
    (root / "pve5" / "var" / "log" / "syslog").write_text(SEED001.read_text(encoding="utf-8"))
    before = sorted(p.relative_to(root) for p in root.rglob("*"))
    r = run("bundle", str(root))
    assert r.exit_code == 0, r.output
    assert sorted(p.relative_to(root) for p in root.rglob("*")) == before  # no manifest.json left behind
    out = tmp_path / "bundle.tar.gz"  # the default: DIR.tar.gz beside the folder
    assert f"wrote {out} (tar.gz)" in r.output
    with tarfile.open(out) as tar:
        assert set(tar.getnames()) == {"manifest.json", "pve5/var/log/syslog"}
    r = run("bundle", str(root), "-o", str(tmp_path / "x"))  # the extension is added, and said
    assert f"wrote {tmp_path / 'x.tar.gz'} (tar.gz)" in r.output and (tmp_path / "x.tar.gz").is_file()
    scanned = run("scan", "--format", "json", str(out))
    assert any(f["code"] == "PVE101" for f in json.loads(scanned.output)["findings"])
    r = run("bundle", str(root), "-o", str(root / "in.tar.gz"))
    assert r.exit_code == 2 and "inside" in r.output


def test_manifest_lying_about_checksum_is_a_finding(tmp_path):
    root = _bundle(tmp_path)
    log = root / "pve5" / "var" / "log" / "syslog"
    log.write_text(log.read_text() + "edited after collection\n")
    r = run("scan", str(root), "--format", "json")
    doc = json.loads(r.output)
    assert any(f["code"] == "FW904" for f in doc["findings"])
    assert any(f["code"] == "PVE101" for f in doc["findings"])  # the rest of the scan went on


def test_manifest_not_json(tmp_path):
    root = _bundle(tmp_path)
    (root / "manifest.json").write_text("{ not json")
    _one_line_error(run("scan", str(root)), "manifest.json is not valid JSON")


def test_manifest_names_escaping_artifact(tmp_path):
    root = _bundle(tmp_path)
    m = json.loads((root / "manifest.json").read_text())
    m["artifacts"][0]["path"] = "../../etc/shadow"
    (root / "manifest.json").write_text(json.dumps(m))
    _one_line_error(run("scan", str(root)), "climbs out")


def test_packed_bundle_round_trip(tmp_path):
    root = _bundle(tmp_path)
    out = tmp_path / "b.tar.gz"
    r = run("bundle", str(root), "-o", str(out))
    assert r.exit_code == 0
    r = run("scan", str(out), "--format", "json")
    doc = json.loads(r.output)
    assert doc["nodes"] == ["pve5"]
    assert any(f["code"] == "PVE101" for f in doc["findings"])


def test_unknown_file_in_bundle_is_listed_unused(tmp_path):
    root = _bundle(tmp_path)
    (root / "pve5" / "notes.odt").write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    run("bundle", str(root))
    doc = json.loads(run("scan", str(root), "--format", "json").output)
    assert any(f["code"] == "FW907" and "notes.odt" in f["message"] for f in doc["findings"])


def test_usage_errors_exit_2(tmp_path):
    assert run("scan", "--fail-on", "nonsense", "x").exit_code == 2
    assert run("rules", "XYZ999").exit_code == 2
    assert run("explain", "--node", "nonsense", str(SEED001)).exit_code == 2
    assert run("scan", "--only", "NOPE123", str(SEED001)).exit_code == 2


def test_suppression_file(tmp_path):
    root = _bundle(tmp_path)
    sup = tmp_path / "accepted.yaml"
    sup.write_text("suppress:\n  - code: PVE101\n    node: pve5\n    reason: known incident, fixed\n")
    r = run("scan", str(root), "--format", "json", "--suppress", str(sup), "--only", "PVE101")
    doc = json.loads(r.output)
    assert not [f for f in doc["findings"] if f["code"] == "PVE101"]
    assert [f for f in doc["suppressed"] if f["code"] == "PVE101" and f["suppressed"] == "known incident, fixed"]
    assert r.exit_code == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text("suppress: [{code: PVE101}]\n")
    _one_line_error(run("scan", str(root), "--suppress", str(bad)), "reason")


def test_stdin(tmp_path):
    text = "\n".join(SEED001.read_text(encoding="utf-8").splitlines()[137:301])
    r = run("explain", "-", "--format", "json", input=text)
    doc = json.loads(r.output)
    assert any(f["code"] == "PVE101" for f in doc["findings"])


def test_huge_log_is_streamed_in_bounded_memory(tmp_path):
    """A 200 MB log: the scan finishes and its peak memory stays far below the file size."""
    big = tmp_path / "syslog"
    seed = SEED001.read_text(encoding="utf-8").splitlines()[137:301]
    noise = ("Mar 21 09:12:44 pve5 pvestatd[1234]: status update time (5.123 seconds)\n" * 2000).encode()
    with open(big, "wb") as fh:
        written = 0
        while written < 200 * 1024 * 1024:
            fh.write(noise)
            written += len(noise)
        fh.write(("\n".join("Mar 21 09:20:00 pve5 " + ln.strip() for ln in seed if "[" in ln) + "\n").encode())
    code = (
        "import resource, sys\n"
        "from forewarn.cli.main import main\n"
        "sys.argv = ['forewarn', 'explain', sys.argv[1], '--format', 'json', '-o', sys.argv[2], '--only', 'PVE101']\n"
        "try:\n    main()\n"
        "except SystemExit:\n    pass\n"
        # VmHWM is this process's own peak: ru_maxrss also counts the pytest process it was forked
        # from (Linux keeps it across exec), which grows with every test run before this one
        "hwm = [l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM:')]\n"
        "print(hwm[0] if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )
    out = tmp_path / "r.json"
    proc = subprocess.run([sys.executable, "-c", code, str(big), str(out)], capture_output=True, text=True,
                          timeout=600, env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    assert proc.returncode == 0, proc.stderr
    peak_kib = int(proc.stdout.strip().splitlines()[-1])
    assert peak_kib < 150 * 1024, f"peak RSS {peak_kib} KiB for a 200 MB log"
    doc = json.loads(out.read_text())
    assert any(f["code"] == "PVE101" for f in doc["findings"])


def test_unwritable_output_path(tmp_path):
    root = _bundle(tmp_path)
    for fmt in ("text", "json", "markdown"):
        _one_line_error(run("scan", str(root), "--format", fmt, "-o", str(tmp_path / "no" / "such" / "dir" / "r")),
                        "cannot write")


def test_suppression_schema_expiry_unknown_codes_and_unmatched_entries(tmp_path):
    root = _bundle(tmp_path)
    sup = tmp_path / "accepted.yaml"
    sup.write_text("suppress:\n"
                   "  - {code: PVE101, node: pve5, reason: old incident, expires: 2020-01-01}\n"
                   "  - {code: PVE102, reason: flapping known, expires: 2999-12-31}\n"
                   "  - {code: LVM104, reason: nothing like it here}\n")
    r = run("scan", str(root), "--suppress", str(sup))
    out = " ".join(r.output.split())
    assert r.exit_code == 1  # the expired entry no longer suppresses PVE101
    assert "suppressed (1 accepted finding(s), --suppress):" in out and "flapping known" in out
    assert "PVE101 on pve5: expired on 2020-01-01" in out
    assert "LVM104: matched no finding" in out
    doc = json.loads(run("scan", str(root), "--format", "json", "--suppress", str(sup)).output)
    assert [f["code"] for f in doc["suppressed"]] == ["PVE102"]
    assert len(doc["suppression_notes"]) == 2
    sup.write_text("suppress: [{code: PVE999, reason: typo}]\n")
    _one_line_error(run("scan", str(root), "--suppress", str(sup)), "unknown rule code PVE999")
    sup.write_text("suppress: [{code: PVE101, reason: x, until: 2027-01-01}]\n")
    _one_line_error(run("scan", str(root), "--suppress", str(sup)), "unknown key(s) until")
    sup.write_text("suppress: [{code: PVE101, reason: x, expires: soon}]\n")
    _one_line_error(run("scan", str(root), "--suppress", str(sup)), "is not a date")
