"""Redaction: no planted secret reaches a bundle (directory or tarball) or a report.

A temporary tree gets a unique canary secret in every kind of file that holds secrets; the local
source collects it through the real plan (pointed at the tree with a root prefix, plus test-only
specs for the secret files no registered spec reads), stand-in `docker` and `kubectl` print
secrets in command output, and then every byte of the bundle, the tarball and the text, JSON
and Markdown reports is searched for the canaries.
"""

from __future__ import annotations

import gzip
import json
import os
import stat
import subprocess
import sys
import tarfile
import uuid
from pathlib import Path

import pytest

from forewarn.collect.bundle import load_bundle, pack
from forewarn.collect.plan import build_plan
from forewarn.collect.redact import Redactor, never_collect, secret_name
from forewarn.collect.run import collect_nodes
from forewarn.collect.sources.local import LocalSource
from forewarn.specs import all_specs
from forewarn.specs._base import Spec

ROOT = Path(__file__).resolve().parent.parent


def canary(tag: str) -> str:
    return f"CANARY{tag}{uuid.uuid4().hex[:12]}"


C = {k: canary(k) for k in (
    "StoragePw", "EncKey", "CiPw", "PemBody", "KeyFile", "Priv", "AuthKey", "Shadow", "ShadowCopy",
    "KollaDb", "KollaKey", "Rabbit", "NovaPw", "MemcacheSecret", "KubeKey", "KubeToken", "RegPw",
    "RegAuth", "Psk", "Bearer", "Globals", "DockerProxy", "KubectlToken", "Basic", "ApiFlag",
    "JsonPw")}


def w(root: Path, rel: str, text: str | bytes, mode: int = 0o644) -> None:
    p = root / rel.lstrip("/")
    p.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        p.write_bytes(text)
    else:
        p.write_text(text)
    p.chmod(mode)


def plant(root: Path) -> None:
    w(root, "/etc/pve/storage.cfg",
      "dir: local\n\tpath /var/lib/vz\n\tcontent iso,vztmpl,backup\n\n"
      f"cifs: backup\n\tpath /mnt/pve/backup\n\tserver 10.0.0.5\n\tshare bak\n\tusername admin\n\tpassword {C['StoragePw']}\n\n"
      f"pbs: pbs1\n\tdatastore main\n\tserver 10.0.0.6\n\tusername root@pam\n\tencryption-key {C['EncKey']}\n"
      "\tfingerprint aa:bb:cc\n")
    w(root, "/etc/pve/nodes/pve1/qemu-server/100.conf",
      f"name: vm100\nmemory: 2048\nciuser: admin\ncipassword: {C['CiPw']}\nsshkeys: ssh-ed25519%20AAAAC3Nza\n")
    w(root, "/etc/pve/nodes/pve1/pveproxy-ssl.pem",
      "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUZ\n-----END CERTIFICATE-----\n"
      f"-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n{C['PemBody']}\nAbCdEf==\n-----END PRIVATE KEY-----\n")
    w(root, "/etc/pve/nodes/pve1/pveproxy-ssl.key", f"-----BEGIN RSA PRIVATE KEY-----\n{C['KeyFile']}\n-----END RSA PRIVATE KEY-----\n")
    w(root, "/etc/pve/priv/storage/backup.pw", C["Priv"] + "\n", 0o600)
    w(root, "/etc/pve/priv/authkey.key", C["Priv"] + "\n", 0o600)
    w(root, "/etc/corosync/authkey", os.urandom(64) + C["AuthKey"].encode() + os.urandom(64), 0o400)
    w(root, "/etc/corosync/corosync.conf", "totem {\n  version: 2\n  token: 3000\n  secauth: on\n}\n")
    w(root, "/etc/shadow", f"root:$6$salt$" + C["Shadow"] + ":19000:0:99999:7:::\n", 0o640)
    w(root, "/root/shadow.backup", "root:$y$j9T$salt$" + C["ShadowCopy"] + ":19500:0:99999:7:::\nbin:*:19000:0:99999:7:::\n")
    w(root, "/etc/kolla/passwords.yml",
      f"---\ndatabase_password: {C['KollaDb']}\nrbd_secret_uuid: 6f2c\nnova_ssh_key:\n  private_key: |\n"
      f"    -----BEGIN OPENSSH PRIVATE KEY-----\n    {C['KollaKey']}\n    -----END OPENSSH PRIVATE KEY-----\n"
      "  public_key: ssh-rsa AAAAB3\n")
    w(root, "/etc/kolla/nova-compute/nova.conf",
      f"[DEFAULT]\ntransport_url = rabbit://openstack:{C['Rabbit']}@10.0.0.10:5672//\n"
      "compute_driver = libvirt.LibvirtDriver\n[keystone_authtoken]\nauth_type = password\nusername = nova\n"
      f"password = {C['NovaPw']}\nmemcache_secret_key = {C['MemcacheSecret']}\n[libvirt]\nvirt_type = kvm\n")
    w(root, "/etc/kolla/globals.yml", f"kolla_internal_vip_address: 10.0.0.250\ndocker_registry_password: {C['Globals']}\n")
    w(root, "/etc/kubernetes/admin.conf",
      "apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: LS0tQ0VSVA==\n    server: https://10.0.0.1:6443\n"
      f"users:\n- name: admin\n  user:\n    client-certificate-data: LS0tQ0VSVA==\n    client-key-data: {C['KubeKey']}\n"
      f"- name: bot\n  user:\n    token: {C['KubeToken']}\n")
    w(root, "/etc/kubernetes/manifests/kube-apiserver.yaml",
      "spec:\n  containers:\n  - command:\n    - kube-apiserver\n    - --service-cluster-ip-range=10.96.0.0/12\n"
      f"    - --oidc-client-secret={C['ApiFlag']}\n    - --token-auth-file=/etc/kubernetes/tokens.csv\n")
    w(root, "/etc/containerd/config.toml",
      '[plugins."io.containerd.grpc.v1.cri".registry.configs."reg.example".auth]\n'
      f'  username = "u"\n  password = "{C["RegPw"]}"\n  auth = "{C["RegAuth"]}"\n')
    w(root, "/etc/network/interfaces",
      f"auto lo\niface lo inet loopback\n\niface wlan0 inet dhcp\n\twpa-ssid lab\n\twpa-psk {C['Psk']}\n")
    w(root, "/var/log/containers/app_default_web-1.log",
      f'2024-01-01T00:00:00.000Z stderr F GET /api Authorization: Bearer {C["Bearer"]}\n'
      f'2024-01-01T00:00:01.000Z stdout F {{"user": "x", "password": "{C["JsonPw"]}"}}\n')
    w(root, "/var/log/corosync/corosync.log",
      f"Nov 22 04:04:30 [8638] node4 corosync info    [KNET  ] curl -H 'Authorization: Basic {C['Basic']}'\n")


