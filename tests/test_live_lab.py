"""Live scans over real SSH of a real 3-node corosync cluster (tests/lab/corosync_lab.py).

One lab for the whole module: 3 nodes with two corosync links, each node with its own sshd,
rsyslogd, /etc/pve, a `pvecm` stand-in and (where chrony is installed) a chronyd synchronised to
the lab's NTP server; forewarn runs as a subprocess in a client namespace
on the lab's bridge (lab addresses are never reached from the root namespace), with HOME set to
a home whose ~/.ssh has the client key, a config mapping node1..3 to their addresses, and a
known_hosts the lab wrote. Each test puts one fault in, scans live, then runs `forewarn collect`
and `forewarn scan` on the bundle and expects the same findings; `reset` undoes the fault and
empties the logs so the next test sees only its own incident.

Runs only as root with corosync, sshd, nft and rsyslogd installed (skipped otherwise).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent / "lab"))

import corosync_lab  # noqa: E402

NEEDED = ("corosync", "corosync-quorumtool", "corosync-keygen", "nft", "ip", "nsenter", "unshare",
          "ssh-keygen", "ss", "timeout")
SSHD = shutil.which("sshd", path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or any(shutil.which(t) is None for t in NEEDED) or SSHD is None
    or shutil.which("rsyslogd", path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin") is None,
    reason="the live lab needs root, sshd, rsyslogd and " + ", ".join(NEEDED),
)

SEED = f"root@{corosync_lab.node_addr(1)}"  # --cluster reads node1's corosync.conf
NODES = ("node1", "node2", "node3")
RANK = {"info": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def lab() -> Iterator[corosync_lab.Lab]:
    ntp = shutil.which("chronyd", path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin") is not None
    with corosync_lab.Lab(3, links=2, ssh=True, pve=True, ntp=ntp) as lab:
        lab.start()
        lab.wait_all_quorate(timeout=30)
        if ntp:
            lab.wait_time_synced(timeout=30)
        yield lab


@pytest.fixture
def cluster(lab: corosync_lab.Lab) -> Iterator[corosync_lab.Lab]:
    """The shared lab, put back to health (and its logs emptied) after the test."""
    try:
        yield lab
    finally:
        lab.reset(timeout=60)


# -- running forewarn in the client namespace ---------------------------------------------------

def forewarn(lab: corosync_lab.Lab, *args: str, timeout: float = 150) -> tuple[int, str, str, float]:
    t0 = time.monotonic()
    res = lab.client_run([sys.executable, "-m", "forewarn.cli.main", *args], timeout=timeout, cwd=ROOT,
                         env={"PYTHONPATH": str(ROOT / "src"), "COLUMNS": "100"})
    return res.returncode, res.stdout, res.stderr, time.monotonic() - t0


def scan_json(lab: corosync_lab.Lab, *targets: str, timeout: float = 150) -> tuple[dict[str, Any], float]:
    rc, out, err, took = forewarn(lab, "scan", *targets, "--format", "json", timeout=timeout)
    assert rc in (0, 1), f"forewarn scan exited {rc}: {err}"
    return json.loads(out), took


def collect_then_scan(lab: corosync_lab.Lab, tmp: Path, *targets: str,
                      timeout: float = 150) -> tuple[dict[str, Any], float]:
    bundle = tmp / "bundle.tar.gz"
    rc, out, err, took = forewarn(lab, "collect", *targets, "-o", str(bundle), timeout=timeout)
    assert rc in (0, 1), f"forewarn collect exited {rc}: {err}"
    assert bundle.is_file(), err
    res = subprocess.run([sys.executable, "-m", "forewarn.cli.main", "scan", str(bundle), "--format", "json"],
                         capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert res.returncode in (0, 1), res.stderr
    return json.loads(res.stdout), took


def failing(report: dict[str, Any], at_least: str = "medium") -> list[dict[str, Any]]:
    return [f for f in report["findings"] if RANK[f["severity"]] >= RANK[at_least]]


def keys(report: dict[str, Any], at_least: str = "medium") -> set[tuple[str, tuple[str, ...]]]:
    """What a scan found, as (code, nodes): the part that must be the same live and offline."""
    return {(f["code"], tuple(f["nodes"])) for f in failing(report, at_least)}


def hits(report: dict[str, Any], code: str) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["code"] == code]


def show(report: dict[str, Any]) -> str:
    return "\n".join(f"{f['severity']} {f['code']} {f['nodes']}: {f['message'][:200]}" for f in report["findings"])


# -- the scenarios ----------------------------------------------------------------------------

def test_healthy_cluster_has_no_finding_at_medium_or_above(cluster: corosync_lab.Lab, tmp_path: Path) -> None:
    live, took = scan_json(cluster, "--cluster", SEED)
    assert live["nodes"] == list(NODES), live["nodes"]  # host names from the nodes, not addresses
    # on an overloaded machine the lab's own start can lose a token: then PVE102 is right to say so
    shaky = _start_was_unstable(cluster)
    assert not [f for f in failing(live) if not (shaky and f["code"] == "PVE102")], show(live)
    passed = {c["code"] for c in live["checks"] if c["status"] == "pass"}
    assert {"PVE101", "PVE104", "PVE106"} <= passed, live["checks"]
    offline, _ = collect_then_scan(cluster, tmp_path, "--cluster", SEED)
    assert offline["nodes"] == list(NODES)
    assert not [f for f in failing(offline) if not (shaky and f["code"] == "PVE102")], show(offline)


def _start_was_unstable(lab: corosync_lab.Lab) -> bool:
    """Did corosync itself log trouble after the start (a lost token, a link that went down)?"""
    signs = ("Token has not been received", "is down", "A processor failed", "Members left")
    return any(sign in lab.syslog(n) for n in NODES for sign in signs)


def test_partitioned_node_loses_quorum(cluster: corosync_lab.Lab, tmp_path: Path) -> None:
    cluster.partition(["node1", "node2"], ["node3"])
    cluster.wait("node3 not quorate", lambda: cluster.quorate("node3") is False, 30)
    cluster.wait("node1 and node2 quorate with 2 votes",
                 lambda: cluster.votes("node1") == 2 and bool(cluster.quorate("node1")), 30)
    # the client still reaches node3: the partition is between the nodes only
    for report in (scan_json(cluster, "--cluster", SEED)[0],
                   collect_then_scan(cluster, tmp_path, "--cluster", SEED)[0]):
        now = [f for f in hits(report, "PVE101") if f["details"].get("total_votes") is not None]
        assert [f["nodes"] for f in now] == [["node3"]], show(report)
        assert "1 of 3 votes, quorum needs 2" in now[0]["message"]
        assert "Activity blocked" in now[0]["message"]
        assert not [f for f in hits(report, "PVE101") if set(f["nodes"]) & {"node1", "node2"}], show(report)
        # the membership change, from the nodes' own logs
        split = hits(report, "PVE102")
        # the timeline's episode title: "node3 cut off: {node1, node2} | {node3}"
        assert split and "{node1, node2} | {node3}" in split[0]["message"], show(report)
        logs = {e["node"] for f in split for e in f["evidence"] if e["spec"].startswith("log.")}
        assert logs == set(NODES), split[0]["evidence"]


def test_packet_loss_names_the_flapping_host(cluster: corosync_lab.Lab, tmp_path: Path) -> None:
    cluster.add_loss("node3", 35)

    def flapped() -> bool:
        log = cluster.syslog("node1")
        # With two knet links a 35 % loss does not always break the ring within minutes: links to
        # node3 going down plus a lost token (or a membership without node3) is the flap we want.
        return "host: 3 link:" in log and "is down" in log and (
            "Members left: 3" in log or "Token has not been received" in log)

    cluster.wait("node1 logs node3's links down and a lost token or a membership without it", flapped, 150)
    cluster.wait("node2 logs node3's links down too", lambda: "host: 3 link:" in cluster.syslog("node2"), 60)

    def left(node: str) -> set[str]:
        return {i for m in re.findall(r"Members left: ([\d ]+)", cluster.syslog(node)) for i in m.split()}

    def only_node3() -> bool:
        return left("node1") <= {"3"} and left("node2") <= {"3"}

    # Real loss sometimes breaks the whole ring (node1 and node2 lose each other as well): then
    # the logs no longer single out node3, and saying so is the right answer. The loss goes on
    # while a scan reads, so the logs are judged just before and just after each scan: a verdict
    # either snapshot supports is right (the ring can break between the two).
    before = only_node3()
    live, _ = scan_json(cluster, "--cluster", SEED)
    between = only_node3()
    offline, _ = collect_then_scan(cluster, tmp_path, "--cluster", SEED)
    after = only_node3()
    for report, seen in ((live, {before, between}), (offline, {between, after})):
        unstable = hits(report, "PVE102")
        assert unstable, show(report)
        message = unstable[0]["message"]
        allowed = {"node3 is the common factor" if single else "No single node is the common factor"
                   for single in seen}
        assert any(message.startswith(a) for a in allowed), (allowed, show(report))
        if message.startswith("node3 is the common factor"):
            assert "node3" in unstable[0]["nodes"]


def test_killed_corosync_is_reported_and_the_rest_diagnosed(cluster: corosync_lab.Lab, tmp_path: Path) -> None:
    cluster.kill("node2", signal.SIGKILL)
    cluster.wait("node1 and node3 quorate with 2 votes",
                 lambda: all(cluster.votes(n) == 2 and cluster.quorate(n) for n in ("node1", "node3")), 30)
    cluster.wait_logs_quiet()
    for report in (scan_json(cluster, "--cluster", SEED)[0],
                   collect_then_scan(cluster, tmp_path, "--cluster", SEED)[0]):
        assert report["nodes"] == list(NODES)
        down = [f for f in failing(report) if f["nodes"] == ["node2"]]
        assert any("Cannot initialize CMAP service" in f["message"] for f in down), show(report)
        # node1 and node3 were read and are quorate: a quorum finding about them only for a loss their
        # own log shows (while the ring drops node2 it can pass through a membership of one node, and
        # corosync then logs the non-primary component: a CI run saw node1 non-quorate for 5 s)
        for f in hits(report, "PVE101"):
            if set(f["nodes"]) & {"node1", "node3"}:
                cited = [line for ev in f["evidence"] for line in ev.get("excerpt", [])]
                assert "(quorate now)" in f["message"], show(report)
                assert any("non-primary component" in line and f["nodes"][0] in line for line in cited), show(report)
        assert not hits(report, "FW908")


def test_stopped_sshd_is_an_unreachable_node_and_the_rest_is_diagnosed(cluster: corosync_lab.Lab,
                                                                       tmp_path: Path) -> None:
    cluster.stop_sshd("node2")
    live, took = scan_json(cluster, "node1", "node2", "node3")
    offline, _ = collect_then_scan(cluster, tmp_path, "node1", "node2", "node3")
    for report in (live, offline):
        unreachable = hits(report, "FW908")
        assert [f["nodes"] for f in unreachable] == [["node2"]], show(report)
        assert "connection refused" in unreachable[0]["message"]
        assert {"node1", "node3"} <= set(report["nodes"])
        # the nodes that answered were diagnosed: healthy, quorate, nothing else at medium or above
        assert [f for f in failing(report) if f["code"] != "FW908"] == [], show(report)
        assert "PVE101" in {c["code"] for c in report["checks"] if c["status"] == "pass"}
    assert took < 30, f"an unreachable node must not hold up the scan ({took:.1f} s)"


def test_hanging_pvecm_times_out_within_budget_and_pve105_fires(cluster: corosync_lab.Lab, tmp_path: Path) -> None:
    cluster.install_tool("node2", "pvecm", corosync_lab.PVECM_HANG)
    live, took = scan_json(cluster, "--cluster", SEED, timeout=120)
    offline, _ = collect_then_scan(cluster, tmp_path, "--cluster", SEED, timeout=120)
    for report in (live, offline):
        hung = hits(report, "PVE105")
        assert [f["nodes"] for f in hung] == [["node2"]], show(report)
        assert "`pvecm status` timed out" in hung[0]["message"]
        assert "pve.pvecm_status" in hung[0]["details"]["timed_out"]
    # budget: the spec's own timeout (15 s) for each hung pvecm command, plus SSH and the rules
    assert took < 2 * 15 + 20, f"scan took {took:.1f} s"
    # nothing of the hung command is left on the node: timeout killed its whole process group
    left = [cmd for cmd in cluster.processes("node2").values() if cmd == "sleep 3600"]
    assert not left, left


def test_node_dropping_mid_scan_is_reported_and_the_rest_diagnosed(cluster: corosync_lab.Lab) -> None:
    """node2's SSH connection dies while a command runs there (a hanging pvecm keeps the scan on
    node2 long enough): what node2 gave is kept, the rest of it is `connection lost`, FW908 says
    so, and node1 and node3 are diagnosed."""
    cluster.install_tool("node2", "pvecm", corosync_lab.PVECM_HANG)
    killer = threading.Timer(4, _kill_sshd, args=(cluster._node("node2").netns,))
    killer.start()
    try:
        report, took = scan_json(cluster, "node1", "node2", "node3")
    finally:
        killer.join(10)
    dropped = hits(report, "FW908")
    assert [f["nodes"] for f in dropped] == [["node2"]], show(report)
    assert "connection lost" in dropped[0]["message"] and "collection stopped after" in dropped[0]["message"]
    assert dropped[0]["details"]["artifacts"] > 0  # what came before the drop is kept
    assert [f for f in failing(report) if f["code"] != "FW908"] == [], show(report)
    assert took < 15, f"a dropped node must not hold up the scan ({took:.1f} s)"


def test_config_drift_older_config_version(cluster: corosync_lab.Lab, tmp_path: Path) -> None:
    old = cluster.conf_text(config_version=cluster.config_version - 1)
    cluster.write_conf("node2", old, pve_copy=False)  # node2's /etc/corosync copy fell behind
    # the seed by its ~/.ssh/config alias (`Host node1`, `User root`): the members get that user too
    live, _ = scan_json(cluster, "--cluster", "node1")
    assert any("node2 (root@10.77.0.12)" in line for line in live["inputs"]), live["inputs"]
    for report in (live, collect_then_scan(cluster, tmp_path, "--cluster", SEED)[0]):
        drift = hits(report, "PVE104")
        assert [f["nodes"] for f in drift] == [["node2"]], show(report)
        assert drift[0]["severity"] == "high"
        assert (f"config_version {cluster.config_version - 1} but node1, node3 have {cluster.config_version}"
                in drift[0]["message"]), drift[0]["message"]


def test_same_findings_live_and_from_the_bundle(cluster: corosync_lab.Lab, tmp_path: Path) -> None:
    """A steady fault (node3 partitioned, quorum settled): live and bundle scans agree on every
    finding at medium or above, code and nodes."""
    cluster.partition(["node1", "node2"], ["node3"])
    cluster.wait("node3 not quorate", lambda: cluster.quorate("node3") is False, 30)
    cluster.wait("node1 quorate with 2 votes", lambda: cluster.votes("node1") == 2, 30)
    cluster.wait_logs_quiet()
    live, _ = scan_json(cluster, "--cluster", SEED)
    offline, _ = collect_then_scan(cluster, tmp_path, "--cluster", SEED)
    assert keys(live) == keys(offline), (show(live), show(offline))


def test_hostile_nodelist_address_runs_nothing_on_the_operators_machine(cluster: corosync_lab.Lab,
                                                                        tmp_path: Path) -> None:
    """node1's /etc/pve/corosync.conf gives node2 an address that carries an SSH option, and the
    operator's ssh config passes `%h` to a nested OpenSSH client (`ssh -W %h:%p`), which runs a
    `-oProxyCommand` through a shell. The address is refused before any use: FW908 names node2
    and the value, node1 and node3 are scanned, and the injected command never ran."""
    canary = tmp_path / "pwned"
    hostile = f"127.0.0.1:22 -oProxyCommand=touch$IFS{canary}"
    conf = cluster.conf_text()
    addr2 = f"ring0_addr: {corosync_lab.node_addr(2)}\n"
    assert addr2 in conf
    cluster._node("node1").path("/etc/pve/corosync.conf").write_text(conf.replace(addr2, f"ring0_addr: {hostile}\n"))
    config = tmp_path / "ssh_config"
    config.write_text((cluster.client_home / ".ssh" / "config").read_text()
                      + "\nHost 127.*\n  ProxyCommand ssh -F /dev/null -o BatchMode=yes -W %h:%p jump.invalid\n")
    rc, out, err, _ = forewarn(cluster, "scan", "--cluster", SEED, "--ssh-config", str(config), "--format", "json")
    assert rc in (0, 1), err
    report = json.loads(out)
    assert not list(tmp_path.glob("pwned*")), "the injected ProxyCommand ran on the operator's machine"
    refused = hits(report, "FW908")
    assert [f["nodes"] for f in refused] == [["node2"]], show(report)
    assert repr(hostile) in refused[0]["message"] and "not contacted" in refused[0]["message"]
    assert {"node1", "node3"} <= set(report["nodes"])
    assert "node2" in report["summary"]["not_checked"]


# -- the SSH source's own failure modes, against the same real sshd -----------------------------

_PROBE = r"""
import asyncio, json, sys
from forewarn.collect.sources.base import SourceError
from forewarn.collect.sources.ssh import SSHOptions, SSHSource

