"""Hostile inputs end within 60 s in bounded memory, with exit 2 and one line, or a finding
(issue 9, parts 2, 4 and 5). Each input is made here, in tmp_path, small on disk: sparse files,
repeated gzip members, FIFOs. Every run is a subprocess with a timeout: before the fix several
of them blocked in open() or ran for minutes.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import resource
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEED001 = ROOT / "tests" / "evidence" / "seeds" / "001_2bd87300fc635f04.txt"
LIMIT_S = 60


def forewarn(*args: str | bytes, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the CLI; fails the test if it does not end within LIMIT_S."""
    return subprocess.run([sys.executable, "-m", "forewarn.cli.main", *args], capture_output=True, text=True,
                          errors="replace", timeout=LIMIT_S, cwd=cwd,
                          env=dict(os.environ, PYTHONPATH=str(ROOT / "src"), COLUMNS="200"))


def one_line_error(res: subprocess.CompletedProcess[str], needle: str) -> None:
    assert res.returncode == 2, (res.returncode, res.stdout[-500:], res.stderr[-500:])
    lines = [ln for ln in (res.stdout + res.stderr).splitlines() if ln.strip()]
    assert len(lines) == 1, lines[:5]
    assert needle in lines[0] and "internal error" not in lines[0], lines[0]


def peak_child_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def syslog_lines() -> str:
    lines = SEED001.read_text(encoding="utf-8").splitlines()[137:301]
    return "\n".join(lines) + "\n"


def report(res: subprocess.CompletedProcess[str]) -> dict:
    assert res.returncode in (0, 1), res.stderr[-800:]
    return json.loads(res.stdout)


# -- FIFOs and devices ----------------------------------------------------------------------------
def test_a_fifo_given_as_input_or_as_suppress_file_is_refused_not_waited_on(tmp_path: Path) -> None:
    fifo = tmp_path / "syslog"
    os.mkfifo(fifo)
    named = tmp_path / "b.tar.gz"
    os.mkfifo(named)
    one_line_error(forewarn("explain", str(fifo)), "FIFO")
    one_line_error(forewarn("scan", str(fifo)), "FIFO")
    one_line_error(forewarn("scan", str(named)), "FIFO")
    (tmp_path / "pve5").mkdir()
    (tmp_path / "pve5" / "syslog").write_text(syslog_lines())
    one_line_error(forewarn("scan", str(tmp_path / "pve5"), "--suppress", str(fifo)), "FIFO")


def test_a_device_given_as_input_or_as_suppress_file_is_refused(tmp_path: Path) -> None:
    one_line_error(forewarn("explain", "/dev/zero"), "character device")
    (tmp_path / "syslog").write_text(syslog_lines())
    one_line_error(forewarn("explain", str(tmp_path / "syslog"), "--suppress", "/dev/zero"), "character device")


# -- what expands ------------------------------------------------------------------------------
def _sparse_tar(tmp_path: Path, *, manifest: bool) -> Path:
    if not shutil.which("tar"):
        pytest.skip("GNU tar is needed to write a sparse member")
    src = tmp_path / "src"
    log = src / "pve1" / "var" / "log" / "syslog"
    log.parent.mkdir(parents=True)
    with open(log, "wb") as fh:
        fh.write(syslog_lines().encode())
        fh.truncate(100 << 30)  # 100 GiB, nearly all hole: nothing on disk
    if manifest:
        (src / "manifest.json").write_text(json.dumps({
            "format": "forewarn-bundle", "format_version": 1, "nodes": ["pve1"],
            "artifacts": [{"path": "pve1/var/log/syslog", "node": "pve1", "spec": "log.syslog", "kind": "log",
                           "source": "/var/log/syslog", "sha256": "0" * 64, "size": 100 << 30}]}))
    out = tmp_path / "sparse.tar.gz"
    names = ["manifest.json", "pve1"] if manifest else ["pve1"]
    res = subprocess.run(["tar", "--sparse", "-czf", str(out), "-C", str(src), *names], capture_output=True,
                         timeout=LIMIT_S)
    log.unlink()
    if res.returncode != 0:
        pytest.skip(f"tar --sparse failed: {res.stderr[:200]!r}")
    assert out.stat().st_size < 1 << 20
    with tarfile.open(out) as t:
        assert t.getmember("pve1/var/log/syslog").size == 100 << 30
    return out


