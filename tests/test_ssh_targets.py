"""SSH targets, `--cluster` nodelists and unreachable nodes, without root or a lab.

The real SSH behaviour (host keys, auth, timeouts, dropped connections, whole-cluster scans) is
tested against real sshd in tests/test_live_lab.py; here only what needs no server, plus a node
that refuses connections on loopback.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from forewarn.collect.targets import Target, looks_like_target, members_from_conf

ROOT = Path(__file__).resolve().parents[1]
LAB_CONF = ROOT / "tests/evidence/corosync-lab-2/30-twolinks-corosync.conf"


@pytest.mark.parametrize("text, host, user, port", [
    ("root@pve1", "pve1", "root", None),
    ("pve1", "pve1", None, None),
    ("admin@10.0.0.5:2222", "10.0.0.5", "admin", 2222),
    ("[fe80::1]:22", "fe80::1", None, 22),
    ("root@[2001:db8::7]", "2001:db8::7", "root", None),
    ("2001:db8::7", "2001:db8::7", None, None),
])
def test_target_parse(text: str, host: str, user: str | None, port: int | None) -> None:
    t = Target.parse(text)
    assert (t.host, t.user, t.port) == (host, user, port)
    assert Target.parse(str(t)) == t


def test_target_without_host_is_refused() -> None:
    with pytest.raises(ValueError):
        Target.parse("root@")


@pytest.mark.parametrize("arg, is_host", [
    ("root@pve1", True), ("pve1", True), ("10.0.0.5", True), ("pve1.example.com", True),
    ("bundle.tar.gz", False), ("syslog.txt", False), ("pvecm-status.log", False),
    ("examples/seed001-quorum-flap", False), ("./x", False), ("-", False),
])
def test_argument_is_a_host_or_a_file(arg: str, is_host: bool) -> None:
    assert looks_like_target(arg) is is_host


def test_existing_path_is_never_a_host(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pve1").write_text("Quorate: Yes\n")
    assert not looks_like_target("pve1")


def test_members_from_a_real_corosync_conf() -> None:
    """The nodelist of a real two-link lab corosync.conf: ring0 addresses, the seed's user and port."""
    members = members_from_conf(LAB_CONF.read_text(), Target.parse("admin@10.77.0.11:2222"))
    assert [(m.name, str(m.target)) for m in members] == [
        ("node1", "admin@10.77.0.11:2222"), ("node2", "admin@10.77.0.12:2222"), ("node3", "admin@10.77.0.13:2222")]


def test_members_of_junk_is_empty() -> None:
    assert members_from_conf("this is not { a corosync.conf\n", Target.parse("pve1")) == []


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _forewarn(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "forewarn.cli.main", *args], capture_output=True, text=True,
                          timeout=120, cwd=ROOT, env={"HOME": str(home), "PATH": "/usr/bin:/bin"})


def test_refused_node_is_fw908_and_the_scan_goes_on(tmp_path: Path) -> None:
    """Loopback, a port nothing listens on: one FW908 with a one-line reason, exit 1, no traceback."""
    port = _closed_port()
    res = _forewarn("scan", f"root@127.0.0.1:{port}", "--format", "json", "--connect-timeout", "5", home=tmp_path)
    assert res.returncode == 1, res.stderr
    report = json.loads(res.stdout)
    fw = [f for f in report["findings"] if f["code"] == "FW908"]
    assert len(fw) == 1 and fw[0]["nodes"] == ["127.0.0.1"], report["findings"]
    assert f"root@127.0.0.1:{port}: connection refused on port {port}" in fw[0]["message"]
    assert "Traceback" not in res.stderr


def test_cluster_seed_unreachable_is_a_one_line_error(tmp_path: Path) -> None:
    port = _closed_port()
    res = _forewarn("scan", "--cluster", f"root@127.0.0.1:{port}", home=tmp_path)
    assert res.returncode == 2
    assert res.stderr.strip().splitlines() == [
        f"forewarn: root@127.0.0.1:{port}: connection refused on port {port} (no SSH server listening: sshd stopped?)"]


def test_hosts_and_files_cannot_be_mixed(tmp_path: Path) -> None:
    res = _forewarn("scan", "root@pve1", str(LAB_CONF), home=tmp_path)
    assert res.returncode == 2
    assert "not both" in res.stderr
