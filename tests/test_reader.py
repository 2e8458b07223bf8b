"""Any text is evidence: the reader unwraps the shapes operators paste (parse/log/unwrap.py,
headers.py), a file no sniffer recognises is read as a generic log, and NUL runs do not make
text binary (model/evidence.py `looks_binary`, one definition for every path).

Every shape is tested on a real paste: tests/evidence/pastes (public incidents, SOURCE.md there),
tests/evidence/reader (one public paste per shape, SOURCE.md there) and the seeds.
"""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from forewarn.cli.main import cli
from forewarn.collect.loose import identify_text, load_files
from forewarn.model.evidence import EvidenceRecord, looks_binary
from forewarn.parse.log.headers import header
from forewarn.parse.log.syslog import parse_lines, parse_syslog, parse_text
from forewarn.parse.log.unwrap import outer, pieces
from forewarn.parse.pve.task_log import parse_task_log

EV = Path(__file__).parent / "evidence"
PASTES = EV / "pastes"
READER = EV / "reader"
SEED004 = EV / "seeds" / "004_3ae197d3b21d8357.txt"


def lines_of(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def events(path: Path) -> list[tuple[int, str]]:
    r = parse_text(lines_of(path))
    return [(e.line_no, e.kind) for e in r.value.events] if r.value else []


def explain(*paths: Path, args: tuple[str, ...] = ()) -> dict:
    r = CliRunner().invoke(cli, ["explain", "--format", "json", *args, *map(str, paths)])
    assert r.exit_code in (0, 1), r.output
    return json.loads(r.output)


# -- prefixes: syslog and journal in any locale, klog, ISO stamps -----------------------------

def test_journal_lines_with_localized_months():
    zh = lines_of(READER / "k8s-54542-systemctl-status-zh.txt")
    fmt, f = header(zh[7])  # `10月 25 16:08:09 test-node1 systemd[1]: ...`
    assert (fmt, f["ts"].month, f["ts"].day, f["host"], f["prog"]) == ("syslog", 10, 25, "test-node1", "systemd")
    de = lines_of(READER / "website-8668-dockerd-de.txt")
    fmt, f = header(de[0])  # `Mai 22 08:07:35 kuber-master-01 dockerd[1058]: ...`
    assert (f["ts"].month, f["ts"].day, f["prog"], f["pid"]) == (5, 22, "dockerd", "1058")
    v = parse_text(zh + de).value
    assert v.hosts == {"test-node1": 2, "kuber-master-01": 3} and v.programs["kubelet"] == 1


def test_klog_and_iso_stamped_lines():
    klog = lines_of(SEED004)[80]  # kube-apiserver: `I0722 20:27:25.279953       1 log.go:172] http: ...`
    fmt, f = header(klog)
    assert (fmt, f["ts"].month, f["ts"].day, f["msg"][:26]) == ("klog", 7, 22, "http: TLS handshake error ")
    task = lines_of(PASTES / "070-pve-live-migration-local-disk-needs-with-local-disks/qm-migrate-task.log")
    fmt, f = header(task[2])
    assert (fmt, f["ts"].isoformat(), f["year"]) == ("stamped", "2021-02-15T17:57:57", True)
    calico = lines_of(PASTES / "004-calico-cni-unauthorized-stale-kubeconfig-token/calico-cni.log")
    assert header(calico[0])[1]["ts"].isoformat() == "2023-01-16T05:06:47.002000"


def test_pve_task_log_task_error():
    got = parse_task_log(lines_of(PASTES / "001-ha-lrm-stale-custom-storage-plugin/ha-start-task.log"))
    assert [(e.line_no, e.kind, e.attrs) for e in got.value.events] == \
        [(2, "pve_storage_missing", {"storage": "truenas-hdd"})]


def test_systemctl_status_excerpt():
    path = PASTES / "009-corosync-cannot-autogenerate-multicast-address/systemctl-status-corosync.txt"
    r = parse_text(lines_of(path)).value
    e = next(e for e in r.events if e.kind == "corosync_mcast_autogen")
    assert (e.line_no, e.host, e.prog, e.ts.month) == (9, "controller1", "corosync", 6)
    assert r.kinds["corosync_start"] == 0 and r.kinds["corosync_exit"] == 1


# -- what wraps the message ----------------------------------------------------------------------

def test_terraform_box():
    path = PASTES / "064-pve-storage-local-snippets-content-not-enabled/terraform-apply.txt"
    assert outer(lines_of(path)[2])[0].startswith("Warning: the datastore \"local\" does not support")
    assert events(path) == [(3, "pve_content_not_supported")]


def test_ansible_json_result_strings_unescaped_and_split():
    line = lines_of(SEED004)[443]  # fatal: [192.168.6.96]: FAILED! => {"changed": true, ... "stderr": "/bin/sh: ..."}
    got = pieces(line)
    assert got[0] == "fatal: [192.168.6.96]: FAILED!"
    assert "/bin/sh: ctr: command not found" in got and "non-zero return code" in got
    ansible_msg = PASTES / "024-ansible-lxc-create-only-root-arbitrary-paths/ansible-task-output.txt"
    assert events(ansible_msg) == [(1, "pve_arbitrary_path")]
    yaml_callback = PASTES / "052-pve-ansible-kernel-removal-would-remove-proxmox-ve-meta/ansible-output.txt"
    assert (21, "pve_meta_package_removal") in events(yaml_callback)


def test_docker_json_file_lines():
    first = lines_of(READER / "docker-library-224-json-file.log")[0]
    assert outer(first)[0] == 'time="2020-04-10T14:04:50.847156802Z" level=info msg="Processing signal \'interrupt\'"'


def test_kubectl_describe_events_table():
    path = PASTES / "053-k8s-imagepull-docker-hub-rate-limit-429/kubectl-describe-pod-events.txt"
    r = parse_text(lines_of(path)).value
    assert [(e.line_no, e.kind, e.prog) for e in r.events] == [(7, "image_pull_rate_limit", "kubelet"),
                                                               (8, "k8s_image_pull_failed_event", "kubelet")]
    assert r.programs["default-scheduler"] == 1  # the From column: the platform shows


def test_python_traceback_last_line():
    path = READER / "contrail-155-neutron-traceback.log"
    assert events(path) == [(7, "python_module_missing")]
    assert pieces(lines_of(path)[2][24:]) == []  # a frame (`File "...", line 425, in ...`) is no message


def test_text_escaped_once_and_twice_more():
    path = PASTES / "016-k8s-imagepull-private-registry-x509-unknown-authority/pod-events.txt"
    assert events(path) == [(1, "x509_unknown_authority"), (2, "x509_unknown_authority")]
    assert events(READER / "scf-3477-guardian.log") == [(1, "runc_child_pid_eof")]
    stderr = PASTES / "017-neutron-linuxbridge-flat-net-mapped-to-bridge/linuxbridge-agent.log"
    assert (7, "bridge_enslave_bridge") in events(stderr)


# -- the engine sees what the per-line reader sees ------------------------------------------------

def test_engine_and_per_line_reader_agree_on_every_paste(tmp_path):
    for path in sorted(PASTES.rglob("*")) + sorted(READER.glob("*")):
        if not path.is_file() or path.name == "SOURCE.md":
            continue
        rec = EvidenceRecord("log.text", "n", str(path), opener=lambda p=path: open(p, "rb"))
        fast = parse_text(rec.lines(), sample=0).value
        slow = parse_lines(list(rec.lines()), sample=10**9, generic=True).value
        assert (fast.events if fast else []) == (slow.events if slow else []), path


# -- NUL runs: a crashed node's syslog is read, not refused ------------------------------------------

def _crashed_syslog() -> bytes:
    """A real lab syslog with a NUL block where a crash cut it: the block runs into the next
    boot's first line, as ext4 leaves it after a power loss (issue 9 part 5)."""
    real = (EV / "corosync-lab/06-five-faults-node5-syslog.log").read_bytes().split(b"\n")
    return b"\n".join(real[:60]) + b"\n" + b"\x00" * 4096 + b"\n".join(real[60:])


def test_nul_runs_are_skipped_counted_and_said(tmp_path):
    data = _crashed_syslog()
    assert not looks_binary(data[:8192]) and not looks_binary(b"\x00" * 8192)
    plain = (EV / "corosync-lab/06-five-faults-node5-syslog.log").read_bytes()
    log = tmp_path / "syslog"
    log.write_bytes(data)
    rec = EvidenceRecord("log.syslog", "n", str(log), opener=lambda: open(log, "rb"))
    got = parse_syslog(rec.lines(), sample=0)
    ref = parse_syslog(plain.decode().splitlines())
    assert [e.kind for e in got.value.events] == [e.kind for e in ref.value.events]
    assert (got.value.nul_runs, got.value.nul_bytes) == (1, 4096)
    assert any("NUL" in str(p) for p in got.problems)
    assert identify_text("syslog", data[:65536])[0].name == "log.syslog"
    doc = explain(log)
    assert not any(f["code"] == "FW906" for f in doc["findings"])
    assert any(f["code"] == "FW905" and "NUL" in f["message"] for f in doc["findings"])


def test_live_collection_stores_a_log_with_nul_runs(tmp_path):
    from forewarn.collect.plan import build_plan
    from forewarn.collect.run import collect_nodes
    from forewarn.collect.sources.local import LocalSource
    from forewarn.specs._base import Spec

    (tmp_path / "var/log").mkdir(parents=True)
    (tmp_path / "var/log/syslog").write_bytes(_crashed_syslog())
    spec = Spec(name="log.test_nul", kind="log", source="/var/log/syslog", description="test only", platform="log")
    bundle = collect_nodes([LocalSource(node="n1")], build_plan([spec], root=str(tmp_path)))
    (rec,) = bundle.records
    assert rec.error is None and rec.data is not None and b"\x00" * 4096 in rec.data


def test_binary_data_is_still_refused():
    assert looks_binary(b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00" + bytes(range(256)))
    assert identify_text("core.bin", bytes(range(256)) * 64) == (None, "binary")


# -- unrecognised text is a generic log; known errors in it become findings -----------------------

def test_unrecognised_text_is_read_and_its_known_error_becomes_a_finding():
    path = PASTES / "064-pve-storage-local-snippets-content-not-enabled/terraform-apply.txt"
    bundle = load_files([str(path)])
    assert [r.spec for r in bundle.records] == ["log.text"]
    doc = explain(path)
    assert not any(f["code"] == "FW906" for f in doc["findings"])
    (f,) = [f for f in doc["findings"] if f["code"] == "PVE223"]
    assert f["status"] == "fail" and "snippets" in f["message"]
    assert f["evidence"][0]["lines"] == [3] and "does not support content type" in f["evidence"][0]["excerpt"][0]
    assert "does not support content type" not in f["message"]  # forewarn's words; the line is evidence


def test_signature_findings_group_lines_and_respect_only():
    folder = PASTES / "001-ha-lrm-stale-custom-storage-plugin"
    doc = explain(folder / "ha-ct-start-task.log", folder / "ha-start-task.log")
    codes = [f["code"] for f in doc["findings"] if f["status"] == "fail"]
    assert codes.count("PVE208") == 2 and codes.count("PVE209") == 1  # two sections: two messages
    only = explain(folder / "ha-ct-start-task.log", folder / "ha-start-task.log", args=("--only", "PVE209"))
    assert {f["code"] for f in only["findings"] if f["status"] == "fail"} == {"PVE209"}


def test_command_outputs_are_read_for_known_error_lines_too():
    path = PASTES / "067-zpool-hostid-mismatch-initramfs-before-zgenhostid/zpool-status.txt"
    assert [r.spec for r in load_files([str(path)]).records] == ["pve.zpool_status"]
    assert any(f["code"] == "ZFS110" for f in explain(path)["findings"])


def test_healthy_pastes_get_no_finding_from_a_signature_at_medium_or_above():
    from forewarn import signatures as kb

    carried = {f.code for f in kb.findings().values()}
    for case in sorted(p for p in PASTES.iterdir() if p.is_dir() and p.name.endswith("-healthy")
                       and not p.name.endswith("-not-healthy")):
        doc = explain(*sorted(case.iterdir()))
        loud = [f["code"] for f in doc["findings"] if f["code"] in carried and f["severity"] not in ("info", "low")]
        assert not loud, (case.name, loud)


def test_a_bundle_reads_a_syslog_with_nul_runs(tmp_path):
    """Bundles use the same definition of binary: the damaged syslog is parsed, not refused."""
    node = tmp_path / "bundle" / "pve5" / "var" / "log"
    node.mkdir(parents=True)
    (node / "syslog").write_bytes(_crashed_syslog())
    r = CliRunner().invoke(cli, ["scan", "--format", "json", str(tmp_path / "bundle")])
    doc = json.loads(r.output)
    assert not any(f["code"] == "FW903" for f in doc["findings"]), doc["findings"]
    assert any(f["code"] == "FW905" and "NUL" in f["message"] for f in doc["findings"])


_STAMP_PARTS = ["Mar", "Feb", "Xyz", "mar", "MAR", "6月", " ", "  ", "1", "21", "2", "09:12:44", "29", "30",
                "9:12:44", "09:12:44.123", "pve5", "kernel:", "x", "\u0663"]


def test_a_classic_stamp_is_what_its_first_sixteen_characters_make() -> None:
    """classic_stamp keeps what the first 16 characters of a line make (the stamp of every line
    of a second): it must give what the stamp's own regex gives on any line, cache or not,
    whichever line of a prefix comes first."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from forewarn.parse.log import headers

    def uncached(line: str) -> object:
        headers._STAMPS.clear()
        return headers.classic_stamp(line)

    @settings(max_examples=1500, deadline=None)
    @given(st.lists(st.lists(st.sampled_from(_STAMP_PARTS), max_size=8).map(" ".join), min_size=1, max_size=4))
    def same(lines: list[str]) -> None:
        want = [uncached(ln) for ln in lines]
        headers._STAMPS.clear()
        assert [headers.classic_stamp(ln) for ln in lines] == want

    same()
    assert headers.classic_stamp("Feb 30 09:12:44 pve5 kernel: x") == (16, None)  # no such day, still a stamp
    # a stamp longer than 16 characters depends on what follows them
    headers._STAMPS.clear()
    assert headers.classic_stamp("Mar    21 09:12:44 x") == (19, headers.classic_stamp("Mar 21 09:12:44 x")[1])
    assert headers.classic_stamp("Mar    21 09:12:44.5 x") is None