def test_a_tarball_with_a_sparse_100_gib_member_is_not_hashed_to_the_end(tmp_path: Path) -> None:
    tar = _sparse_tar(tmp_path, manifest=True)
    doc = report(forewarn("scan", str(tar), "--format", "json"))
    assert any("checksum was not verified" in i and "100 GiB" in i for i in doc["inputs"]), doc["inputs"]


def test_a_gzip_log_that_inflates_to_10_gib_without_a_newline_is_read_up_to_the_caps(tmp_path: Path) -> None:
    """10 MB on disk, 10 GiB inflated, one line: read up to 1 GiB, the line cut at 1 MiB, said so."""
    member = gzip.compress(b"A" * (64 << 20), 9)
    bomb = tmp_path / "syslog.log.gz"
    with open(bomb, "wb") as fh:
        for _ in range(160):  # concatenated gzip members are one gzip stream
            fh.write(member)
    assert bomb.stat().st_size < 16 << 20
    res = forewarn("explain", str(bomb), "--format", "json")
    doc = report(res)
    assert peak_child_rss_mib() < 600
    (fw,) = [f for f in doc["findings"] if f["code"] == "FW911"]
    assert "only its first 1 GiB was read" in fw["message"] and "1 line(s) longer than 1 MiB" in fw["message"]
    assert "--max-artifact-size" in fw["message"]


def test_the_cap_on_bytes_can_be_set_and_is_stated(tmp_path: Path) -> None:
    log = tmp_path / "syslog.gz"
    log.write_bytes(gzip.compress((syslog_lines() * 400).encode()))  # ~9 MiB inflated
    doc = report(forewarn("explain", str(log), "--format", "json", "--max-artifact-size", "2M"))
    (fw,) = [f for f in doc["findings"] if f["code"] == "FW911"]
    assert "only its first 2 MiB was read" in fw["message"]
    doc = report(forewarn("explain", str(log), "--format", "json", "--max-artifact-size", "1G"))
    assert not [f for f in doc["findings"] if f["code"] == "FW911"]
    assert forewarn("explain", str(log), "--max-artifact-size", "lots").returncode == 2


def test_a_yaml_alias_bomb_in_suppress_is_refused(tmp_path: Path) -> None:
    rows = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi"):
        rows.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    rows.append("suppress: [{code: PVE101, reason: *i}]")
    bomb = tmp_path / "accepted.yaml"
    bomb.write_text("\n".join(rows) + "\n")
    (tmp_path / "syslog").write_text(syslog_lines())
    one_line_error(forewarn("explain", str(tmp_path / "syslog"), "--suppress", str(bomb)), "aliases")


