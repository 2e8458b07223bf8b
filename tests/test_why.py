"""`forewarn why`: every message the seeds quote finds its own catalogue row first.

The texts in SEED_MESSAGES and SEED_WORDS are copied verbatim from the seed files (file and line
in the comment and in the tuple); test_seed_texts_are_verbatim checks that they still are.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from forewarn.cli.main import cli
from forewarn.why import render_hits, search
from forewarn.why.tuning import CATALOGUE
from forewarn.why.text import normalise

SEEDS = Path(__file__).resolve().parent.parent.parent / "shared" / "seeds"
S000 = "000_ddaad953b0664170.txt"
S001 = "001_2bd87300fc635f04.txt"
S002 = "002_266b854f2af946cd.txt"
S003 = "003_d9859ccb02bdd8cb.txt"
S004 = "004_3ae197d3b21d8357.txt"

# (seed file, line, verbatim text, expected first row)
SEED_MESSAGES = [
    # --- seed 000 (Chinese, Proxmox VE / LVM / networking / containers)
    (S000, 11, "error with cfs lock 'file-replication\\_cfg': no quorum!", "PVE104"),
    (S000, 12, "Cannot initialize CMAP service", "PVE104"),
    (S000, 23, "service 'ct:100' in error state, must be disabled and fixed first", "PVE110"),
    (S000, 27, "ERROR: migration aborted (duration 00:00:00): CT is locked (migrate)", "PVE120"),
    # the boot failure of the LVM story: the VG is not found because the filter hid the disk
    (S000, 39, "Cannot process volume group pve", "LVM102"),
    (S000, 43, "open /dev/sdX failed: no medium found", "LVM101"),
    (S000, 47, "r|/dev/sdb|", "LVM102"),
    (S000, 209, "pam_systemd(sshd:session): Failed to create session: Failed to activate service "
                "'org.freedesktop.login1': timed out", "PVE121"),
    (S000, 209, "Failed to activate service 'org.freedesktop.login1': timed out", "PVE121"),
    (S000, 209, "code=226/NAMESPACE", "PVE121"),
    (S000, 225, "user@1000.service 启动失败", "PVE124"),
    (S000, 243, 'docker: Error response from daemon: OCI runtime create failed: container_linux.go:349: '
                'starting container process caused "process_linux.go:449: container init caused '
                '\\"join session keyring: create session key: disk quota exceeded\\"": unknown.', "PVE122"),
    (S000, 282, "Devices cgroup isn't mounted", "PVE123"),
    (S000, 294, "Failed to add /run/systemd/ask-password to directory watch: No space left on device", "LNX101"),
    # --- seed 001 (Russian, Proxmox VE): the quoted log, line by line
    (S001, 146, 'pveproxy[888694]: error AnyEvent::Util: Runtime error in AnyEvent::guard callback: '
                'Can\'t call method "_put_session" on an undefined value at '
                '/usr/lib/x86_64-linux-gnu/perl5/5.32/AnyEvent/Handle.pm line 2259 during global destruction.',
     "PVE105"),
    (S001, 151, "corosync[3813]:   [KNET  ] link: host: 8 link: 0 is down", "PVE102"),
    (S001, 153, "corosync[3813]:   [KNET  ] host: host: 8 has no active links", "PVE102"),
    (S001, 156, "pveproxy[1643087]: got inotify poll request in wrong process - disabling inotify", "PVE105"),
    (S001, 159, "corosync[3813]:   [TOTEM ] Token has not been received in 5266 ms ", "PVE102"),
    (S001, 174, "corosync[3813]:   [QUORUM] Sync left[4]: 1 3 4 8", "PVE102"),
    (S001, 175, "corosync[3813]:   [TOTEM ] A new membership (5.13620) was formed. Members left: 1 3 4 8",
     "PVE102"),
    (S001, 176, "corosync[3813]:   [TOTEM ] Failed to receive the leave message. failed: 1 3 4 8", "PVE102"),
    (S001, 180, "corosync[3813]:   [QUORUM] This node is within the non-primary component and will NOT "
                "provide any services.", "PVE101"),
    (S001, 185, "pmxcfs[3703]: [status] notice: node lost quorum", "PVE101"),
    (S001, 186, "pmxcfs[3703]: [dcdb] crit: received write while not quorate - trigger resync", "PVE101"),
    (S001, 187, "pmxcfs[3703]: [dcdb] crit: leaving CPG group", "PVE102"),
    (S001, 188, "pve-ha-lrm[3910]: lost lock 'ha_agent_pve5_lock - cfs lock update failed - Operation not "
                "permitted", "PVE103"),
    (S001, 189, "pve-ha-lrm[3910]: status change active => lost_agent_lock", "PVE103"),
    (S001, 205, "pmxcfs[3703]: [dcdb] crit: cpg_join failed: 14", "PVE102"),
    (S001, 206, "pmxcfs[3703]: [dcdb] crit: can't initialize service", "PVE102"),
    (S001, 207, "pve-ha-crm[3900]: lost lock 'ha_manager_lock - cfs lock update failed - Device or resource "
                "busy", "PVE103"),
    (S001, 208, "pve-ha-crm[3900]: status change master => lost_manager_lock", "PVE103"),
    (S001, 210, "pve-ha-crm[3900]: watchdog closed (disabled)", "PVE103"),
    (S001, 211, "pve-ha-crm[3900]: status change lost_manager_lock => wait_for_quorum", "PVE103"),
    (S001, 212, "pmxcfs[3703]: [dcdb] crit: cpg_send_message failed: 9", "PVE102"),
    (S001, 239, "pvescheduler[1634357]: replication: cfs-lock 'file-replication_cfg' error: got lock request "
                "timeout", "PVE102"),
    (S001, 244, "corosync[3813]:   [TOTEM ] Retransmit List: b e ", "PVE102"),
    (S001, 256, "pmxcfs[3703]: [status] notice: cpg_send_message retried 1 times", "PVE102"),
    (S001, 282, "pvescheduler[1653190]: jobs: cfs-lock 'file-jobs_cfg' error: got lock request timeout",
     "PVE102"),
    (S001, 284, "pveproxy[1641105]: proxy detected vanished client connection", "PVE105"),
    # --- seed 002 (Chinese, Proxmox VE at a university LUG)
    (S002, 141, 'pvesm set esxi-5-data --finerprint "$FP"', "PVE140"),
    (S002, 253, "zfs error: cannot open 'rpool': no such pool", "PVE132"),
    # --- seed 003 (Chinese, OpenStack Kolla)
    (S003, 4, "1 | ERROR oslo_messaging.rpc.server [req-922596a7-f122-45c8-9f91-1446bb855e05 "
              "2c04ede78270421da71953f8f07ef115 8de01ef30eed437193725fb759b9992d - default default] "
              "Exception during message handling: InvalidCPUInfo: Unacceptable CPU info: CPU doesn't have "
              "compatibility. |", "OSK101"),
    (S003, 4, "InvalidCPUInfo: Unacceptable CPU info: CPU doesn't have compatibility.", "OSK101"),
    (S003, 46, "curl: (7) Failed to connect to 192.168.56.120 port 35357: Connection refused", "OSK103"),
    (S003, 79, "/var/lib/docker/volumes/kolla_logs/_data: no such file or directory", "OSK106"),
    (S003, 125, "sudo ping instance_float_ip -i 0.001 >> ping.log", "OSK107"),
    # --- seed 004 (Chinese, Kubernetes / Docker / Istio)
    (S004, 57, "plugin/forward: no nameservers found", "NET110"),
    (S004, 81, "I0722 20:27:25.279953       1 log.go:172] http: TLS handshake error from 10.200.1.127:47606: "
               "read tcp 10.200.1.127:5443->10.200.1.127:47606: read: connection reset by peer", "K8S107"),
    (S004, 82, "I0722 20:27:43.031841       1 log.go:172] http: TLS handshake error from 10.200.1.127:47718: "
               "read tcp 10.200.1.127:5443->10.200.1.127:47718: read: connection reset by peer", "K8S107"),
    (S004, 159, "iptables-restore: line 2 failed", "K8S109"),
    (S004, 214, "panic: exit status 1", "K8S109"),
    (S004, 217, "istio.io/istio/tools/istio-iptables/pkg/dependencies.(*RealDependencies).RunOrFail(0x51d3150, "
                "0x2ec4603, 0x10, 0xc00071c1e0, 0x2, 0x2)", "K8S109"),
    (S004, 357, "IPVS: rr: TCP 10.200.1.206:44693 - no destination available", "K8S110"),
    (S004, 410, "Dec 21 13:01:03 BJ-M8-HADOOP-105-145 kubelet[353352]: E1221 13:01:03.747928  353352 "
                "kubelet.go:1845] skipping pod synchronization - container runtime status check may not have "
                "completed yet", "K8S111"),
    (S004, 411, "Dec 21 13:01:03 BJ-M8-HADOOP-105-145 kubelet[353352]: F1221 13:01:03.777407  353352 "
                "kubelet.go:1383] Failed to start ContainerManager failed to build map of initial containers "
                "from runtime: no PodsandBox found with Id "
                "'a69881c50fe65f411010f10309ed653784650f48c1e4586814932b4acf7437e1'", "K8S111"),
    (S004, 421, "Dec 24 10:30:01 BJ-M8-HADOOP-105-144 kubelet[350845]: E1224 10:30:01.932321  350845 "
                "dns.go:135] Nameserver limits were exceeded, some nameservers have been omitted, the applied "
                "nameserver line is: 10.100.20.105 10.100.105.11 10.100.21.240", "NET109"),
    (S004, 422, "Dec 24 10:30:08 BJ-M8-HADOOP-105-144 kubelet[350845]: E1224 10:30:08.150179  350845 "
                "qos_container_manager_linux.go:328] [ContainerManager]: Failed to update QoS cgroup "
                "configuration", "K8S112"),
    (S004, 423, "Dec 24 10:30:08 BJ-M8-HADOOP-105-144 kubelet[350845]: W1224 10:30:08.150199  350845 "
                "qos_container_manager_linux.go:138] [ContainerManager] Failed to reserve QoS requests: failed "
                "to set supported cgroup subsystems for cgroup [kubepods burstable]: failed to find subsystem "
                "mount for required subsystem: pids", "K8S112"),
    (S004, 432, "Dec 24 11:13:31 BJ-M8-HADOOP-105-144 kubelet[3680]: E1224 11:13:31.677889    3680 dns.go:135] "
                "Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver "
                "line is: 10.100.20.105 10.100.105.11 10.100.21.240", "NET109"),
    (S004, 444, 'fatal: [192.168.6.96]: FAILED! => {"changed": true, "cmd": "ctr -n k8s.io i import '
                '/tmp/crane/kubernetes.tar.gz", "delta": "0:00:00.018852", "end": "2020-12-22 15:54:19.290911", '
                '"msg": "non-zero return code", "rc": 127, "start": "2020-12-22 15:54:19.272059", "stderr": '
                '"/bin/sh: ctr: command not found", "stderr_lines": ["/bin/sh: ctr: command not found"], '
                '"stdout": "", "stdout_lines": []}', "K8S118"),
    (S004, 444, "/bin/sh: ctr: command not found", "K8S118"),
    (S004, 455, 'OCI runtime create failed: container_linux.go:349: starting container process caused '
                '"process_linux.go:319: getting the final child\'s pid from pipe caused \\"EOF\\"": unknown',
     "K8S113"),
    (S004, 473, "open /data/docker/tmp/docker-import-011951360/blobs/json: no such file or directory", "K8S115"),
    (S004, 489, '/usr/local/bin/docker: Error response from daemon: OCI runtime create failed: '
                'container_linux.go:348: starting container process caused "process_linux.go:301: running exec '
                'setns process for init caused \\"exit status 40\\"": unknown.', "K8S114"),
]

# Symptom phrases in the seeds' own languages (verbatim, mostly headings and the sentence that
# describes the symptom).
SEED_WORDS = [
    (S000, 5, "在向集群添加节点时，需要保证集群中已有的节点全部开启并正常连接", "PVE104"),
    (S000, 35, "请勿 bind mount 或挂载 ISO，否则节点下线时无法进行 migrate", "PVE112"),
    (S000, 53, "要修改得把两份都修改掉", "LVM103"),
    (S000, 66, "CT 100 和 CT 101 无法启动", "LVM104"),
    (S000, 78, "手动挂载 iSCSI 设备会导致上面所有的 LV 都变成 active", "LVM106"),
    (S000, 103, "容器的 rootfs 神秘消失", "LVM105"),
    (S000, 117, "从 ifupdown 换到 ifupdown2 后", "NET101"),
    (S000, 121, "如果更新到 PVE 7 的时候没有自动将 ifupdown 替换为 ifupdown2", "NET103"),
    (S000, 164, "ifupdown2 里不再使用下划线作为 key", "NET102"),
    (S000, 170, "默认情况下 Linux 会对本机的所有 IP 地址在所有界面上响应 ARP 请求", "NET104"),
    (S000, 193, "造成无法联网的情况", "NET105"),
    (S000, 203, "systemd-logind 启动失败", "PVE121"),
    (S000, 209, "SSH 登录已连接，但长时间不弹出 shell", "PVE121"),
    (S000, 239, "Docker in LXC 启动失败", "PVE122"),
    (S000, 280, "Docker in LXC 启动失败 (Proxmox VE 7)", "PVE123"),
    (S000, 292, "Systemd 服务因「空间不足」启动失败", "LNX101"),
    (S000, 304, "图形界面中运行的进程数最多只能跑 4915 个", "LNX102"),
    (S001, 25, "Залипший lock", "PVE120"),
    (S001, 31, "залипший замок", "PVE120"),
    (S001, 45, "Отказ сетевого хранилища", "PVE130"),
    (S001, 57, "Отказ внутренних сервисов самого Proxmox", "PVE105"),
    (S001, 60, "иконки вопроса на самом хосте, его гостях и хранилищах", "PVE105"),
    (S001, 77, "Несовпадение конфигурации Replication и HA", "PVE111"),
    (S001, 88, "Ошибки репликации ZFS", "PVE131"),
    (S001, 99, "Отсутствие кворума в кластере", "PVE101"),
    (S001, 127, "Сетевые ошибки", "PVE102"),
    (S001, 308, "Fencing (sudden reboot)!", "PVE103"),
    (S001, 323, "внезапная перезагрузка без выключения", "PVE103"),
    (S002, 30, "所有 Proxmox 主机的 root 账户密码保持为空", "LNX104"),
    (S002, 52, "pve-firewall 仍然会尝试部署或恢复防火墙设置", "PVE141"),
    (S002, 86, "这些服务器都在校外，使用校园网 IP 无法连通", "LNX103"),
    (S002, 152, "硬盘控制器不要使用 VirtIO SCSI Single 或 LSI 开头的选项", "PVE135"),
    (S002, 156, "否则 fstrim 不起作用", "PVE134"),
    (S002, 191, "vmbr1 MTU 都被设置成了 1462（GRETAP 的默认 MTU）", "NET106"),
    (S002, 215, "为了避免在 vdp2 掉线的时候乱“备份”", "PVE133"),
    (S002, 241, "由于 ZFS 调参不当使其占用了 3 倍的硬盘空间", "PVE136"),
    (S003, 3, "实例经常死机", "OSK107"),
    (S003, 59, "nova.conf中的IP有一部分是192.168.56.110,另外一部分是192.168.56.120", "OSK103"),
    (S003, 74, "报错依然失8780端口", "OSK103"),
    (S003, 78, "nova_compute无法启动了", "OSK106"),
    (S003, 103, "不应该设置为192.168.56.120,因为我们的环境中不需要haproxy", "OSK102"),
    (S003, 112, "同时启动间隔1ms的ping命令测试停机时间,然后实例迁移后死机了", "OSK107"),
    (S003, 116, "每次迁移的数据居然都通过不同的网卡", "OSK104"),
    (S003, 117, "hosts中有了两套规则", "NET107"),
    (S003, 117, "由于eth2和eth0属于同一个网段,所以有时会通过eth2网卡进行迁移", "NET108"),
    (S004, 5, "Overaly 驱动初始化", "K8S101"),
    (S004, 13, "无法通过 nodePort 访问服务", "K8S102"),
    (S004, 17, "不要对 pause 进行升级", "K8S103"),
    (S004, 21, "使用 Calico IPIP 更换 BGP", "K8S104"),
    (S004, 32, "ClusterIP 地址变更需要对所有的 Kube-apiServer 的 service-cluster-ip-range 参数进行变更", "K8S105"),
    (S004, 48, "部署 Jenkins 后通过 Ingress 暴露服务访问并构建时，存在 403 错误", "K8S106"),
    (S004, 90, "主机名 Master 节点不要设为大写", "K8S108"),
    (S004, 244, "使用 istioctl 部署时，重复使用会冲掉之前的配置", "K8S110"),
    (S004, 414, "问题属于 docker 存储驱动的问题", "K8S111"),
    (S004, 418, "kubelet 由于 kernel 较旧引起的 Qos 错误", "K8S112"),
    (S004, 467, "通过 containerd 导入 docker 镜像时报错", "K8S115"),
    (S004, 492, "此问题属于系统内存 Bug", "K8S114"),
    (S004, 499, "在 Istio 中使用 Nginx", "K8S116"),
    (S004, 512, "升级时 kub-proxy 可能无法正常启动", "K8S117"),
]

# Symptoms in words that are NOT copied from a seed: paraphrases, other inflections, word order.
PARAPHRASES = [
    ("нет кворума", "PVE101"),
    ("кворума нет, кластер заблокирован", "PVE101"),
    ("залипший замок на контейнере", "PVE120"),
    ("внезапная перезагрузка", "PVE103"),
    ("фенсинг ноды", "PVE103"),
    ("отказало сетевое хранилище nfs", "PVE130"),
    ("容器 锁 迁移", "PVE120"),
    ("实例迁移后死机", "OSK107"),
    ("迁移数据通过不同的网卡", "OSK104"),
    ("容器 rootfs 消失", "LVM105"),
    ("pause 升级 重启所有 Pod", "K8S103"),
    ("node lost quorum, web UI login fails", "PVE101"),
    ("host rebooted without a clean shutdown, watchdog", "PVE103"),
    ("storage shows a question mark, nfs server not responding", "PVE130"),
    ("kubelet: Nameserver limits were exceeded", "NET109"),
    ("is locked (migrate)", "PVE120"),                    # a partial paste
    ("cannot initialise CMAP servce", "PVE104"),         # a typo'd paste
    ("no PodsandBox found", "K8S111"),
    ("PVE120", "PVE120"),                                # the code itself
    ("what does k8s-103 mean", "K8S103"),
]

# (b) every advise row from a realistic question or symptom
ADVISE_QUESTIONS = [
    ("user@1000.service fails at login: Failed to connect to bus: $DBUS_SESSION_BUS_ADDRESS and "
     "$XDG_RUNTIME_DIR not defined", "PVE124"),
    ("systemctl --user does not work, XDG_RUNTIME_DIR is wrong and /run/user/1000 does not exist", "PVE124"),
    ("how do I measure live migration downtime? ping -i 0.001 to the floating IP shows seconds and the "
     "instance hangs", "OSK107"),
    ("can I upgrade the pause image on a running cluster?", "K8S103"),
    ("we changed sandbox_image in containerd and every pod restarted", "K8S103"),
    ("Jenkins behind an ingress returns 403 when I click Build", "K8S106"),
    ("docker load fails for an image exported with ctr image export: blobs/json: no such file or directory",
     "K8S115"),
    ("nginx inside the istio mesh proxies to a service by IP and the VirtualService rules are ignored",
     "K8S116"),
    ("ansible task fails with ctr: command not found although ctr is installed in /usr/local/bin", "K8S118"),
]

JUNK = [
    "the quick brown fox",
    "the quick brown fox jumps over the lazy dog",
    "hello world",
    "lorem ipsum dolor sit amet",
    "I like pizza with extra cheese",
    "12345 67890",
    "!!! ??? ...",
    "съешь же ещё этих мягких французских булок",
    "今天天气很好",
]

# dev set case 044 (https://github.com/tteck/Proxmox/issues/1117): the script's error trap, the
# real cause (an existing volume) hidden by `&> /dev/null`
PVESM_ALLOC_HIDDEN = "[ERROR] in line 311: exit code 5: while executing command pvesm alloc $STORAGE $VMID $DISK0 4M &> /dev/null"


def _first(text: str) -> str | None:
    hits = search(text)
    return hits[0].code if hits else None


def _ids(cases):
    return [f"{c[0][:3]}-l{c[1]}-{c[-1]}" if len(c) == 4 else c[-1] for c in cases]


@pytest.mark.parametrize("seed,line,text,code", SEED_MESSAGES, ids=_ids(SEED_MESSAGES))
def test_seed_message_finds_its_row(seed, line, text, code):
    hits = search(text)
    assert hits, f"{seed}:{line}: no hit for {text!r}"
    assert hits[0].code == code, f"{seed}:{line}: {[(h.code, round(h.score, 2)) for h in hits]}"


@pytest.mark.parametrize("seed,line,text,code", SEED_WORDS, ids=_ids(SEED_WORDS))
def test_seed_symptom_words_find_their_row(seed, line, text, code):
    hits = search(text)
    assert hits and hits[0].code == code, [(h.code, round(h.score, 2), h.matched) for h in hits]


@pytest.mark.skipif(not SEEDS.exists(), reason="shared/seeds not beside the repo")
@pytest.mark.parametrize("seed,line,text,code", SEED_MESSAGES + SEED_WORDS,
                         ids=_ids(SEED_MESSAGES + SEED_WORDS))
def test_seed_texts_are_verbatim(seed, line, text, code):
    lines = (SEEDS / seed).read_text(encoding="utf-8").splitlines()
    assert text in lines[line - 1], f"{seed}:{line} does not contain {text!r}"


@pytest.mark.parametrize("text,code", PARAPHRASES, ids=[c[0] for c in PARAPHRASES])
def test_paraphrases_and_partial_pastes(text, code):
    hits = search(text)
    assert hits and hits[0].code == code, [(h.code, round(h.score, 2), h.matched) for h in hits]


@pytest.mark.parametrize("text,code", ADVISE_QUESTIONS, ids=[c[1] for c in ADVISE_QUESTIONS])
def test_advise_rows_found_from_questions(text, code):
    assert CATALOGUE[code]["kind"] == "advise"
    hits = search(text)
    assert hits and hits[0].code == code, [(h.code, round(h.score, 2), h.matched) for h in hits]


def test_every_advise_row_has_a_question():
    advise = {c for c, r in CATALOGUE.items() if r["kind"] == "advise"}
    assert advise == {c for _, c in ADVISE_QUESTIONS}


@pytest.mark.parametrize("text", JUNK)
def test_junk_gives_no_hits(text):
    assert search(text) == [], [(h.code, round(h.score, 2), h.matched) for h in search(text)]


def test_every_row_is_findable_by_its_own_symptoms():
    """Each row's first symptom (or word) finds that row among the hits."""
    for code, row in CATALOGUE.items():
        probe = (row.get("symptoms") or row.get("words"))[0]
        assert code in [h.code for h in search(str(probe), limit=10)], (code, probe)


