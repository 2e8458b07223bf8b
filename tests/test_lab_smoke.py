"""The corosync lab works here: 3 nodes form quorum, an isolated node3 loses it, all is cleaned up.

Runs only as root with corosync, nftables and nsenter installed (skipped otherwise); ~20 s.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "lab"))

import corosync_lab  # noqa: E402

NEEDED = ("corosync", "corosync-quorumtool", "corosync-keygen", "nft", "ip", "nsenter", "unshare")

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or any(shutil.which(t) is None for t in NEEDED),
    reason="the corosync lab needs root and " + ", ".join(NEEDED),
)


def test_three_nodes_quorum_then_isolated_node3_loses_it() -> None:
    lab = corosync_lab.Lab(3)
    with lab:
        lab.start()
        lab.wait_all_quorate(timeout=20)
        assert "Quorate:          Yes" in lab.quorumtool("node1").stdout
        lab.isolate("node3")
        lab.wait("node3 not quorate", lambda: lab.quorate("node3") is False, timeout=25)
        q3 = lab.quorumtool("node3").stdout
        assert "Quorate:          No" in q3
        assert "Activity blocked" in q3
        lab.wait("node1 keeps quorum with 2 votes",
                 lambda: lab.votes("node1") == 2 and bool(lab.quorate("node1")), timeout=15)
        pids = [n.corosync.pid for n in lab.nodes if n.corosync is not None]
    # everything the lab started is gone: namespaces, processes, mounts, its work directory
    # (other labs, e.g. a test run in parallel, have other namespace names and are not checked)
    assert not [ns for ns in corosync_lab.list_netns() if ns.startswith(lab.ns_prefix + "-")]
    for pid in pids:
        assert not Path(f"/proc/{pid}").exists() or _zombie(pid)
    mounts = Path("/proc/self/mountinfo").read_text()
    assert lab.ns_prefix + "-" not in mounts
    assert str(lab.workdir) not in mounts
    assert not lab.workdir.exists()
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    assert lab.ns_prefix + "-" not in out


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1].startswith("Z")
    except (FileNotFoundError, IndexError):
        return True