def stubs(bindir: Path) -> None:
    bindir.mkdir(parents=True, exist_ok=True)
    for name, body in {
        "docker": ("echo 'Server Version: 24.0.7'\necho ' Storage Driver: overlay2'\n"
                   f"echo ' HTTP Proxy: http://proxyuser:{C['DockerProxy']}@proxy.lan:3128'\n"),
        "kubectl": f"echo 'apiVersion: v1'\necho 'kind: Config'\necho 'token: {C['KubectlToken']}'\n",
    }.items():
        p = bindir / name
        p.write_text("#!/bin/sh\n" + body)
        p.chmod(p.stat().st_mode | stat.S_IXUSR)


def tspec(name: str, source: str, kind: str = "file", **kw: object) -> Spec:
    return Spec(name=name, kind=kind, source=source, description="test only",
                platform=name.split(".")[0], **kw)  # type: ignore[arg-type]


# secret files no registered spec reads: test-only specs make the collector try
EXTRA = [
    tspec("test.corosync_dir", "/etc/corosync/*", multi=True),  # expands to authkey: never read
    tspec("test.pve_priv", "/etc/pve/priv/*|/etc/pve/priv/storage/*", multi=True),
    tspec("test.node_files", "/etc/pve/nodes/*/*", multi=True),  # reaches pveproxy-ssl.key
    tspec("test.shadow", "/etc/shadow"),
    tspec("test.shadow_copy", "/root/shadow.backup"),
    tspec("test.kolla_passwords", "/etc/kolla/passwords.yml"),
    tspec("test.kubeconfig", "/etc/kubernetes/admin.conf"),
]