def test_catalogue_rows_complete():
    for code, row in CATALOGUE.items():
        for key in ("kind", "severity", "name", "title", "words", "cause", "advice", "seed"):
            assert row.get(key), f"{code} lacks {key}"
        if row["kind"] == "detect":
            assert row.get("evidence"), f"{code}: a detect row says what evidence it needs"
        assert row["name"] == row["name"].lower() and " " not in row["name"], code
    names = [r["name"] for r in CATALOGUE.values()]
    assert len(names) == len(set(names))


def test_fix_corrections_from_the_catalogue():
    assert "systemctl start" in CATALOGUE["PVE105"]["advice"]
    assert "/etc/sysctl.d/" in CATALOGUE["PVE122"]["advice"]
    assert "--fingerprint" in CATALOGUE["PVE140"]["advice"]
    assert "PVE 9" in CATALOGUE["PVE123"]["advice"]


def test_normalise_strips_log_prefixes_and_ids():
    a = normalise("Dec 24 11:13:31 BJ-M8-HADOOP-105-144 kubelet[3680]: E1224 11:13:31.677889    3680 "
                  "dns.go:135] Nameserver limits were exceeded")
    assert a == "kubelet: nameserver limits were exceeded"
    b = normalise("2024-05-01T10:00:00+02:00 pve1 pmxcfs[3703]: [dcdb] crit: cpg_join failed: 14")
    assert b == "pmxcfs: [dcdb] crit: cpg_join failed: #"
    c = normalise("ERROR oslo_messaging.rpc.server [req-922596a7-f122-45c8-9f91-1446bb855e05 abc - default] x")
    assert "req-" not in c and c.endswith("x")
    assert normalise("no PodsandBox found with Id 'a69881c50fe65f411010f10309ed653784650f48c1e45868'") == \
        "no podsandbox found with id '#'"
    assert normalise("不要对 pause 进行升级") == normalise("不要对pause进行升级")


