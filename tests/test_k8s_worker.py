"""`forewarn explain` on Kubernetes workers' files: K8S findings, and every Proxmox and LVM rule
"not applicable".

Real file sets only (see tests/evidence/k8s/SOURCE.md):
- seed 004's nodes: ip-10-200-1-206 (the failed `docker build` with its `uname -a`, and the IPVS
  kernel message of that node's gateway NodePort) and BJ-M8-HADOOP-105-145 (kubelet's journal);
- this build machine as a Docker node: `docker info`, `xfs_info` of the runtime's XFS, containerd's
  default config, `hostname` and `uname -a`, all captured here.
"""

from __future__ import annotations

from pathlib import Path


from forewarn.rules import RULES
from reports import explain_nodes as _explain, failed as _failed, rule_status as _status

EVIDENCE = Path(__file__).parent / "evidence"
K8S = EVIDENCE / "k8s"
SEED = EVIDENCE / "seeds" / "004_3ae197d3b21d8357.txt"


def _seed(first: int, last: int) -> str:
    return "\n".join(SEED.read_text(encoding="utf-8").splitlines()[first - 1:last]) + "\n"








def _assert_no_proxmox_no_lvm(report: dict) -> None:
    status = _status(report)
    pve = {c: s for c, s in status.items() if RULES.get(c) is not None and RULES[c].platform == "pve"}
    lvm = {c: s for c, s in status.items() if RULES.get(c) is not None and RULES[c].platform == "lvm"}
    assert pve, "no PVE rule ran"
    assert set(pve.values()) == {"not-applicable"}, pve
    assert set(lvm.values()) <= {"not-applicable"}, lvm
    assert not [f for f in report["findings"] if f["code"] in ("FW901", "FW902")], report["findings"]


def test_seed004_workers(tmp_path: Path, monkeypatch) -> None:
    report = _explain(tmp_path, monkeypatch, {
        "ip-10-200-1-206": {
            "uname-a.txt": _seed(457, 458),
            "docker-logs-build.txt": _seed(453, 455),
            "kern-ipvs.txt": _seed(357, 357),
        },
        "bj-m8-hadoop-105-145": {"syslog": _seed(409, 411)},
    })
    inputs = " ".join(report["inputs"])
    for spec in ("host.uname", "k8s.container_log", "log.syslog"):
        assert f"[{spec}]" in inputs, report["inputs"]
    status = _status(report)
    (eof,) = _failed(report, "K8S113")
    assert eof["severity"] == "high" and "3.10.0-1127.el7.x86_64" in eof["message"]
    assert eof["nodes"] == ["ip-10-200-1-206"] and eof["evidence"]
    (ipvs,) = _failed(report, "K8S110")
    assert "10.200.1.206:44693" in ipvs["message"]
    (upper,) = _failed(report, "K8S108")
    assert "BJ-M8-HADOOP-105-145" in upper["message"] and "bj-m8-hadoop-105-145" in upper["message"]
    (sandbox,) = _failed(report, "K8S111")
    assert sandbox["severity"] == "medium" and "docker info" in sandbox["message"]
    for code in ("K8S107", "K8S109", "K8S112", "K8S114", "K8S117"):
        assert status[code] == "pass", (code, status[code])
    for code in ("K8S101", "K8S102", "K8S104", "K8S105"):
        assert status[code] == "could-not-check", (code, status[code])
    _assert_no_proxmox_no_lvm(report)


def test_lab_docker_node(tmp_path: Path, monkeypatch) -> None:
    report = _explain(tmp_path, monkeypatch, {
        "vm": {
            "docker-info.txt": (K8S / "lab-docker-info-overlay2-xfs.txt").read_text(encoding="utf-8"),
            "xfs_info.txt": (K8S / "lab-xfs_info-mounted-ftype1.txt").read_text(encoding="utf-8"),
            "config.toml": (K8S / "lab-containerd-config-default.toml").read_text(encoding="utf-8"),
            "hostname.txt": (K8S / "lab-hostname.txt").read_text(encoding="utf-8"),
            "uname-a.txt": (K8S / "lab-uname-a.txt").read_text(encoding="utf-8"),
        },
    })
    inputs = " ".join(report["inputs"])
    for spec in ("k8s.docker_info", "host.xfs_info", "k8s.containerd_config", "host.hostname", "host.uname"):
        assert f"[{spec}]" in inputs, report["inputs"]
    status = _status(report)
    assert status["K8S101"] == "pass"  # overlay2 on XFS with ftype=1, d_type true
    assert status["K8S108"] == "pass"  # lower-case host name
    assert not [f for f in report["findings"] if f["code"].startswith("K8S")], report["findings"]
    _assert_no_proxmox_no_lvm(report)


def test_proxmox_node_says_k8s_not_applicable() -> None:
    """The other way round: a Proxmox node's files make every K8S rule "not applicable"."""
    from forewarn.facts.context import Context
    from forewarn.rules._engine import run_rule
    from rulecases import case_records

    case = {"nodes": {"pve5": {"log.syslog": {"file": "seeds/001_2bd87300fc635f04.txt", "lines": [138, 301]},
                               "host.uname": {"file": "k8s/lab-uname-a.txt"}}}}
    ctx = Context(case_records(case))
    for code in sorted(c for c in RULES if c.startswith("K8S")):
        statuses = {f.status.value for f in run_rule(RULES[code], ctx)}
        assert statuses == {"not-applicable"}, (code, statuses)