async def main(target, kw, script, timeout):
    src = SSHSource(target, SSHOptions(**kw))
    try:
        await src.open()
    except SourceError as exc:
        print(json.dumps({"open_error": str(exc)}))
        return
    out = {"node": src.node}
    if script:
        res = await src.run(script, timeout=timeout, max_bytes=4096)
        after = await src.run("echo still", timeout=5, max_bytes=100)
        out.update(rc=res.rc, timed_out=res.timed_out, truncated=res.truncated, error=res.error,
                   stdout=len(res.stdout), duration=res.duration, after_error=after.error)
    await src.close()
    print(json.dumps(out))

asyncio.run(main(sys.argv[1], json.loads(sys.argv[2]), sys.argv[3], float(sys.argv[4])))
"""


def probe(lab: corosync_lab.Lab, target: str, script: str = "", timeout: float = 10, **kw: Any) -> dict[str, Any]:
    res = lab.client_run([sys.executable, "-c", _PROBE, target, json.dumps(kw), script, str(timeout)],
                         timeout=90, cwd=ROOT, env={"PYTHONPATH": str(ROOT / "src")})
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


def test_ssh_source_failure_modes(cluster: corosync_lab.Lab, tmp_path: Path) -> None:
    home = cluster.client_home / ".ssh"
    # the node's own host name, through ~/.ssh/config's alias
    assert probe(cluster, "node1")["node"] == "node1"
    # an unknown host key is refused by default
    empty = home / "empty_known_hosts"
    empty.write_text("")
    r = probe(cluster, "node1", known_hosts=[str(empty)])
    assert "host key unknown" in r["open_error"], r
    # a changed host key (node reinstalled, or someone in the middle) is refused, loudly
    wrong = home / "wrong_known_hosts"
    wrong.write_text(f"{corosync_lab.node_addr(1)} {cluster.host_key('node2')}\n")
    r = probe(cluster, "node1", known_hosts=[str(wrong)])
    assert "host key MISMATCH" in r["open_error"], r
    # ... unless the check is switched off explicitly
    assert probe(cluster, "node1", known_hosts=[str(wrong)], insecure_no_host_key_check=True)["node"] == "node1"
    # a key the node does not accept
    other = tmp_path / "other_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other)], check=True)
    r = probe(cluster, "node1", identity_files=[str(other)], extra={"agent_path": None})
    assert "authentication refused" in r["open_error"], r
    # a key that logs in but may run nothing (a forced command): said once, at open
    forced = tmp_path / "forced_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(forced)], check=True)
    keys = cluster._node("node1").path("/root/.ssh/authorized_keys")
    original = keys.read_text()
    keys.write_text(original + f'restrict,command="echo this key may not run commands >&2; exit 1" '
                    f'{(tmp_path / "forced_key.pub").read_text()}')
    try:
        r = probe(cluster, "node1", identity_files=[str(forced)], extra={"agent_path": None})
    finally:
        keys.write_text(original)
    assert r["open_error"] == "node1: logged in, but cannot run commands there (this key may not run commands)", r
    # a silent address (nothing there): the connect timeout, one line
    r = probe(cluster, "root@10.77.0.99", connect_timeout=2)
    assert "no answer within 2 s" in r["open_error"] or "unreachable" in r["open_error"], r
    # a command's own timeout: killed on the node with its process group, reported, not raised
    r = probe(cluster, "node1", "sleep 30 & sleep 40; echo never", timeout=2)
    assert r["timed_out"] and r["rc"] is None and r["duration"] < 6 and r["after_error"] is None, r
    assert not [c for c in cluster.processes("node1").values() if c in ("sleep 30", "sleep 40")]
    # output beyond max_bytes is cut
    r = probe(cluster, "node1", "yes", timeout=10)
    assert r["truncated"] and r["stdout"] == 4096 and not r["timed_out"], r
    # the connection drops mid-command (the node's sshd and its sessions die): this command
    # and every later one end as `connection lost`, nothing raises
    killer = threading.Timer(1.5, _kill_sshd, args=(cluster._node("node1").netns,))
    killer.start()
    try:
        r = probe(cluster, "node1", "sleep 20", timeout=30)
    finally:
        killer.join(10)
    assert r["error"] == "connection lost" and r["after_error"] == "connection lost", r
    assert r["duration"] < 15, r


def _kill_sshd(netns: str) -> None:
    """SIGKILL every sshd process of a node (the listener and its sessions), found by PID."""
    pids = subprocess.run(["ip", "netns", "pids", netns], capture_output=True, text=True).stdout.split()
    for pid in pids:
        try:
            if Path(f"/proc/{pid}/comm").read_text().strip().startswith("sshd"):
                os.kill(int(pid), signal.SIGKILL)
        except (OSError, ValueError):
            pass


def test_readme_live_example_is_real_output(cluster: corosync_lab.Lab) -> None:
    """The README's live scan (node3 cut off, scanned over SSH from the client namespace) is what
    forewarn prints here, line for line where it shows a line (times, dates and durations masked)."""
    from test_readme import readme_block, shown_in_order

    cluster.isolate("node3")
    cluster.wait("node1 and node2 quorate without node3",
                 lambda: all(cluster.votes(n) == 2 and cluster.quorate(n) for n in ("node1", "node2")), 60)
    cluster.wait("node1 logs node3's links down", lambda: "host: 3 link:" in cluster.syslog("node1"), 60)
    cluster.wait_logs_quiet()
    rc, out, err, _ = forewarn(cluster, "scan", "--cluster", SEED, "--no-color", timeout=150)
    Path(os.environ.get("FOREWARN_README_CAPTURE", "/dev/null")).write_text(out)
    assert rc == 1, err
    shown = readme_block("forewarn scan --cluster")
    missing = shown_in_order(shown, out)
    assert not missing, "README lines not in the live output:\n" + "\n".join(missing) + "\n---\n" + out