def test_whole_log_paste_ranks_the_cluster_rows():
    """The seed's whole corosync/pmxcfs excerpt (160 lines) in one go."""
    if not SEEDS.exists():
        pytest.skip("shared/seeds not beside the repo")
    lines = (SEEDS / S001).read_text(encoding="utf-8").splitlines()[137:301]
    text = "\n".join(lines)
    t0 = time.perf_counter()
    hits = search(text)
    took = time.perf_counter() - t0
    codes = [h.code for h in hits]
    assert codes[0] in {"PVE101", "PVE102", "PVE103"}
    assert {"PVE101", "PVE102", "PVE103"} <= set(codes)
    assert took < 1.0


def test_query_is_fast():
    search("warm up the index")
    t0 = time.perf_counter()
    n = 0
    for _, _, text, _ in SEED_MESSAGES:
        search(text)
        n += 1
    per = (time.perf_counter() - t0) / n
    assert per < 0.1, f"{per * 1000:.1f} ms per query"


def test_hit_fields_and_json():
    hits = search("CT is locked (migrate)")
    h = hits[0]
    assert h.code == "PVE120" and 0 < h.score <= 1 and h.matched == "CT is locked (migrate)"
    j = h.to_json()
    assert j["code"] == "PVE120" and j["severity"] == "low" and j["kind"] == "detect"
    json.dumps(j, ensure_ascii=False)


