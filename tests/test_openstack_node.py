"""`forewarn explain` on an OpenStack compute node's files: OSK findings, and Proxmox rules not applicable.

Two real file sets from tests/evidence (see tests/evidence/openstack/SOURCE.md):
- a Kolla all-in-one's /etc/kolla (Jordonchen/kolla-ansible-openstack): nova.conf, neutron.conf,
  chrony.conf, libvirtd.conf and globals.yml, under the names they have on the node;
- seed 003's compute3: the nova-compute log lines and config lines the seed pastes, with the lab
  capture of its NIC layout (`ip -j addr`).
"""

from __future__ import annotations

from pathlib import Path


from forewarn.rules import RULES
from reports import explain_nodes, failed as _failed, rule_status as _status


def _explain(tmp_path: Path, monkeypatch, node: str, files: dict[str, str]) -> dict:
    return explain_nodes(tmp_path, monkeypatch, {node: files})

EVIDENCE = Path(__file__).parent / "evidence"
OSK = EVIDENCE / "openstack"
SEED = EVIDENCE / "seeds" / "003_d9859ccb02bdd8cb.txt"








def _assert_not_proxmox(report: dict) -> None:
    """Every Proxmox rule says "not applicable". (PVE122 and PVE130 are declared for any Linux host,
    `platform="linux"`, so on a node without their evidence they say "could not check".)"""
    status = _status(report)
    # signature-carried rows (not in RULES) run on PVE evidence too
    pve = {code: st for code, st in status.items()
           if code.startswith("PVE") and (code not in RULES or RULES[code].platform == "pve")}
    assert pve, "no PVE rule ran"
    assert set(pve.values()) == {"not-applicable"}, pve
    assert not [f for f in report["findings"] if f["code"] in ("FW901", "FW902")]


def test_kolla_all_in_one_etc_kolla(tmp_path: Path, monkeypatch) -> None:
    files = {
        "nova.conf": (OSK / "jordonchen-nova-compute-nova.conf").read_text(encoding="utf-8"),
        "neutron.conf": (OSK / "jordonchen-neutron-openvswitch-agent-neutron.conf").read_text(encoding="utf-8"),
        "chrony.conf": (OSK / "jordonchen-chrony.conf").read_text(encoding="utf-8"),
        "libvirtd.conf": (OSK / "jordonchen-nova-libvirt-libvirtd.conf").read_text(encoding="utf-8"),
        "globals.yml": (OSK / "jordonchen-globals.yml").read_text(encoding="utf-8"),
    }
    report = _explain(tmp_path, monkeypatch, "aio", files)
    specs = " ".join(report["inputs"])
    for spec in ("osk.nova_conf", "osk.neutron_conf", "osk.chrony_conf", "osk.libvirtd_conf", "osk.kolla_globals"):
        assert f"[{spec}]" in specs, report["inputs"]
    status = _status(report)
    # the configs reach the APIs at .81 while globals.yml says .131
    assert status["OSK103"] == "fail"
    (f103,) = _failed(report, "OSK103")
    assert "192.168.226.131" in f103["message"] and "192.168.226.81" in f103["message"]
    assert f103["evidence"] and any(e["lines"] for e in f103["evidence"])
    assert status["OSK102"] == "pass"  # haproxy and keepalived at their default (on)
    assert status["OSK105"] == "pass"  # qemu+tcp and listen_tcp = 1
    assert status["OSK101"] == "could-not-check"  # one compute, no log
    assert status["OSK106"] == "could-not-check"  # no log
    _assert_not_proxmox(report)


def test_seed003_compute3(tmp_path: Path, monkeypatch) -> None:
    seed = SEED.read_text(encoding="utf-8").splitlines()
    files = {
        "nova-compute.log": "\n".join(seed[i - 1] for i in (4, 46, 79)) + "\n",
        "nova.conf": seed[31 - 1] + "\n",
        "libvirtd.conf": seed[34 - 1] + "\n",
        "ip-j-addr.json": (OSK / "lab-compute3-same-subnet-ip-j-addr.json").read_text(encoding="utf-8"),
    }
    report = _explain(tmp_path, monkeypatch, "compute3", files)
    status = _status(report)
    assert status["OSK101"] == "fail"
    assert "CPU doesn't have compatibility" in _failed(report, "OSK101")[0]["message"]
    assert status["OSK106"] == "fail"
    assert "kolla_logs" in _failed(report, "OSK106")[0]["message"]
    assert status["OSK104"] == "fail"
    assert "eth0 172.16.10.113, eth2 172.16.10.213" in _failed(report, "OSK104")[0]["message"]
    assert status["OSK105"] == "pass"  # the seed set listen_tcp = 1
    _assert_not_proxmox(report)
