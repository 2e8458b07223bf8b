"""Redaction: no planted secret reaches a bundle (directory or tarball) or a report.

A temporary tree gets a unique canary secret in every kind of file that holds secrets, in every
shape a secret takes there (issue 9, part 6: lxc.environment, systemd Environment=, Kubernetes
env name/value pairs, YAML block scalars, docker JSON logs with escaped quotes, quoted values
with blanks, values holding `;` or `&`, Perl `=>`, `mysqldump -pX`, `sshpass -p X`,
`curl -u admin:X`, PVE's `-cipassword X`, `password:X`, a guest's notes, a log symlinked to the
authkey, a guest config symlinked out of /etc/pve); the local source collects it through the real
plan (pointed at the tree with a root prefix, plus test-only specs for the secret files no
registered spec reads), stand-in `docker` and `kubectl` print secrets in command output, and
then every byte of the bundle, the tarball and the text, JSON, Markdown and HTML reports is
searched for the canaries.
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
    "JsonPw",
    # issue 9, part 6: one per shape that leaked
    "LxcEnv", "LxcEnvEq", "AwsKey", "EnvTwoA", "EnvTwoB", "KubeletFlag", "PodEnv", "PodEnvQ", "PodEnvJson",
    "BlockA", "BlockB", "DockerEsc", "DockerEscB", "TwoA", "TwoB", "ShareA", "ShareB", "Semi", "Amp",
    "JsonSpA", "JsonSpB", "Perl", "Mysqldump", "Sshpass", "CurlU", "CiTask", "ColonMid", "Desc",
    "DescSnap", "OutsidePve", "XmlPw", "Chpasswd", "SmbU", "LdapW", "Cookie")}


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
      f"#Owner notes: root login is {C['Desc']}\n#call Bob before rebooting\n"
      f"name: vm100\nmemory: 2048\nciuser: admin\ncipassword: {C['CiPw']}\nsshkeys: ssh-ed25519%20AAAAC3Nza\n"
      f"\n[before-upgrade]\ndescription: admin pw {C['DescSnap']} before the upgrade\nmemory: 2048\n")
    w(root, "/etc/pve/nodes/pve1/lxc/101.conf",
      "arch: amd64\nhostname: ct101\nmemory: 512\nrootfs: local-lvm:vm-101-disk-0,size=8G\n"
      f"lxc.environment: APP_MODE={C['LxcEnv']}\nlxc.environment = DB_PASSWORD={C['LxcEnvEq']} with blanks\n")
    w(root, "/root/notes.txt", f"name: outside\nmemory: 1\n# {C['OutsidePve']}\n")
    (root / "etc/pve/nodes/pve1/qemu-server/102.conf").symlink_to("../../../../../root/notes.txt")
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
    w(root, "/etc/kolla/globals.yml", f"kolla_internal_vip_address: 10.0.0.250\ndocker_registry_password: {C['Globals']}\n"
      f"x_password: |\n  {C['BlockA']}\n  {C['BlockB']}\nkolla_base_distro: ubuntu\n")
    w(root, "/etc/kubernetes/admin.conf",
      "apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: LS0tQ0VSVA==\n    server: https://10.0.0.1:6443\n"
      f"users:\n- name: admin\n  user:\n    client-certificate-data: LS0tQ0VSVA==\n    client-key-data: {C['KubeKey']}\n"
      f"- name: bot\n  user:\n    token: {C['KubeToken']}\n")
    w(root, "/etc/kubernetes/manifests/kube-apiserver.yaml",
      "spec:\n  containers:\n  - command:\n    - kube-apiserver\n    - --service-cluster-ip-range=10.96.0.0/12\n"
      f"    - --oidc-client-secret={C['ApiFlag']}\n    - --token-auth-file=/etc/kubernetes/tokens.csv\n"
      f"    env:\n    - name: DB_PASSWORD\n      value: {C['PodEnv']}\n    - name: \"API_TOKEN\"\n"
      f"      value: \"{C['PodEnvQ']} and more\"\n    - {{\"name\": \"S3_SECRET\", \"value\": \"{C['PodEnvJson']}\"}}\n"
      "    - name: LOG_LEVEL\n      value: debug\n")
    w(root, "/etc/systemd/system/kubelet.service.d/10-kubeadm.conf",
      "[Service]\nEnvironment=\"KUBELET_KUBECONFIG_ARGS=--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf "
      "--kubeconfig=/etc/kubernetes/kubelet.conf\"\n"
      f"Environment=\"AWS_SECRET_ACCESS_KEY={C['AwsKey']}/K7MDENG+bPxRfi\"\n"
      f"Environment=\"A=1\" \"DB_PASS={C['EnvTwoA']} {C['EnvTwoB']}\"\n"
      f"ExecStart=/usr/bin/kubelet $KUBELET_KUBECONFIG_ARGS --token={C['KubeletFlag']}\n")
    w(root, "/etc/containerd/config.toml",
      '[plugins."io.containerd.grpc.v1.cri".registry.configs."reg.example".auth]\n'
      f'  username = "u"\n  password = "{C["RegPw"]}"\n  auth = "{C["RegAuth"]}"\n')
    w(root, "/etc/network/interfaces",
      f"auto lo\niface lo inet loopback\n\niface wlan0 inet dhcp\n\twpa-ssid lab\n\twpa-psk {C['Psk']}\n")
    w(root, "/var/log/containers/app_default_web-1.log",
      f'2024-01-01T00:00:00.000Z stderr F GET /api Authorization: Bearer {C["Bearer"]}\n'
      f'2024-01-01T00:00:01.000Z stdout F {{"user": "x", "password": "{C["JsonPw"]}"}}\n'
      f'2024-01-01T00:00:02.000Z stdout F {{"user": "x", "password": "{C["JsonSpA"]} {C["JsonSpB"]}"}}\n')
    # docker's json-file log, reached through the kubelet's symlink (a link that is fine to follow)
    w(root, "/var/lib/docker/containers/abc/abc-json.log",
      '{"log":"{\\"user\\":\\"x\\",\\"password\\":\\"' + C["DockerEsc"] + " " + C["DockerEscB"]
      + '\\"}\\n","stream":"stdout","time":"2024-01-01T00:00:03.000000000Z"}\n')
    (root / "var/log/containers/db_default_mysql-abc.log").symlink_to("../../lib/docker/containers/abc/abc-json.log")
    # corosync's log is a link to the authkey: never read
    (root / "var/log/corosync").mkdir(parents=True)
    (root / "var/log/corosync/corosync.log").symlink_to("../../../etc/corosync/authkey")
    w(root, "/var/log/syslog", "\n".join(f"Mar 21 10:00:{i:02d} pve1 {line}" for i, line in enumerate([
        f"app[100]: curl -H 'Authorization: Basic {C['Basic']}'",
        f'app[101]: login password="{C["TwoA"]} {C["TwoB"]}" accepted',
        f'app[102]: login password="shared {C["ShareA"]}" accepted',
        f'app[103]: login password="shared {C["ShareB"]}" accepted',
        f"app[104]: retry with pass=abc;{C['Semi']} done",
        f"app[105]: GET /login?user=bob&password=abc&{C['Amp']} 200",
        f"perl[106]: my %db = ('user' => 'bob', 'password' => '{C['Perl']}');",
        f"CRON[107]: (root) CMD (mysqldump -uroot -p{C['Mysqldump']} --all-databases > /backup/db.sql)",
        f"CRON[108]: (root) CMD (sshpass -p {C['Sshpass']} rsync -a /srv backup@nas:/srv)",
        f"CRON[109]: (root) CMD (curl -fsS -u admin:{C['CurlU']} https://nas.lan/api/ping)",
        f"app[110]: user=bob password:{C['ColonMid']} from 10.0.0.9",
        f"app[111]: sent <auth><user>bob</user><password>{C['XmlPw']}</password></auth>",
        f"CRON[112]: (root) CMD (echo 'root:{C['Chpasswd']}' | chpasswd)",
        f"CRON[113]: (root) CMD (smbclient //nas/bak -U backup%{C['SmbU']} -c ls)",
        f"app[114]: ldapsearch -x -D cn=admin,dc=lan -w {C['LdapW']} -b dc=lan",
        f"pveproxy[115]: GET /api2/json Cookie: PVEAuthCookie={C['Cookie']}",
    ])) + "\n")
    w(root, "/var/log/pve/tasks/5/UPID:pve1:00001234:00ABCDEF:65000005:qmconfig:100:root@pam:",
      f"update VM 100: -cipassword {C['CiTask']} -ciuser admin\nTASK OK\n")


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
    for fmt in ("json", "text", "markdown", "html"):
        res = subprocess.run([sys.executable, "-m", "forewarn.cli.main", "scan", str(tar), "--format", fmt,
                              "--verbose", "--show-passed", "--no-color", "-o", str(base / f"report.{fmt}")],
                             capture_output=True, text=True, timeout=120, cwd=ROOT,
                             env=dict(os.environ, PYTHONPATH=str(ROOT / "src"), COLUMNS="200"))
        assert res.returncode in (0, 1), res.stderr
        assert not _leaks(res.stderr.encode()), res.stderr
        reports[fmt] = (base / f"report.{fmt}").read_text(encoding="utf-8")
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
        "/etc/pve/nodes/pve1/qemu-server/100.conf": ["cipassword: <redacted:", "ciuser: admin", "sshkeys: ssh-ed25519",
                                                     "#<redacted:", "[before-upgrade]\ndescription: <redacted:"],
        "/etc/pve/nodes/pve1/pveproxy-ssl.pem": ["-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUZ",
                                                 "-----BEGIN PRIVATE KEY-----\n<redacted:", "-----END PRIVATE KEY-----"],
        "/root/shadow.backup": ["root:<redacted:", ":19500:0:99999:7:::", "bin:*:19000"],
        "/etc/kolla/passwords.yml": ["database_password: <redacted:", "  private_key: |\n    <redacted:",
                                     "rbd_secret_uuid: <redacted:"],
        "/etc/kolla/nova-compute/nova.conf": ["transport_url = rabbit://openstack:<redacted:", "@10.0.0.10:5672//",
                                              "password = <redacted:", "auth_type = password", "username = nova"],
        "/etc/kolla/globals.yml": ["docker_registry_password: <redacted:", "kolla_internal_vip_address: 10.0.0.250",
                                   "x_password: |\n  <redacted:", "kolla_base_distro: ubuntu"],
        "/etc/kubernetes/admin.conf": ["client-key-data: <redacted:", "token: <redacted:",
                                       "client-certificate-data: LS0tQ0VSVA=="],
        "/etc/kubernetes/manifests/kube-apiserver.yaml": ["--oidc-client-secret=<redacted:",
                                                          "- name: DB_PASSWORD\n      value: <redacted:",
                                                          '      value: "<redacted:', '"value": "<redacted:',
                                                          "- name: LOG_LEVEL\n      value: debug",
                                                          "--token-auth-file=/etc/kubernetes/tokens.csv",
                                                          "--service-cluster-ip-range=10.96.0.0/12"],
        "/etc/containerd/config.toml": ['password = "<redacted:', 'auth = "<redacted:', 'username = "u"'],
        "/etc/network/interfaces": ["\twpa-psk <redacted:", "\twpa-ssid lab"],
        "/var/log/containers/app_default_web-1.log": ["Authorization: Bearer <redacted:", '"password": "<redacted:'],
        "/var/log/syslog": ["Authorization: Basic <redacted:", 'login password="<redacted:', "pass=<redacted:",
                            "'user' => 'bob', 'password' => '<redacted:", "mysqldump -uroot -p<redacted:",
                            "sshpass -p <redacted:", "curl -fsS -u admin:<redacted:", "password:<redacted:",
                            "<password><redacted:", "smbclient //nas/bak -U backup%<redacted:", "-w <redacted:"],
        "/etc/pve/nodes/pve1/lxc/101.conf": ["lxc.environment: APP_MODE=<redacted:", "lxc.environment = DB_PASSWORD=<redacted:",
                                             "hostname: ct101", "rootfs: local-lvm:vm-101-disk-0,size=8G"],
        "/etc/systemd/system/kubelet.service.d/10-kubeadm.conf": [
            'Environment="KUBELET_KUBECONFIG_ARGS=--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf '
            '--kubeconfig=/etc/kubernetes/kubelet.conf"', 'Environment="AWS_SECRET_ACCESS_KEY=<redacted:',
            'Environment="A=1" "DB_PASS=<redacted:', "--token=<redacted:"],
        "/var/log/pve/tasks/5/UPID:pve1:00001234:00ABCDEF:65000005:qmconfig:100:root@pam:": [
            "update VM 100: -cipassword <redacted:", "-ciuser admin"],
        "/var/log/containers/db_default_mysql-abc.log": ['{"log":"{\\"user\\":\\"x\\",\\"password\\":\\"<redacted:'],
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
                 "/etc/pve/nodes/pve1/pveproxy-ssl.key", "/etc/shadow", "/var/log/corosync/corosync.log",
                 "/etc/pve/nodes/pve1/qemu-server/102.conf"):
        assert path not in sources
    info = bundle.manifest["collection"]["nodes"]["pve1"]  # type: ignore[attr-defined]
    never = {n["path"]: n["reason"] for n in info["never_collected"]}
    assert "corosync authkey" in never["/etc/corosync/authkey"]
    # a glob wholly inside /etc/pve/priv is refused when planning: the directory is not even listed
    assert "private area" in never["/etc/pve/priv/storage/*"] and "private area" in never["/etc/pve/priv/*"]
    assert never["/etc/pve/nodes/pve1/pveproxy-ssl.key"].endswith("private key file")
    assert "password hashes" in never["/etc/shadow"]
    # links are resolved before anything is read: the link's target decides
    assert "corosync authkey" in never["/var/log/corosync/corosync.log"]
    assert "link out of /etc/pve" in never["/etc/pve/nodes/pve1/qemu-server/102.conf"]
    assert any("never collected" in n for n in bundle.notes)  # type: ignore[attr-defined]


def test_two_secrets_that_share_a_first_word_get_different_masks(collected: dict[str, object]) -> None:
    bundle = collected["bundle"]
    syslog = next(r for r in bundle.records if r.source == "/var/log/syslog").text()  # type: ignore[attr-defined]
    masks = [ln.split('password="', 1)[1].split('"', 1)[0] for ln in syslog.splitlines() if "app[102]" in ln
             or "app[103]" in ln]
    assert len(masks) == 2 and masks[0] != masks[1] and all(m.startswith("<redacted:") for m in masks)


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


# -- every shape, one line or block at a time -----------------------------------------------------
@pytest.mark.parametrize("text,path,kept", [
    ("lxc.environment: MYVAR=S1 S2", "/etc/pve/nodes/pve1/lxc/101.conf", "lxc.environment: MYVAR="),
    ('Environment="AWS_SECRET_ACCESS_KEY=wJalr/S1+x"', "", 'Environment="AWS_SECRET_ACCESS_KEY='),
    ('Environment="A=1" "DB_PASS=S1 S2" "B=2"', "", '"B=2"'),
    ("  - name: DB_PASSWORD\n    value: S1", "", "  - name: DB_PASSWORD\n    value: "),
    ('  - name: "API_TOKEN"\n    value: "S1 S2"', "", '    value: "'),
    ('            {\n                "name": "DB_PASSWORD",\n                "value": "S1 S2"\n            }', "",
     '"name": "DB_PASSWORD",'),
    ('{"name":"DB_PASSWORD","value":"S1 S2"}', "", '{"name":"DB_PASSWORD","value":"'),
    ("x_password: |\n  S1\n  S2\nother: 1", "", "other: 1"),
    ("- x_password: >-\n    S1\n  other: 1", "", "  other: 1"),
    ('{"log":"{\\"password\\":\\"S1 S2\\"}\\n","stream":"stdout"}', "", '\\"}\\n","stream":"stdout"}'),
    ('login password="S1 S2" ok', "", '" ok'),
    ("app: pass=abc;S1 done", "", " done"),
    ("app: password=abc&S1 done", "", " done"),
    ('{"user": "x", "password": "S1 S2", "n": 1}', "", '", "n": 1}'),
    ("my %c = ('password' => 'S1', 'user' => 'x');", "", "', 'user' => 'x');"),
    ("(mysqldump -uroot -pS1 db > /x)", "", " db > /x)"),
    ("sshpass -p S1 ssh host", "", " ssh host"),
    ("sshpass -pS1 ssh host", "", " ssh host"),
    ("curl -u admin:S1 https://x", "", "curl -u admin:"),
    ("curl --user 'admin:S1 S2' https://x", "", "' https://x"),
    ("update VM 100: -cipassword S1 -ciuser root", "/var/log/pve/tasks/5/UPID:x", " -ciuser root"),
    ("user=bob password:S1 ok", "", " ok"),
    ("description: my notes S1 here", "/etc/pve/nodes/pve1/qemu-server/100.conf", "description: "),
    ("#notes S1\nname: vm", "/etc/pve/nodes/pve1/qemu-server/100.conf", "\nname: vm"),
    ("password: 'it''s S1'", "", "password: '"),
    ("<password>S1 S2</password>", "", "</password>"),
    ("echo 'root:S1' | chpasswd", "", "' | chpasswd"),
    ("smbclient //nas/x -U bob%S1 -c ls", "", " -c ls"),
    ("Cookie: PVEAuthCookie=PVE:root@pam:S1", "", "Cookie: "),
    ("export DB_PASSWORD='S1 S2'", "", "export DB_PASSWORD='"),
    ("\tpassword S1 S2", "/etc/pve/storage.cfg", "\tpassword "),
    ("--password 'S1 S2' --user x", "", " --user x"),
])
def test_every_secret_shape_is_masked_to_its_syntax_end(text: str, path: str, kept: str) -> None:
    out, n = Redactor().redact_text(text, path=path)
    assert "S1" not in out and "S2" not in out and n >= 1, out
    assert kept in out, out


@pytest.mark.parametrize("text", [
    'Environment="KUBELET_EXTRA_ARGS=--node-ip=10.0.0.1 --cgroup-driver=systemd"\n',
    "  - name: LOG_LEVEL\n    value: debug\n",
    "totem {\n  token:3000\n}\n",
    "Mar 21 10:00:00 pve1 kernel: usb 1-1: new high-speed USB device number 2 using xhci_hcd\n",
    "description: web server\n",  # not a guest config: someone's YAML
    "curl -u admin https://x\n",  # the password is asked for
])
def test_look_alikes_are_left_alone(text: str) -> None:
    assert Redactor().redact_text(text) == (text, 0)


def test_an_env_item_without_value_does_not_mask_the_next_items_value() -> None:
    text = ("  - name: DB_PASSWORD\n    valueFrom:\n      secretKeyRef:\n        name: db-creds\n"
            "  - name: LOG_LEVEL\n    value: debug\n")
    assert Redactor().redact_text(text) == (text, 0)


def test_two_secrets_sharing_a_first_word_mask_differently() -> None:
    r = Redactor()
    a, _ = r.redact_text('password="shared first"')
    b, _ = r.redact_text('password="shared second"')
    assert a != b
