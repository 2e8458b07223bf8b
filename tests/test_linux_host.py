"""`forewarn explain` on plain Linux hosts' files: the NET107-110 and LNX101-104 findings, and every
Proxmox and LVM rule "not applicable".

Real file sets only (tests/evidence/host/SOURCE.md): the development machine itself (a plain Debian
12 host), the lab VM with systemd 252, the seed 003 lab namespace, chronyd in an isolated namespace,
a public resolv.conf paste, and `passwd -S` / `sshd -T` captured here.
"""

from __future__ import annotations

import json
from pathlib import Path


from forewarn.rules import RULES
from reports import explain_nodes as _explain, failed as _failed, rule_status as _status

HOST = Path(__file__).parent / "evidence" / "host"
OURS = ("NET107", "NET108", "NET109", "NET110", "LNX101", "LNX102", "LNX103", "LNX104")








def _no_proxmox_no_lvm(report: dict) -> None:
    status = _status(report)
    pve = {c: s for c, s in status.items() if c in RULES and RULES[c].platform == "pve"}
    lvm = {c: s for c, s in status.items() if c in RULES and RULES[c].platform == "lvm"}
    assert pve and set(pve.values()) == {"not-applicable"}, pve
    assert lvm and set(lvm.values()) == {"not-applicable"}, lvm
    assert not [f for f in report["findings"] if f["code"] in ("FW901", "FW902")], report["findings"]


def test_plain_debian_host_passes(tmp_path: Path, monkeypatch) -> None:
    p = HOST / "plain-debian12"
    report = _explain(tmp_path, monkeypatch, {"vm": {
        "resolv.conf": p / "resolv.conf", "hosts": p / "hosts", "ip-j-addr.json": p / "ip-j-addr.json",
        "sysctl-a.txt": p / "sysctl-a.txt", "sshd-T.txt": p / "sshd-T.txt",
        "passwd-S-root.txt": p / "passwd-S-root.txt", "uname-a.txt": p / "uname-a.txt",
    }})
    inputs = " ".join(report["inputs"])
    for spec in ("host.resolv_conf", "host.hosts", "host.ip_addr", "host.sysctl", "host.sshd_config",
                 "host.root_password_state"):
        assert f"[{spec}]" in inputs, report["inputs"]
    status = _status(report)
    for code in ("NET107", "NET108", "NET109", "NET110", "LNX101", "LNX104"):
        assert status[code] == "pass", (code, status[code])
    for code in ("LNX102", "LNX103"):  # no systemctl show, no chronyc here: not checked, never "pass"
        assert status[code] == "could-not-check", (code, status[code])
    _no_proxmox_no_lvm(report)


def test_linux_hosts_with_problems(tmp_path: Path, monkeypatch) -> None:
    vm, net, ch = HOST / "systemd-vm", HOST / "net", HOST / "chrony"
    report = _explain(tmp_path, monkeypatch, {
        "fwlab": {"journal.txt": vm / "journal-final.txt", "sysctl-a.txt": vm / "sysctl-a-low.txt",
                  "systemctl-show-tasks.txt": vm / "tasks-capped.txt"},
        "compute3": {"hosts": net / "lab-compute3-etc-hosts.txt", "ip-j-addr.json": net / "lab-compute3-ip-j-addr.json"},
        "isolated": {"chronyc-sources.txt": ch / "unreachable-sources.txt",
                     "chronyc-tracking.txt": ch / "unreachable-tracking.txt"},
        "node1": {"resolv.conf": HOST / "resolv" / "kubesphere-935-resolv.conf"},
        "pve-1": {"passwd-S-root.txt": HOST / "passwd" / "root-S-deleted.txt",
                  "sshd-T.txt": HOST / "sshd" / "sshd-T-empty-yes.txt"},
    })
    status = _status(report)
    for code in ("NET107", "NET108", "NET109", "LNX101", "LNX102", "LNX103", "LNX104"):
        assert status[code] == "fail", (code, status[code])
    assert status["NET110"] == "pass"
    (hosts,) = _failed(report, "NET107")
    assert "compute3 → 192.168.56.111 (line 4; used: the first line wins; this node's eth0)" in hosts["message"]
    (subnet,) = _failed(report, "NET108")
    assert "eth0 (192.168.56.111) and eth2 (192.168.56.211) are both in 192.168.56.0/24" in subnet["message"]
    (dns,) = _failed(report, "NET109")
    assert "1.2.4.8 (line 8) is ignored" in dns["message"]
    (inotify,) = _failed(report, "LNX101")
    assert inotify["nodes"] == ["fwlab"] and "fs.inotify.max_user_watches = 8" in inotify["message"]
    (tasks,) = _failed(report, "LNX102")
    assert "fwforks.service runs 31 tasks with TasksMax=32" in tasks["message"]
    (time,) = _failed(report, "LNX103")
    assert time["nodes"] == ["isolated"] and "reach 0" in time["message"]
    (root,) = _failed(report, "LNX104")
    assert root["nodes"] == ["pve-1"] and "PermitEmptyPasswords yes" in root["message"]
    text = json.dumps(report)
    assert "$6$" not in text and "$y$" not in text
    assert set(OURS) <= set(status)
    _no_proxmox_no_lvm(report)
