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

from forewarn.collect.targets import BadTarget, Target, looks_like_target, members_from_conf

ROOT = Path(__file__).resolve().parents[1]
LAB_CONF = ROOT / "tests/evidence/corosync-lab-2/30-twolinks-corosync.conf"


@pytest.mark.parametrize("text, host, user, port", [
    ("root@pve1", "pve1", "root", None),
    ("pve1", "pve1", None, None),
    ("admin@10.0.0.5:2222", "10.0.0.5", "admin", 2222),
    ("[fe80::1]:22", "fe80::1", None, 22),
    ("root@[2001:db8::7]", "2001:db8::7", "root", None),
    ("2001:db8::7", "2001:db8::7", None, None),
    ("fe80::1%vmbr0", "fe80::1%vmbr0", None, None),
    ("root@[fe80::1%vmbr0]:2222", "fe80::1%vmbr0", "root", 2222),
    ("svc-fw.1@pve-1.example.com:22", "pve-1.example.com", "svc-fw.1", 22),
    ("node_a", "node_a", None, None),
])
def test_target_parse(text: str, host: str, user: str | None, port: int | None) -> None:
    t = Target.parse(text)
    assert (t.host, t.user, t.port) == (host, user, port)
    assert Target.parse(str(t)) == t


def test_target_without_host_is_refused() -> None:
    with pytest.raises(ValueError):
        Target.parse("root@")


HOSTILE = "127.0.0.1:22 -oProxyCommand=touch$IFS/tmp/x"


@pytest.mark.parametrize("text", [
    HOSTILE, f"root@{HOSTILE}", "-oProxyCommand=x", "root@-oProxyCommand=x", "pve1 -p 2222", "pve1;id",
    "pve1$(id)", "pve1`id`", "pve1\nid", "-p@pve1", "ro ot@pve1", "@pve1", "pve1:22x", "pve1:0", "pve1:70000",
    "10.0.0.300", "[fe80::1%vm br0]:22", "[fe80::1%$(id)]", "[pve1 -oX]:22", "[fe80::1", "pve1.-x",
    "pve\u00e9.example.com", "",
])
def test_target_that_is_not_a_host_or_address_is_refused(text: str) -> None:
    with pytest.raises(BadTarget) as exc:
        Target.parse(text)
    assert "\n" not in str(exc.value)


def test_a_target_cannot_be_built_around_the_check() -> None:
    """Target(...) itself checks, so --cluster's members (`with_host`) never carry a bad host."""
    with pytest.raises(BadTarget):
        Target.parse("root@pve1").with_host(HOSTILE)
    with pytest.raises(BadTarget):
        Target(host="pve1", user="-oProxyCommand=x")


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


def _hostile_conf() -> str:
    """The real lab corosync.conf with node2's ring0 address replaced by an option injection."""
    text = LAB_CONF.read_text()
    assert "ring0_addr: 10.77.0.12\n" in text
    return text.replace("ring0_addr: 10.77.0.12\n", f"ring0_addr: {HOSTILE}\n")


def test_a_hostile_nodelist_address_is_refused_and_the_rest_kept() -> None:
    members = members_from_conf(_hostile_conf(), Target.parse("root@10.77.0.11"))
    assert [(m.name, str(m.target) if m.target else None) for m in members] == [
        ("node1", "root@10.77.0.11"), ("node2", None), ("node3", "root@10.77.0.13")]
    assert members[1].address == HOSTILE and "not a host name" in members[1].refused


def test_a_refused_member_is_a_finding_naming_node_and_value() -> None:
    """Through the real collection runner: FW908 for node2 with the value, "could not check"
    for node2 in every rule, nothing run anywhere."""
    import asyncio

    from forewarn.collect.cluster import refused_member
    from forewarn.collect.outcome import uncollected_nodes
    from forewarn.collect.plan import build_plan
    from forewarn.collect.run import acollect_nodes
    from forewarn.facts.context import Context
    from forewarn.model.findings import Status
    from forewarn.rules._engine import run_all

    member = members_from_conf(_hostile_conf(), Target.parse("root@10.77.0.11"))[1]
    bundle = asyncio.run(acollect_nodes([refused_member(member, "/etc/pve/corosync.conf")], build_plan()))
    fw = [f for f in bundle.findings if f.code == "FW908"]
    assert len(fw) == 1 and fw[0].nodes == ("node2",)
    assert repr(HOSTILE) in fw[0].message and "/etc/pve/corosync.conf" in fw[0].message
    assert "not contacted" in fw[0].message
    assert not bundle.records
    ctx = Context(bundle.records, uncollected=uncollected_nodes(bundle.manifest))
    statuses = {f.status for f in run_all(ctx) if f.family != "FW"}
    assert statuses == {Status.COULD_NOT_CHECK}


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


def test_three_refused_targets_on_one_host_get_one_fw908_each(tmp_path: Path) -> None:
    ports = [_closed_port() for _ in range(3)]
    res = _forewarn("scan", *(f"root@127.0.0.1:{p}" for p in ports), "--format", "json", "--connect-timeout", "5",
                    home=tmp_path)
    assert res.returncode == 1, res.stderr
    report = json.loads(res.stdout)
    fw = [f for f in report["findings"] if f["code"] == "FW908"]
    assert len(fw) == 3, fw
    assert len({f["nodes"][0] for f in fw}) == 3
    for p in ports:
        assert [f for f in fw if f"root@127.0.0.1:{p}: connection refused" in f["message"]], (p, fw)


def test_an_unreachable_node_is_could_not_check_for_every_rule(tmp_path: Path) -> None:
    """Nothing read from the node is not "not applicable" (nor a pass): every rule says it could
    not check that node, and the summary names it."""
    port = _closed_port()
    res = _forewarn("scan", f"root@127.0.0.1:{port}", "--format", "json", "--connect-timeout", "5", home=tmp_path)
    report = json.loads(res.stdout)
    statuses = {c["status"] for c in report["checks"]}
    assert statuses == {"could-not-check"}, report["summary"]
    assert report["summary"]["could_not_check"] == report["summary"]["rules"] > 0
    assert report["summary"]["not_checked"] == ["127.0.0.1"]
    text = _forewarn("scan", f"root@127.0.0.1:{port}", "--connect-timeout", "5", home=tmp_path)
    summary = [ln for ln in text.stdout.splitlines() if " rules: " in ln]
    assert summary and "0 not applicable" in summary[0] and "could not check" in summary[0], text.stdout
    assert "nothing checked on 127.0.0.1" in " ".join(text.stdout.split()), text.stdout


@pytest.mark.parametrize("target", [f"root@{HOSTILE}", "root@pve1;touch${IFS}x", "admin@[fe80::1%$(id)]:22"])
def test_a_bad_target_on_the_command_line_is_a_usage_error(tmp_path: Path, target: str) -> None:
    res = _forewarn("scan", target, "--connect-timeout", "2", home=tmp_path)
    assert res.returncode == 2, (res.returncode, res.stdout, res.stderr)
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("forewarn: ") and "collecting" not in res.stderr, res.stderr
    res = _forewarn("scan", "--cluster", target, "--connect-timeout", "2", home=tmp_path)
    assert res.returncode == 2 and len(res.stderr.strip().splitlines()) == 1, res.stderr


def test_hosts_and_files_cannot_be_mixed(tmp_path: Path) -> None:
    res = _forewarn("scan", "root@pve1", str(LAB_CONF), home=tmp_path)
    assert res.returncode == 2
    assert "not both" in res.stderr