def test_limit():
    assert len(search("corosync knet link down token quorum fencing", limit=2)) <= 2
    assert search("CT is locked (migrate)", limit=0) == []


def test_render_text_and_markdown():
    hits = search("CT is locked (migrate)")
    text = render_hits("CT is locked (migrate)", hits)
    first = text.index("PVE120")
    assert first < (text.find("PVE1", first + 1) if text.count("PVE1") > 1 else len(text))
    for part in ("Stuck guest lock", "low", "detect", "why:", "fix:", "pct unlock",
                 "forewarn can detect this: run `forewarn scan` / `forewarn explain <files>`"):
        assert part in text, part
    md = render_hits("CT is locked (migrate)", hits, markdown=True)
    assert md.startswith("# forewarn why") and "## 1. PVE120" in md and "**fix:**" in md
    advice = render_hits("q", search("we changed sandbox_image in containerd and every pod restarted"))
    assert "K8S103" in advice
    assert "no known pitfall matches" in render_hits("hello world", [])
    # a real line no row covers (tests/evidence/why/labelled-lines.yaml): a helper script hid
    # pvesm's own error; its words point at storage rows, none of them surely
    weak = render_hits("q", search(PVESM_ALLOC_HIDDEN))
    assert weak.startswith("forewarn why: no known pitfall matches")
    assert "Weak candidates (not confident" in weak and "PVE2" in weak.split("Weak candidates")[1]
    sure = render_hits("q", search("pve-ha-lrm[743]: ERROR: unable to open watchdog socket - No such file or directory"))
    assert "1. PVE233" in sure  # a signature's finding names the line: the answer, first