# -- shapes that crashed ------------------------------------------------------------------------
def _deep(base: Path, depth: int) -> None:
    base.mkdir(parents=True)
    fd = os.open(base, os.O_RDONLY)
    try:
        for _ in range(depth):
            os.mkdir("d", dir_fd=fd)
            nfd = os.open("d", os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = nfd
        f = os.open("syslog", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(f, syslog_lines().encode())
        os.close(f)
    finally:
        os.close(fd)


def _rm_deep(top: Path) -> None:
    """Remove a tree of any depth without recursion (shutil.rmtree, and so pytest's own clean-up
    of old temporary folders, dies of RecursionError in a 1500-deep one): every folder is moved
    up beside `top` before its parent goes."""
    stack, n = [top], 0
    while stack:
        cur = stack.pop()
        if not cur.is_dir() or cur.is_symlink():
            cur.unlink(missing_ok=True)
            continue
        for e in os.scandir(cur):
            if e.is_dir(follow_symlinks=False):
                n += 1
                stack.append(top.parent / f"{top.name}.{n}")
                os.rename(e.path, stack[-1])
            else:
                os.unlink(e.path)
        os.rmdir(cur)


def test_a_1500_deep_directory_bundle_is_read_to_a_sane_depth(tmp_path: Path) -> None:
    deep = tmp_path / "deep"
    _deep(deep, 1500)
    try:
        one_line_error(forewarn("scan", str(deep)), "deeper than 64 levels")
        (deep / "pve5").mkdir()
        (deep / "pve5" / "syslog").write_text(syslog_lines())
        doc = report(forewarn("scan", str(deep), "--format", "json"))
        assert any("deeper than 64 levels were not read" in i for i in doc["inputs"])
        assert any(f["code"] == "PVE101" for f in doc["findings"])
        res = forewarn("bundle", str(deep))
        assert res.returncode == 0 and "internal error" not in res.stderr, res.stderr
    finally:
        _rm_deep(deep)
    assert not deep.exists()


def _manifest_dir(tmp_path: Path, text: str) -> Path:
    d = tmp_path / "bundle"
    (d / "pve1").mkdir(parents=True)
    (d / "pve1" / "syslog").write_text(syslog_lines())
    (d / "manifest.json").write_text(text)
    return d


@pytest.mark.parametrize("artifacts", ["5", '"x"', "{}", "true"])
def test_a_manifest_whose_artifacts_is_not_a_list_is_refused(tmp_path: Path, artifacts: str) -> None:
    d = _manifest_dir(tmp_path, '{"format": "forewarn-bundle", "format_version": 1, "artifacts": ' + artifacts + "}")
    one_line_error(forewarn("scan", str(d)), "not a list")


def test_a_deeply_nested_manifest_is_refused(tmp_path: Path) -> None:
    d = _manifest_dir(tmp_path, "[" * 100_000 + "]" * 100_000)
    one_line_error(forewarn("scan", str(d)), "nested too deeply")


def test_manifest_fields_of_the_wrong_type_do_not_crash(tmp_path: Path) -> None:
    entry = {"path": "pve1/syslog", "node": "pve1", "spec": "log.syslog", "kind": "log", "rc": "zero",
             "duration": [], "started": 5, "size": "big", "sha256": 7, "timed_out": "yes", "error": {}}
    d = _manifest_dir(tmp_path, json.dumps({"format": "forewarn-bundle", "format_version": 1, "nodes": [3, "pve1"],
                                            "artifacts": [entry]}))
    doc = report(forewarn("scan", str(d), "--format", "json"))
    assert any(f["code"] == "PVE101" for f in doc["findings"])


def test_a_300_character_file_name_is_a_one_line_error(tmp_path: Path) -> None:
    long = str(tmp_path / ("x" * 300))
    for args in (("scan", long), ("explain", long), ("timeline", long)):
        one_line_error(forewarn(*args), "File name too long")
    (tmp_path / "syslog").write_text(syslog_lines())
    one_line_error(forewarn("explain", str(tmp_path / "syslog"), "--suppress", long), "File name too long")
    d = _manifest_dir(tmp_path, json.dumps({"format": "forewarn-bundle", "format_version": 1, "artifacts": [
        {"path": "pve1/" + "y" * 300, "node": "pve1", "spec": "log.syslog", "kind": "log"}]}))
    doc = report(forewarn("scan", str(d), "--format", "json"))
    assert any(f["code"] == "FW903" and "y" * 300 in f["message"] for f in doc["findings"])


def test_a_manifest_listing_one_4_mib_log_3000_times_reads_it_once(tmp_path: Path) -> None:
    d = tmp_path / "bundle"
    (d / "pve1" / "var" / "log").mkdir(parents=True)
    noise = b"Mar 21 09:12:44 pve5 pvestatd[1234]: status update time (5.123 seconds)\n"
    body = noise * ((4 << 20) // len(noise)) + syslog_lines().encode()
    (d / "pve1" / "var" / "log" / "syslog").write_bytes(body)
    entry = {"path": "pve1/var/log/syslog", "node": "pve1", "spec": "log.syslog", "kind": "log",
             "sha256": hashlib.sha256(body).hexdigest(), "size": len(body)}
    (d / "manifest.json").write_text(json.dumps({"format": "forewarn-bundle", "format_version": 1,
                                                 "artifacts": [entry] * 3000}))
    doc = report(forewarn("scan", str(d), "--format", "json"))
    assert peak_child_rss_mib() < 600
    assert any("2999 entr(ies) list a file already listed" in i for i in doc["inputs"]), doc["inputs"]
    assert any(f["code"] == "PVE101" for f in doc["findings"])


def test_non_utf8_file_names_are_written_with_o(tmp_path: Path) -> None:
    name = os.fsencode(tmp_path) + b"/\xff\xfe-syslog.log"
    with open(name, "wb") as fh:
        fh.write(syslog_lines().encode())
    for fmt in ("text", "json", "markdown"):
        out = tmp_path / f"report.{fmt}"
        res = subprocess.run([sys.executable, "-m", "forewarn.cli.main", "explain", name, "--format", fmt,
                              "-o", str(out)], capture_output=True, timeout=LIMIT_S,
                             env=dict(os.environ, PYTHONPATH=str(ROOT / "src")))
        assert res.returncode in (0, 1), res.stderr[-500:]
        assert len(res.stderr) < 1000 and b"internal error" not in res.stderr
        text = out.read_text(encoding="utf-8")
        assert "PVE101" in text and "-syslog.log" in text
        if fmt == "json":
            json.loads(text)
    res = subprocess.run([sys.executable, "-m", "forewarn.cli.main", "explain", name], capture_output=True,
                         timeout=LIMIT_S, env=dict(os.environ, PYTHONPATH=str(ROOT / "src")))
    assert res.returncode in (0, 1) and b"internal error" not in res.stderr


# -- damaged real data is said to be what it is (part 5) --------------------------------------------
def test_a_file_that_starts_with_nuls_is_not_called_an_empty_tarball(tmp_path: Path) -> None:
    nuls = tmp_path / "syslog"
    nuls.write_bytes(b"\0" * 4096 + syslog_lines().encode())
    res = forewarn("scan", str(nuls), "--format", "json")
    assert "empty" not in res.stderr and "tarball" not in res.stderr, res.stderr
    assert res.returncode in (0, 1)
    zeros = tmp_path / "b.tar.gz"
    zeros.write_bytes(gzip.compress(b"\0" * 100_000))
    one_line_error(forewarn("scan", str(zeros)), "a gzip file of NUL bytes only")
    plain = tmp_path / "zeros.gz"
    plain.write_bytes(gzip.compress(b"\0" * 100_000))
    doc = report(forewarn("scan", str(plain), "--format", "json"))
    assert any(f["code"] == "FW906" and "NUL bytes only" in f["message"] for f in doc["findings"])


def test_a_tarball_of_dot_is_accepted(tmp_path: Path) -> None:
    d = tmp_path / "dir"
    (d / "pve5" / "var" / "log").mkdir(parents=True)
    (d / "pve5" / "var" / "log" / "syslog").write_text(syslog_lines())
    out = tmp_path / "b.tar.gz"
    with tarfile.open(out, "w:gz") as tar:  # what `tar -czf b.tar.gz -C dir .` writes
        tar.add(d, arcname=".")
    assert "./pve5/var/log/syslog" in tarfile.open(out).getnames()
    doc = report(forewarn("scan", str(out), "--format", "json"))
    assert doc["nodes"] == ["pve5"] and any(f["code"] == "PVE101" for f in doc["findings"])


# -- nothing is read from outside what was given (part 2) -------------------------------------------
CANARY = "OUTSIDECANARY7f3a"


def _outside(tmp_path: Path) -> Path:
    out = tmp_path / "outside" / "pve"
    out.mkdir(parents=True)
    (out / "storage.cfg").write_text(f"{CANARY} this line is not storage.cfg\ndir: local\n\tpath /var/lib/vz\n")
    return out.parent


@pytest.mark.parametrize("link", ["folder", "file"])
@pytest.mark.parametrize("with_manifest", [True, False])
def test_a_link_out_of_a_directory_bundle_is_not_followed(tmp_path: Path, link: str, with_manifest: bool) -> None:
    outside = _outside(tmp_path)
    b = tmp_path / "bundle"
    (b / "pve5" / "var" / "log").mkdir(parents=True)
    (b / "pve5" / "var" / "log" / "syslog").write_text(syslog_lines())
    if link == "folder":
        (b / "pve5" / "etc").symlink_to(outside)
    else:
        (b / "pve5" / "etc" / "pve").mkdir(parents=True)
        (b / "pve5" / "etc" / "pve" / "storage.cfg").symlink_to(outside / "pve" / "storage.cfg")
    if with_manifest:
        (b / "manifest.json").write_text(json.dumps({"format": "forewarn-bundle", "format_version": 1, "artifacts": [
            {"path": "pve5/var/log/syslog", "node": "pve5", "spec": "log.syslog", "kind": "log"},
            {"path": "pve5/etc/pve/storage.cfg", "node": "pve5", "spec": "pve.storage_cfg", "kind": "file"}]}))
    for fmt in ("json", "text"):
        res = forewarn("scan", str(b), "--format", fmt, "-v", "--show-passed")
        assert res.returncode in (0, 1), res.stderr
        assert CANARY not in res.stdout + res.stderr
    doc = json.loads(forewarn("scan", str(b), "--format", "json").stdout)
    said = [f["message"] for f in doc["findings"] if f["code"] == "FW903"]
    assert any("out of the bundle" in m or "outside it" in m for m in said), doc["findings"]
    assert any(f["code"] == "PVE101" for f in doc["findings"])  # the rest was read


def test_a_bundle_whose_only_content_is_a_link_out_says_so(tmp_path: Path) -> None:
    outside = _outside(tmp_path)
    (tmp_path / "bundle" / "pve5").mkdir(parents=True)
    (tmp_path / "bundle" / "pve5" / "etc").symlink_to(outside)
    one_line_error(forewarn("scan", str(tmp_path / "bundle")), "leading out of it were not followed")


def test_writing_a_manifest_or_packing_never_follows_a_link_out(tmp_path: Path) -> None:
    outside = _outside(tmp_path)
    b = tmp_path / "bundle"
    (b / "pve5" / "var" / "log").mkdir(parents=True)
    (b / "pve5" / "var" / "log" / "syslog").write_text(syslog_lines())
    (b / "pve5" / "etc").symlink_to(outside)
    res = forewarn("bundle", str(b), "-o", str(tmp_path / "b.tar.gz"))
    assert res.returncode == 0, res.stderr
    with tarfile.open(tmp_path / "b.tar.gz") as t:
        blob = b"".join(t.extractfile(m).read() for m in t.getmembers() if m.isfile())  # type: ignore[union-attr]
        manifest = t.extractfile("manifest.json").read().decode()  # type: ignore[union-attr]
    assert CANARY.encode() not in blob
    assert "syslog" in manifest and "storage.cfg" not in manifest


def test_bounded_stream_cuts_long_lines_and_keeps_the_rest() -> None:
    from forewarn.model.bounded import Bounded

    class Counts:
        read_capped = False
        lines_cut = 0
        truncated = False

    data = b"short\n" + b"x" * (3 << 20) + b"\nnext\r\nlast"
    counts = Counts()
    with io.BufferedReader(Bounded(io.BytesIO(data), cap=10 << 20, line_cap=1 << 20, counts=counts)) as fh:
        out = fh.read()
    assert out == b"short\n" + b"x" * (1 << 20) + b"\nnext\r\nlast"
    assert counts.lines_cut == 1 and not counts.read_capped
    counts = Counts()
    with io.BufferedReader(Bounded(io.BytesIO(data), cap=100, counts=counts)) as fh:
        assert fh.read() == data[:100]
    assert counts.read_capped and counts.truncated