@pytest.fixture(scope="module")
def collected(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    base = tmp_path_factory.mktemp("redact")
    tree = base / "tree"
    plant(tree)
    stubs(base / "bin")
    plan = build_plan([*all_specs(), *EXTRA], root=str(tree), exclude=("log.journal*",))
    env = dict(os.environ, PATH=f"{base / 'bin'}:{os.environ.get('PATH', '/usr/bin:/bin')}")
    out = base / "bundle"
    bundle = collect_nodes([LocalSource(node="pve1", env=env)], plan, out_dir=out)
    tar = base / "bundle.tar.gz"
    pack(out, tar)
    reports = {}
    for fmt in ("json", "text", "markdown"):
        res = subprocess.run([sys.executable, "-m", "forewarn.cli.main", "scan", str(tar), "--format", fmt,
                              "--verbose", "--show-passed", "--no-color"],
                             capture_output=True, text=True, timeout=120, cwd=ROOT,
                             env=dict(os.environ, PYTHONPATH=str(ROOT / "src"), COLUMNS="200"))
        assert res.returncode in (0, 1), res.stderr
        assert not _leaks(res.stderr.encode()), res.stderr
        reports[fmt] = res.stdout
    return {"bundle": bundle, "out": out, "tar": tar, "reports": reports, "plan": plan}


def _leaks(blob: bytes) -> list[str]:
    return [k for k, v in C.items() if v.encode() in blob]


def test_no_canary_in_any_file_of_the_bundle_directory(collected: dict[str, object]) -> None:
    out = collected["out"]
    assert isinstance(out, Path)
    found = {}
    for p in out.rglob("*"):
        if p.is_file():
            leaks = _leaks(p.read_bytes())
            if leaks:
                found[str(p.relative_to(out))] = leaks
    assert not found, found


def test_no_canary_in_the_tarball(collected: dict[str, object]) -> None:
    tar = collected["tar"]
    assert isinstance(tar, Path)
    assert not _leaks(gzip.decompress(tar.read_bytes()))
    with tarfile.open(tar) as t:
        for m in t.getmembers():
            fh = t.extractfile(m)
            if fh is not None:
                assert not _leaks(fh.read()), m.name


def test_no_canary_in_any_report(collected: dict[str, object]) -> None:
    reports = collected["reports"]
    assert isinstance(reports, dict)
    for fmt, text in reports.items():
        assert not _leaks(text.encode()), (fmt, _leaks(text.encode()))
    doc = json.loads(reports["json"])
    assert doc["nodes"] == ["pve1"] and doc["findings"] is not None


def test_the_files_were_collected_with_their_structure_kept(collected: dict[str, object]) -> None:
    """The canaries are absent because they were masked, not because nothing was read."""
    bundle = collected["bundle"]
    by_source = {r.source: r for r in bundle.records}  # type: ignore[attr-defined]
    expect_masked = {
        "/etc/pve/storage.cfg": ["\tpassword <redacted:", "\tencryption-key <redacted:", "\tfingerprint aa:bb:cc"],
        "/etc/pve/nodes/pve1/qemu-server/100.conf": ["cipassword: <redacted:", "ciuser: admin", "sshkeys: ssh-ed25519"],
        "/etc/pve/nodes/pve1/pveproxy-ssl.pem": ["-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUZ",
                                                 "-----BEGIN PRIVATE KEY-----\n<redacted:", "-----END PRIVATE KEY-----"],
        "/root/shadow.backup": ["root:<redacted:", ":19500:0:99999:7:::", "bin:*:19000"],
        "/etc/kolla/passwords.yml": ["database_password: <redacted:", "  private_key: |\n    <redacted:",
                                     "rbd_secret_uuid: <redacted:"],
        "/etc/kolla/nova-compute/nova.conf": ["transport_url = rabbit://openstack:<redacted:", "@10.0.0.10:5672//",
                                              "password = <redacted:", "auth_type = password", "username = nova"],
        "/etc/kolla/globals.yml": ["docker_registry_password: <redacted:", "kolla_internal_vip_address: 10.0.0.250"],
        "/etc/kubernetes/admin.conf": ["client-key-data: <redacted:", "token: <redacted:",
                                       "client-certificate-data: LS0tQ0VSVA=="],
        "/etc/kubernetes/manifests/kube-apiserver.yaml": ["--oidc-client-secret=<redacted:",
                                                          "--token-auth-file=/etc/kubernetes/tokens.csv",
                                                          "--service-cluster-ip-range=10.96.0.0/12"],
        "/etc/containerd/config.toml": ['password = "<redacted:', 'auth = "<redacted:', 'username = "u"'],
        "/etc/network/interfaces": ["\twpa-psk <redacted:", "\twpa-ssid lab"],
        "/var/log/containers/app_default_web-1.log": ["Authorization: Bearer <redacted:", '"password": "<redacted:'],
        "/var/log/corosync/corosync.log": ["Authorization: Basic <redacted:"],
        "/etc/corosync/corosync.conf": ["token: 3000", "secauth: on"],
    }
    for path, needles in expect_masked.items():
        rec = by_source.get(path)
        assert rec is not None, f"{path} was not collected"
        text = rec.text()
        for n in needles:
            assert n in text, (path, n, text)
    assert by_source["/etc/pve/storage.cfg"].redacted == 2
    docker = next(r for r in bundle.records if r.spec == "k8s.docker_info")  # type: ignore[attr-defined]
    assert "http://proxyuser:<redacted:" in docker.text() and docker.redacted == 1
    kubectl = next(r for r in bundle.records if r.spec == "k8s.nodes")  # type: ignore[attr-defined]
    assert "token: <redacted:" in kubectl.text()


def test_secret_files_are_never_read_and_are_listed(collected: dict[str, object]) -> None:
    bundle = collected["bundle"]
    sources = {r.source for r in bundle.records}  # type: ignore[attr-defined]
    for path in ("/etc/corosync/authkey", "/etc/pve/priv/storage/backup.pw", "/etc/pve/priv/authkey.key",
                 "/etc/pve/nodes/pve1/pveproxy-ssl.key", "/etc/shadow"):
        assert path not in sources
    info = bundle.manifest["collection"]["nodes"]["pve1"]  # type: ignore[attr-defined]
    never = {n["path"]: n["reason"] for n in info["never_collected"]}
    assert "corosync authkey" in never["/etc/corosync/authkey"]
    # a glob wholly inside /etc/pve/priv is refused when planning: the directory is not even listed
    assert "private area" in never["/etc/pve/priv/storage/*"] and "private area" in never["/etc/pve/priv/*"]
    assert never["/etc/pve/nodes/pve1/pveproxy-ssl.key"].endswith("private key file")
    assert "password hashes" in never["/etc/shadow"]
    assert any("never collected" in n for n in bundle.notes)  # type: ignore[attr-defined]


def test_redaction_counts_are_in_the_manifest_and_the_report(collected: dict[str, object]) -> None:
    bundle = collected["bundle"]
    arts = {a["path"]: a for a in bundle.manifest["artifacts"]}  # type: ignore[attr-defined]
    assert arts["pve1/etc/pve/storage.cfg"]["redacted"] == 2
    assert arts["pve1/etc/pve/corosync.conf"]["redacted"] == 0 if "pve1/etc/pve/corosync.conf" in arts else True
    reports = collected["reports"]
    assert "redacted" in reports["text"] and "pve1/etc/pve/storage.cfg (2)" in reports["text"]  # type: ignore[index]
    doc = json.loads(reports["json"])  # type: ignore[index]
    assert any("redacted" in i and "storage.cfg (2)" in i for i in doc["inputs"])


# -- units ------------------------------------------------------------------------------------
@pytest.mark.parametrize("name,secret", [
    ("password", True), ("cipassword", True), ("encryption-key", True), ("memcache_secret_key", True),
    ("client-key-data", True), ("token", True), ("wpa-psk", True), ("auth", True), ("X-Auth-Token", True),
    ("--oidc-client-secret", True), ("net.ipv4.tcp_fastopen_key", True), ("bindpw", True),
    ("sshkeys", False), ("public_key", False), ("ssh-public-key", False), ("keyfile", False),
    ("fingerprint", False), ("username", False), ("secauth", False), ("tlsPrivateKeyFile", False),
    ("passwordauthentication", True), ("keyring", False), ("hostkey", False),
])
def test_secret_names(name: str, secret: bool) -> None:
    assert secret_name(name) is secret


@pytest.mark.parametrize("text", [
    "totem {\n  token: 3000\n  token_retransmits_before_loss_const: 10\n}\n",
    "passwordauthentication yes\npermitrootlogin prohibit-password\n",
    "ii  libsecret-1-0:amd64  0.20.5-3  amd64  Secret store\n",
    "keyfile: /etc/corosync/authkey\n",
    "Nov 22 09:00:01 pve1 sshd[1]: Accepted password for root from 10.0.0.9 port 5 ssh2\n",
    "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
    "daemon:*:19000:0:99999:7:::\n",
])
def test_what_is_not_secret_is_left_alone(text: str) -> None:
    assert Redactor().redact_text(text) == (text, 0)


def test_equal_secrets_mask_equally_within_a_collection_and_differently_across() -> None:
    r1, r2 = Redactor(), Redactor()
    a, _ = r1.redact_text("password = hunter2")
    b, _ = r1.redact_text("password: hunter2")
    c, _ = r2.redact_text("password = hunter2")
    assert a.split()[-1] == b.split()[-1] != c.split()[-1]


def test_a_private_key_cut_off_by_truncation_is_still_masked() -> None:
    text, n = Redactor().redact_text("-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIB\nsecretline")
    assert "MHcCAQEEIB" not in text and "secretline" not in text and n == 1


@pytest.mark.parametrize("path,never", [
    ("/etc/corosync/authkey", True), ("/etc/pve/priv/token.cfg", True), ("/etc/pve/priv", True),
    ("/etc/pve/nodes/pve1/pve-ssl.key", True), ("/etc/ssh/ssh_host_ed25519_key", True),
    ("/root/.ssh/id_rsa", True), ("/etc/shadow", True), ("/etc/ceph/ceph.client.admin.keyring", True),
    ("/etc/pve/nodes/pve1/pve-ssl.pem", False), ("/etc/ssh/ssh_host_ed25519_key.pub", False),
    ("/root/.ssh/id_rsa.pub", False), ("/etc/pve/storage.cfg", False), ("/etc/corosync/corosync.conf", False),
])
def test_never_collect(path: str, never: bool) -> None:
    assert bool(never_collect(path)) is never