# ---------------------------------------------------------------- the CLI


def test_cli_why_text():
    r = CliRunner().invoke(cli, ["why", "CT is locked (migrate)"])
    assert r.exit_code == 0, r.output
    codes = [w for w in r.output.split() if w[:3] in {"PVE", "LVM", "NET", "LNX", "OSK", "K8S"} and
             w[3:6].isdigit()]
    assert codes[0] == "PVE120"


def test_cli_why_json():
    r = CliRunner().invoke(cli, ["why", "--format", "json", "Devices cgroup isn't mounted"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert data["schema"] == "forewarn.why" and data["hits"][0]["code"] == "PVE123"
    assert data["hits"][0]["matched"] and data["hits"][0]["fix"]


def test_cli_why_markdown_and_stdin():
    r = CliRunner().invoke(cli, ["why", "--format", "markdown", "-"], input="Cannot initialize CMAP service\n")
    assert r.exit_code == 0, r.output
    assert "## 1. PVE104" in r.output


def test_cli_why_no_hit_exits_1():
    r = CliRunner().invoke(cli, ["why", "the quick brown fox"])
    assert r.exit_code == 1
    assert "no known pitfall matches" in r.output
    r = CliRunner().invoke(cli, ["why", "--format", "json", PVESM_ALLOC_HIDDEN])
    doc = json.loads(r.output)
    assert r.exit_code == 1 and doc["known"] is False and all(not h["confident"] for h in doc["hits"])


@pytest.mark.parametrize("args", [["why", ""], ["why", "   "], ["why"]])
def test_cli_why_empty_exits_2(args):
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 2
