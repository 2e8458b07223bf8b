"""A real corosync 3 cluster on one machine, one node per network namespace, for real evidence.

Each node is a network namespace (`fwlab-<pid>x<n>-nodeN`: the creating process's PID keeps two
labs of two test runs apart) plus a private mount and UTS namespace held
open by a small "holder" process: there the node has its own /etc/corosync, /var/lib/corosync,
/run, /var/log and /dev (so that its own rsyslogd owns /dev/log) and its own host name. Every
node's interfaces are veth pairs whose other end sits on a bridge (`br0`, `br1` for a second
corosync link) in a separate "switch" namespace (`fwlab-<pid>x<n>-sw`). With `qdevice=True` a
third kind of host runs corosync-qnetd (10.77.0.250) and every node corosync-qdevice. The lab uses private /24s
(10.77.0.0/24 for link 0, 10.77.1.0/24 for link 1), no default route, and never sends anything
to a lab address from the root namespace: every command runs inside a node (`Lab.run`).

Faults: nftables bridge-family drop rules in the switch (`isolate`, `partition`), a switch
port down (`port_down`: a pulled cable), and signals to corosync or corosync-qdevice (`kill`).

Everything the lab starts is remembered by PID and ended by PID; the namespaces are deleted;
nothing stays mounted (the mounts live only in the holders' private mount namespaces, which
vanish with their last process). `Lab` is a context manager and also registers an atexit hook.

Needs root, `corosync` (3.x, knet), `nftables`, `iproute2`, `util-linux` (unshare, nsenter) and,
for syslog-format logs, `rsyslog`. Command line::

    python tests/lab/corosync_lab.py capture OUTDIR [--only hung]  # tests/evidence/corosync-lab-2
    python tests/lab/corosync_lab.py capture-services OUTDIR      # tests/evidence/systemd-services
    python tests/lab/corosync_lab.py up [-n 3] [--links 2] [--vmbr]  # a cluster until Ctrl-C
    python tests/lab/corosync_lab.py clean    # delete the namespaces of labs whose process died

The pure helpers have doctests (they run without root):

>>> print(corosync_conf(["node1", "node2"], [["10.77.0.11"], ["10.77.0.12"]], config_version=3))
... # doctest: +ELLIPSIS
logging {
  debug: off
  to_syslog: yes
...
  node {
    name: node1
    nodeid: 1
    quorum_votes: 1
    ring0_addr: 10.77.0.11
  }
...
totem {
  cluster_name: fwlab
  config_version: 3
...
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

PREFIX = "fwlab"
QNETD_ADDR = "10.77.0.250"
NTP_ADDR = "10.77.0.251"  # the site's NTP server (Lab(ntp=True)): chronyd, `local stratum 8`
CLIENT_ADDR = "10.77.0.2"  # the client namespace scans run from (Lab(ssh=True)), on link 0's bridge
CLIENT_PORT = "pcl0"  # its switch port
_LAB_SEQ = [0]  # labs made by this process, for unique namespace names
NODE_DIRS = ("etc/corosync", "var/lib/corosync", "run", "var/log")


# -- pure helpers -------------------------------------------------------------------------------

def node_name(i: int) -> str:
    return f"node{i}"


def node_addr(i: int, link: int = 0, net: str = "10.77") -> str:
    """The address of node `i` on corosync link `link`.

    >>> node_addr(3), node_addr(2, 1)
    ('10.77.0.13', '10.77.1.12')
    """
    return f"{net}.{link}.{10 + i}"


def corosync_conf(names: Sequence[str], addrs: Sequence[Sequence[str]], *, config_version: int = 2,
                  cluster_name: str = f"{PREFIX}", logfile: str | None = "/var/log/corosync/corosync.log",
                  to_syslog: bool = True, qdevice_host: str | None = None) -> str:
    """A corosync.conf laid out as Proxmox VE writes /etc/pve/corosync.conf (knet, secauth on).

    `addrs[k]` are node k's link addresses, link 0 first. `logfile` adds corosync's own logfile
    (Proxmox's file has only `debug: off` and `to_syslog: yes`). `qdevice_host` adds a
    `quorum.device` block as `pvecm qdevice setup` writes it for an even node count (ffsplit, one
    vote), except `tls: off` (the lab has no certificates).
    """
    out = ["logging {", "  debug: off", f"  to_syslog: {'yes' if to_syslog else 'no'}"]
    if logfile:
        out += ["  to_logfile: yes", f"  logfile: {logfile}", "  timestamp: on"]
    out += ["}", "", "nodelist {"]
    for k, (name, node_addrs) in enumerate(zip(names, addrs), 1):
        out += ["  node {", f"    name: {name}", f"    nodeid: {_id(name, k)}",
                "    quorum_votes: 1"]
        out += [f"    ring{n}_addr: {a}" for n, a in enumerate(node_addrs)]
        out += ["  }"]
    out += ["}", "", "quorum {"]
    if qdevice_host:
        out += ["  device {", "    model: net", "    net {", "      algorithm: ffsplit",
                f"      host: {qdevice_host}", "      tls: off", "    }", "    votes: 1", "  }"]
    out += ["  provider: corosync_votequorum", "}", "", "totem {",
            f"  cluster_name: {cluster_name}", f"  config_version: {config_version}"]
    for n in range(max((len(a) for a in addrs), default=1)):
        out += ["  interface {", f"    linknumber: {n}", "  }"]
    out += ["  ip_version: ipv4-6", "  link_mode: passive", "  secauth: on", "  version: 2", "}", ""]
    return "\n".join(out)


def _id(name: str, default: int) -> int:
    digits = "".join(c for c in name if c.isdigit())
    return int(digits) if digits else default


def stamp() -> str:
    return datetime.now().strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


# -- processes --------------------------------------------------------------------------------

def sh(argv: Sequence[str], *, check: bool = True, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    """Run a root-namespace management command (ip, nft in a namespace, ...)."""
    res = subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout)
    if check and res.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({res.returncode}): {res.stderr.strip()}")
    return res


@dataclass
class Capture:
    node: str
    argv: list[str]
    rc: int | None
    stdout: str
    stderr: str
    started: str
    timed_out: bool = False

    @property
    def text(self) -> str:
        """What a terminal shows: stdout then stderr (error messages go to stderr)."""
        return self.stdout + self.stderr

    def block(self) -> str:
        head = f"===== {self.node}: {' '.join(self.argv)} ({self.started}) rc={self.rc}"
        if self.timed_out:
            head += " TIMED OUT"
        body = self.text
        return head + "\n" + body + ("" if body.endswith("\n") or not body else "\n")


_SETUP = r"""
set -e
W="$1"; NAME="$2"; FLAGS=" ${3:-} "
case "$FLAGS" in *" pve "*)
  # a Proxmox-like node: its own /etc/pve (an overlay on /etc gives the mount point without
  # touching the machine's /etc) and its own /usr/local/sbin for stand-in tools (first on root's
  # PATH in an SSH session)
  mkdir -p "$W/.etc/upper" "$W/.etc/work"
  mount -t overlay fwlab-etc -o "lowerdir=/etc,upperdir=$W/.etc/upper,workdir=$W/.etc/work" /etc
  mkdir -p /etc/pve
  mount --bind "$W/etc/pve" /etc/pve
  mount --bind "$W/usr/local/sbin" /usr/local/sbin ;;
esac
case "$FLAGS" in *" ssh "*)
  # root's own home on the node: its ~/.ssh/authorized_keys, and none of this machine's dotfiles
  # (bash reads ~/.bashrc for commands run by sshd)
  mount --bind "$W/root" /root ;;
esac
for d in etc/corosync var/lib/corosync run var/log; do mount --bind "$W/$d" "/$d"; done
mkdir -p /var/log/corosync
# a private /dev, so this node's rsyslogd owns /dev/log; real device nodes are bind-mounted in
mkdir -p "$W/.olddev"
mount --rbind /dev "$W/.olddev"
mount -t tmpfs -o mode=755,size=1m fwlab-dev /dev
for f in null zero full random urandom tty ptmx; do
  if [ -e "$W/.olddev/$f" ]; then touch "/dev/$f"; mount --bind "$W/.olddev/$f" "/dev/$f"; fi
done
mkdir /dev/shm /dev/pts
mount -t tmpfs -o mode=1777 fwlab-shm /dev/shm
mount --rbind "$W/.olddev/pts" /dev/pts
ln -s /proc/self/fd /dev/fd; ln -s /proc/self/fd/0 /dev/stdin
ln -s /proc/self/fd/1 /dev/stdout; ln -s /proc/self/fd/2 /dev/stderr
umount -l "$W/.olddev"
hostname "$NAME"
ip link set lo up
echo ready
exec sleep infinity
"""

_RSYSLOG_CONF = """\
global(workDirectory="{work}")
module(load="imuxsock" SysSock.Name="/dev/log" SysSock.RateLimit.Interval="0")
$ActionFileDefaultTemplate RSYSLOG_TraditionalFileFormat
*.* action(type="omfile" file="/var/log/syslog")
"""


# What Proxmox's `pvecm` does for these two subcommands (PVE::CLI::pvecm): `status` prints the
# "Cluster information" block from corosync.conf, then execs `corosync-quorumtool -siH`; `nodes`
# execs `corosync-quorumtool -l`. The lab puts this stand-in first on a node's PATH.
PVECM_STANDIN = r"""#!/bin/sh
# forewarn lab: stand-in for Proxmox's pvecm (status, nodes)
conf=/etc/pve/corosync.conf
[ -r "$conf" ] || conf=/etc/corosync/corosync.conf
case "$1" in
  status)
    name=$(sed -n 's/^[[:space:]]*cluster_name:[[:space:]]*//p' "$conf" | head -n 1)
    version=$(sed -n 's/^[[:space:]]*config_version:[[:space:]]*//p' "$conf" | head -n 1)
    printf 'Cluster information\n-------------------\n'
    printf 'Name:             %s\nConfig Version:   %s\nTransport:        knet\nSecure auth:      on\n\n' "$name" "$version"
    exec corosync-quorumtool -siH ;;
  nodes)
    exec corosync-quorumtool -l ;;
  *)
    echo "pvecm (lab stand-in): '$*' is not supported" >&2
    exit 255 ;;
esac
"""

# A `pvecm` that hangs, as the real one does when pmxcfs is stuck
PVECM_HANG = "#!/bin/sh\n# forewarn lab: a pvecm that hangs (pmxcfs stuck)\nexec sleep 3600\n"

_SSHD_CONFIG = """\
ListenAddress {addr}:22
HostKey {wd}/ssh_host_ed25519_key
PidFile /run/sshd.pid
AuthorizedKeysFile .ssh/authorized_keys
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PrintMotd no
UseDNS no
MaxStartups 50:30:100
"""


@dataclass
class Node:
    index: int
    name: str
    netns: str
    workdir: Path
    addrs: list[str]
    holder: subprocess.Popen[str] | None = None
    corosync: subprocess.Popen[bytes] | None = None
    rsyslog: subprocess.Popen[bytes] | None = None
    qdevice: subprocess.Popen[bytes] | None = None  # corosync-qdevice on a node, corosync-qnetd on the qnetd host
    chronyd: subprocess.Popen[bytes] | None = None  # Lab(ntp=True): NTP client on a node, server on the ntp host
    sshd: subprocess.Popen[bytes] | None = None  # `sshd -D` on the node's link-0 address (Lab(ssh=True))
    ports: list[str] = field(default_factory=list)  # switch-side veth names, one per link

    def path(self, inside: str) -> Path:
        """The host path of a file the node sees at `inside` (/etc/corosync/..., /var/log/...)."""
        return self.workdir / inside.lstrip("/")


class Lab:
    """An N-node corosync cluster in network namespaces. Use as a context manager."""

    def __init__(self, n: int = 3, *, links: int = 1, vmbr: bool = False, config_version: int = 2,
                 qdevice: bool = False, rsyslog: bool | None = None, workdir: str | Path | None = None,
                 log: Callable[[str], None] | None = None, ssh: bool = False, pve: bool = False,
                 ntp: bool = False) -> None:
        self.n, self.links, self.vmbr, self.config_version = n, links, vmbr, config_version
        self.qdevice = qdevice
        self.ssh, self.pve, self.ntp = ssh, pve, ntp
        self.ntp_host: Node | None = None
        self.client_ns: str | None = None  # the namespace scans run from (Lab(ssh=True))
        _LAB_SEQ[0] += 1
        # namespace names carry the creating process's PID: labs of different processes (two test
        # runs at once) never collide, and `clean` can tell a dead lab's leftovers from a live one
        self.ns_prefix = f"{PREFIX}-{os.getpid()}x{_LAB_SEQ[0]}"
        self.switch_ns = f"{self.ns_prefix}-sw"
        self.qnetd: Node | None = None  # the host running corosync-qnetd, when `qdevice`
        self.rsyslog = shutil.which("rsyslogd") is not None if rsyslog is None else rsyslog
        self._own_workdir = workdir is None
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="fwlab-"))
        self.log = log or (lambda msg: None)
        self.nodes: list[Node] = []
        self._hosts: list[Node] = []  # every namespace host (nodes and the qnetd host)
        self.timeline: list[str] = []
        self._netns: list[str] = []
        self._closed = False
        self._faults: list[str] = []
        atexit.register(self.close)

    # -- life cycle ------------------------------------------------------------------------
    def __enter__(self) -> "Lab":
        try:
            self.build()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def note(self, msg: str) -> None:
        line = f"[lab {stamp()}] {msg}"
        self.timeline.append(line)
        self.log(line)

    def build(self) -> None:
        """Switch, nodes, keys and configs; corosync is not started (see `start`)."""
        if os.geteuid() != 0:
            raise PermissionError("the corosync lab needs root (namespaces, mounts, nftables)")
        leftovers = [ns for ns in list_netns() if ns.startswith(self.ns_prefix + "-")]
        if leftovers:
            raise RuntimeError(f"lab namespaces already exist: {leftovers} (run `corosync_lab.py clean`)")
        self._add_netns(self.switch_ns)
        sh(["ip", "-n", self.switch_ns, "link", "set", "lo", "up"])
        for link in range(self.links):
            sh(["ip", "-n", self.switch_ns, "link", "add", f"br{link}", "type", "bridge"])
            sh(["ip", "-n", self.switch_ns, "link", "set", f"br{link}", "up"])
        self._nft(f"add table bridge {PREFIX}")
        self._nft(f"add chain bridge {PREFIX} faults {{ type filter hook forward priority 0; policy accept; }}")
        key = self.workdir / "authkey"
        sh(["corosync-keygen", "-k", str(key)])
        for i in range(1, self.n + 1):
            self._add_node(i, key)
        if self.qdevice:
            self.qnetd = self._add_host(0, "qnetd", [QNETD_ADDR])
        if self.ntp:
            self._add_ntp()
        self.write_conf()
        if self.pve:
            for n in self.nodes:
                self.install_tool(n.name, "pvecm", PVECM_STANDIN)
        if self.ssh:
            self._add_client()
            for n in self.nodes:
                self._setup_sshd(n)
                self.start_sshd(n.name)
            self._write_client_ssh()
        self.note(f"built {self.n} nodes, {self.links} link(s){', address on vmbr0' if self.vmbr else ''}"
                  f"{', sshd on every node' if self.ssh else ''}{', /etc/pve and a pvecm stand-in' if self.pve else ''}")

    def _add_netns(self, name: str) -> None:
        sh(["ip", "netns", "add", name])
        self._netns.append(name)

    def _nft(self, rule: str) -> None:
        sh(["ip", "netns", "exec", self.switch_ns, "nft", rule])

    def _add_node(self, i: int, key: Path) -> None:
        name = node_name(i)
        flags = [f for f, on in (("pve", self.pve), ("ssh", self.ssh)) if on]
        node = self._add_host(i, name, [node_addr(i, link) for link in range(self.links)], flags)
        shutil.copy(key, node.path("/etc/corosync/authkey"))
        os.chmod(node.path("/etc/corosync/authkey"), 0o400)
        self.nodes.append(node)

    def _add_host(self, i: int, name: str, addrs: list[str], flags: Sequence[str] = ()) -> Node:
        """A namespace host on the switch: veth per link, addresses, holder, rsyslogd."""
        ns = f"{self.ns_prefix}-{name}"
        wd = self.workdir / name
        for d in NODE_DIRS:
            (wd / d).mkdir(parents=True, exist_ok=True)
        node = Node(i, name, ns, wd, addrs)
        for d in ("etc/pve", "usr/local/sbin") if "pve" in flags else ():
            (wd / d).mkdir(parents=True, exist_ok=True)
        if "ssh" in flags:
            (wd / "root" / ".ssh").mkdir(mode=0o700, parents=True, exist_ok=True)
            os.chmod(wd / "root", 0o700)
        self._add_netns(ns)
        for link in range(len(addrs)):
            port = f"p{i}l{link}"
            sh(["ip", "-n", ns, "link", "add", f"eth{link}", "type", "veth", "peer", "name", port,
                "netns", self.switch_ns])
            sh(["ip", "-n", self.switch_ns, "link", "set", port, "master", f"br{link}"])
            sh(["ip", "-n", self.switch_ns, "link", "set", port, "up"])
            node.ports.append(port)
            dev = f"eth{link}"
            if self.vmbr and link == 0 and i > 0:
                # the Proxmox default: the NIC is a port of vmbr0 and the address sits on vmbr0
                sh(["ip", "-n", ns, "link", "add", "vmbr0", "type", "bridge"])
                sh(["ip", "-n", ns, "link", "set", dev, "master", "vmbr0"])
                sh(["ip", "-n", ns, "link", "set", dev, "up"])
                dev = "vmbr0"
            sh(["ip", "-n", ns, "addr", "add", f"{addrs[link]}/24", "dev", dev])
            sh(["ip", "-n", ns, "link", "set", dev, "up"])
        node.holder = subprocess.Popen(
            ["ip", "netns", "exec", ns, "unshare", "--mount", "--uts", "--propagation", "private",
             "sh", "-c", _SETUP, "fwlab-setup", str(wd), name, " ".join(flags)],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self._hosts.append(node)
        assert node.holder.stdout is not None
        ready = node.holder.stdout.readline().strip()
        if ready != "ready":
            err = node.holder.stderr.read() if node.holder.stderr else ""
            raise RuntimeError(f"{name}: namespace setup failed: {err.strip()}")
        if self.rsyslog:
            (wd / "var/lib/corosync/rsyslog").mkdir(exist_ok=True)
            conf = wd / "rsyslog.conf"
            conf.write_text(_RSYSLOG_CONF.format(work="/var/lib/corosync/rsyslog"))
            node.rsyslog = self._spawn(node, ["rsyslogd", "-n", "-f", str(conf), "-i", "/run/rsyslogd.pid"],
                                       wd / "rsyslogd.out")
            deadline = time.monotonic() + 5
            while self._run_in(node, ["test", "-S", "/dev/log"]).rc != 0:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{name}: rsyslogd did not create /dev/log")
                time.sleep(0.05)
        return node

    def conf_text(self, *, config_version: int | None = None, only: Sequence[int] | None = None) -> str:
        nodes = [n for n in self.nodes if only is None or n.index in only]
        return corosync_conf([n.name for n in nodes], [n.addrs for n in nodes],
                             config_version=self.config_version if config_version is None else config_version,
                             qdevice_host=QNETD_ADDR if self.qdevice else None)

    def write_conf(self, node: str | None = None, text: str | None = None, *, pve_copy: bool = True) -> None:
        """Write corosync.conf to one node (or all) — by default the cluster's current one. With
        `Lab(pve=True)` the node's /etc/pve/corosync.conf (pmxcfs's copy) too, unless `pve_copy` is
        false (a node whose /etc/corosync copy fell behind)."""
        for n in self.nodes:
            if node is None or n.name == node:
                n.path("/etc/corosync/corosync.conf").write_text(text or self.conf_text())
                if self.pve and pve_copy:
                    n.path("/etc/pve/corosync.conf").write_text(text or self.conf_text())

    def _node(self, name: str) -> Node:
        return next(n for n in self._hosts if n.name == name)

    def _enter(self, node: Node) -> list[str]:
        assert node.holder is not None
        return ["nsenter", "-t", str(node.holder.pid), "-m", "-u", "-n", "--"]

    def _spawn(self, node: Node, argv: list[str], out: Path) -> subprocess.Popen[bytes]:
        fh = open(out, "ab")
        try:
            return subprocess.Popen(self._enter(node) + argv, stdin=subprocess.DEVNULL, stdout=fh,
                                    stderr=subprocess.STDOUT, start_new_session=True)
        finally:
            fh.close()

    # -- running things on a node ---------------------------------------------------------
    def run(self, node: str, argv: Sequence[str], timeout: float = 10) -> Capture:
        """Run a command inside a node (its network, mount and UTS namespaces)."""
        return self._run_in(self._node(node), argv, timeout)

    def _run_in(self, n: Node, argv: Sequence[str], timeout: float = 10) -> Capture:
        started = stamp()
        try:
            res = subprocess.run(self._enter(n) + list(argv), capture_output=True, text=True, timeout=timeout)
            return Capture(n.name, list(argv), res.returncode, res.stdout, res.stderr, started)
        except subprocess.TimeoutExpired as exc:
            out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
            err = exc.stderr.decode() if isinstance(exc.stderr, bytes) else (exc.stderr or "")
            return Capture(n.name, list(argv), None, out, err, started, timed_out=True)

    def quorumtool(self, node: str) -> Capture:
        return self.run(node, ["corosync-quorumtool", "-s"])

    def quorate(self, node: str) -> bool | None:
        for line in self.quorumtool(node).stdout.splitlines():
            if line.startswith("Quorate:"):
                return line.split(":", 1)[1].strip() == "Yes"
        return None

    def votes(self, node: str) -> int | None:
        for line in self.quorumtool(node).stdout.splitlines():
            if line.startswith("Total votes:"):
                return int(line.split(":", 1)[1])
        return None

    def wait(self, what: str, cond: Callable[[], bool], timeout: float = 30, every: float = 0.25) -> float:
        """Poll `cond` until true; returns the seconds it took (raises TimeoutError)."""
        t0 = time.monotonic()
        while True:
            if cond():
                took = time.monotonic() - t0
                self.note(f"{what} after {took:.2f} s")
                return took
            if time.monotonic() - t0 > timeout:
                raise TimeoutError(f"{what}: not within {timeout} s")
            time.sleep(every)

    # -- corosync ---------------------------------------------------------------------------
    def start(self, *names: str) -> None:
        """Start corosync (foreground, `corosync -f`) on the named nodes (default: all)."""
        for n in self.nodes:
            if names and n.name not in names:
                continue
            if n.corosync is not None and n.corosync.poll() is None:
                continue
            n.corosync = self._spawn(n, ["corosync", "-f"], n.workdir / "corosync.out")
            self.note(f"{n.name}: corosync started, pid {n.corosync.pid}")
        if self.qdevice:
            self.start_qdevice(*names)

    def start_qdevice(self, *names: str) -> None:
        """Start corosync-qnetd on the qnetd host (once) and corosync-qdevice on the nodes."""
        q = self.qnetd
        assert q is not None, "Lab(qdevice=True) builds the qnetd host"
        if q.qdevice is None or q.qdevice.poll() is not None:
            q.qdevice = self._spawn(q, ["corosync-qnetd", "-f", "-s", "off"], q.workdir / "qnetd.out")
            self.note(f"qnetd: corosync-qnetd started, pid {q.qdevice.pid}")
        for n in self.nodes:
            if names and n.name not in names:
                continue
            if n.qdevice is not None and n.qdevice.poll() is None:
                continue
            # corosync-qdevice talks to corosync over IPC: wait until corosync answers
            self.wait(f"{n.name}: corosync answers", lambda n=n: self.run(n.name, ["corosync-cmapctl", "-g",
                      "totem.cluster_name"]).rc == 0, 15, every=0.1)
            n.qdevice = self._spawn(n, ["corosync-qdevice", "-f"], n.workdir / "qdevice.out")
            self.note(f"{n.name}: corosync-qdevice started, pid {n.qdevice.pid}")

    def kill(self, name: str, sig: int = signal.SIGTERM, wait: float = 15, what: str = "corosync") -> int | None:
        """Signal a node's corosync (or its corosync-qdevice: `what="qdevice"`) and wait for it to
        end; returns its exit status."""
        n = self._node(name)
        proc = n.corosync if what == "corosync" else n.qdevice
        if proc is None or proc.poll() is not None:
            return proc.returncode if proc else None
        proc.send_signal(sig)
        try:
            rc = proc.wait(wait)
        except subprocess.TimeoutExpired:
            proc.kill()
            rc = proc.wait(5)
        self.note(f"{name}: {what} pid {proc.pid} got {signal.Signals(sig).name}, exit {rc}")
        return rc

    def processes(self, name: str) -> dict[int, str]:
        """PID -> command line of every process in a node's network namespace (the PID namespace is
        the machine's: `pgrep` inside a node would also see other labs' processes)."""
        out: dict[int, str] = {}
        for pid in sh(["ip", "netns", "pids", self._node(name).netns], check=False).stdout.split():
            try:
                out[int(pid)] = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
            except (OSError, ValueError):
                pass
        return out

    def running(self, name: str) -> bool:
        c = self._node(name).corosync
        return c is not None and c.poll() is None

    def wait_all_quorate(self, timeout: float = 30) -> float:
        return self.wait(f"all {self.n} nodes quorate with {self.n} votes",
                         lambda: all(self.votes(n.name) == self.n and self.quorate(n.name)
                                     for n in self.nodes if self.running(n.name)), timeout)

    # -- faults -----------------------------------------------------------------------------
    def isolate(self, name: str, links: Sequence[int] | None = None) -> None:
        """Drop every frame to and from a node's switch ports (all links, or the given ones)."""
        n = self._node(name)
        for link, port in enumerate(n.ports):
            if links is None or link in links:
                self._nft(f'add rule bridge {PREFIX} faults iifname "{port}" drop')
                self._nft(f'add rule bridge {PREFIX} faults oifname "{port}" drop')
        self._faults.append(f"isolate {name}")
        self.note(f"{name} isolated (nftables drop on its switch port(s))")

    def partition(self, *groups: Sequence[str]) -> None:
        """Drop frames between nodes of different groups, on every link."""
        for gi, ga in enumerate(groups):
            for gb in groups[gi + 1:]:
                for a in ga:
                    for b in gb:
                        for pa, pb in zip(self._node(a).ports, self._node(b).ports):
                            self._nft(f'add rule bridge {PREFIX} faults iifname "{pa}" oifname "{pb}" drop')
                            self._nft(f'add rule bridge {PREFIX} faults iifname "{pb}" oifname "{pa}" drop')
        self.note("split " + " | ".join("{" + ",".join(g) + "}" for g in groups))

    def port_down(self, name: str, link: int = 0) -> None:
        sh(["ip", "-n", self.switch_ns, "link", "set", self._node(name).ports[link], "down"])
        self.note(f"{name}: switch port of link {link} down (cable pulled)")

    def port_up(self, name: str, link: int = 0) -> None:
        sh(["ip", "-n", self.switch_ns, "link", "set", self._node(name).ports[link], "up"])
        self.note(f"{name}: switch port of link {link} up")

    def heal(self) -> None:
        self._nft(f"flush chain bridge {PREFIX} faults")
        for n in self.nodes:
            for port in n.ports:
                sh(["ip", "-n", self.switch_ns, "link", "set", port, "up"])
        self.note("healed: all fault rules removed, all switch ports up")

    def add_loss(self, name: str, percent: int) -> None:
        """Drop `percent` % of the frames to and from a node, at random (nftables `numgen`), on every
        link — except frames to and from the client, so that a scan still reaches the node."""
        n = self._node(name)
        spare = f' oifname != "{CLIENT_PORT}"' if self.client_ns else ""
        spare_in = f' iifname != "{CLIENT_PORT}"' if self.client_ns else ""
        for port in n.ports:
            self._nft(f'add rule bridge {PREFIX} faults iifname "{port}"{spare} numgen random mod 100 < {percent} drop')
            self._nft(f'add rule bridge {PREFIX} faults oifname "{port}"{spare_in} numgen random mod 100 < {percent} drop')
        self._faults.append(f"loss {name} {percent}")
        self.note(f"{name}: {percent} % packet loss in each direction (nftables numgen)")

    # -- time: an NTP server on the switch and chronyd on every node (Lab(ntp=True)) -------------
    def _add_ntp(self) -> None:
        """A site NTP server (chronyd with `local stratum 8`) and a chronyd on every node that uses
        it, as a Proxmox node's chrony would; `-x`: nobody touches the machine's one clock."""
        chronyd = shutil.which("chronyd", path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin") or "chronyd"
        host = self._add_host(99, "ntp", [NTP_ADDR])
        self.ntp_host = host
        confs = [(host, f"local stratum 8\nallow 10.77.0.0/16\nbindaddress {NTP_ADDR}\n")]
        confs += [(n, f"server {NTP_ADDR} iburst minpoll -1 maxpoll 2\n") for n in self.nodes]
        for h, conf in confs:
            (h.workdir / "run" / "chrony").mkdir(mode=0o750, exist_ok=True)
            (h.workdir / "chrony.conf").write_text(conf)
            h.chronyd = self._spawn(h, [chronyd, "-x", "-n", "-u", "root", "-f", str(h.workdir / "chrony.conf")],
                                    h.workdir / "chronyd.out")
        self.note(f"ntp: chronyd serving {NTP_ADDR}; chronyd on every node")

    def wait_time_synced(self, timeout: float = 30) -> float:
        """Until every node's chrony has selected the NTP server (`^*`)."""
        return self.wait("every node's chrony synchronised to the NTP server",
                         lambda: all(f"^* {NTP_ADDR}" in self.run(n.name, ["chronyc", "-n", "sources"]).stdout
                                     for n in self.nodes), timeout, every=0.5)

    # -- SSH: sshd per node, a client namespace with its own ~/.ssh ----------------------------
    @property
    def client_home(self) -> Path:
        """HOME for commands run in the client: .ssh/config, id_ed25519 and known_hosts there."""
        return self.workdir / "client" / "home"

    def _add_client(self) -> None:
        ns = f"{self.ns_prefix}-client"
        self._add_netns(ns)
        sh(["ip", "-n", ns, "link", "add", "eth0", "type", "veth", "peer", "name", CLIENT_PORT,
            "netns", self.switch_ns])
        sh(["ip", "-n", self.switch_ns, "link", "set", CLIENT_PORT, "master", "br0"])
        sh(["ip", "-n", self.switch_ns, "link", "set", CLIENT_PORT, "up"])
        sh(["ip", "-n", ns, "addr", "add", f"{CLIENT_ADDR}/24", "dev", "eth0"])
        sh(["ip", "-n", ns, "link", "set", "eth0", "up"])
        sh(["ip", "-n", ns, "link", "set", "lo", "up"])
        self.client_ns = ns
        ssh_dir = self.client_home / ".ssh"
        ssh_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(ssh_dir, 0o700)
        sh(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "forewarn-lab-client",
            "-f", str(ssh_dir / "id_ed25519")])

    def _setup_sshd(self, n: Node) -> None:
        sh(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", n.name, "-f",
            str(n.workdir / "ssh_host_ed25519_key")])
        shutil.copy(self.client_home / ".ssh" / "id_ed25519.pub", n.path("/root/.ssh/authorized_keys"))
        (n.workdir / "run" / "sshd").mkdir(mode=0o755, exist_ok=True)
        (n.workdir / "sshd_config").write_text(_SSHD_CONFIG.format(addr=n.addrs[0], wd=n.workdir))

    def host_key(self, name: str) -> str:
        """The node's public host key line (`ssh-ed25519 AAAA... nodeN`)."""
        return (self._node(name).workdir / "ssh_host_ed25519_key.pub").read_text().strip()

    def _write_client_ssh(self) -> None:
        """known_hosts with every node's host key (by name and address), and a config that maps
        each node name to its address with user root, as an admin's ~/.ssh would."""
        ssh_dir = self.client_home / ".ssh"
        known = [f"{n.name},{n.addrs[0]} {self.host_key(n.name)}" for n in self.nodes]
        (ssh_dir / "known_hosts").write_text("\n".join(known) + "\n")
        conf = [f"Host {n.name}\n  HostName {n.addrs[0]}\n  User root\n" for n in self.nodes]
        (ssh_dir / "config").write_text("\n".join(conf))
        os.chmod(ssh_dir / "config", 0o600)

    def start_sshd(self, name: str, timeout: float = 10) -> None:
        n = self._node(name)
        if n.sshd is not None and n.sshd.poll() is None:
            return
        sshd = shutil.which("sshd", path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin") or "/usr/sbin/sshd"
        n.sshd = self._spawn(n, [sshd, "-D", "-f", str(n.workdir / "sshd_config"), "-E", str(n.workdir / "sshd.log")],
                             n.workdir / "sshd.out")
        self.wait(f"{name}: sshd listening on {n.addrs[0]}:22",
                  lambda: f"{n.addrs[0]}:22" in self._run_in(n, ["ss", "-Hltn"]).stdout
                  or n.sshd is None or n.sshd.poll() is not None, timeout, every=0.05)
        if n.sshd.poll() is not None:
            log = (n.workdir / "sshd.log").read_text(errors="replace") if (n.workdir / "sshd.log").exists() else ""
            raise RuntimeError(f"{name}: sshd exited with {n.sshd.returncode}: {log.strip()[-500:]}")
        self.note(f"{name}: sshd started, pid {n.sshd.pid}")

    def stop_sshd(self, name: str) -> None:
        """Stop the node's sshd (by PID): the node no longer accepts SSH connections."""
        n = self._node(name)
        if n.sshd is None or n.sshd.poll() is not None:
            return
        n.sshd.terminate()
        try:
            n.sshd.wait(10)
        except subprocess.TimeoutExpired:
            n.sshd.kill()
            n.sshd.wait(5)
        self.note(f"{name}: sshd pid {n.sshd.pid} stopped")

    def client_argv(self, argv: Sequence[str], env: dict[str, str] | None = None) -> list[str]:
        """`argv` run in the client namespace, with HOME set to the client's home (its ~/.ssh)."""
        assert self.client_ns, "Lab(ssh=True) builds the client namespace"
        extra = [f"{k}={v}" for k, v in {"HOME": str(self.client_home), **(env or {})}.items()]
        return ["ip", "netns", "exec", self.client_ns, "env", *extra, *argv]

    def client_run(self, argv: Sequence[str], timeout: float = 120, env: dict[str, str] | None = None,
                   cwd: str | Path | None = None) -> subprocess.CompletedProcess[str]:
        """Run `argv` in the client namespace (never in the root namespace: lab addresses are only
        reachable there). Raises subprocess.TimeoutExpired after `timeout` (the process is killed)."""
        return subprocess.run(self.client_argv(argv, env), capture_output=True, text=True, timeout=timeout,
                              cwd=cwd)

    # -- stand-in tools on a node's PATH (Lab(pve=True): the node's own /usr/local/sbin) ---------
    def install_tool(self, name: str, tool: str, script: str) -> None:
        assert self.pve, "Lab(pve=True) gives nodes their own /usr/local/sbin"
        p = self._node(name).path(f"/usr/local/sbin/{tool}")
        p.write_text(script)
        os.chmod(p, 0o755)
        self.note(f"{name}: {tool} stand-in installed ({script.splitlines()[1].lstrip('# ')})")

    def remove_tool(self, name: str, tool: str) -> None:
        p = self._node(name).path(f"/usr/local/sbin/{tool}")
        if p.exists():
            p.unlink()

    def reset(self, timeout: float = 40, clear_logs: bool = True) -> None:
        """Undo every fault: rules flushed, ports up, original corosync.conf and stand-ins, corosync
        and sshd running on every node; waits until all nodes are quorate again, then (by default)
        empties the logs."""
        self.heal()
        self._faults.clear()
        self.write_conf()
        for n in self.nodes:
            if self.pve:
                self.install_tool(n.name, "pvecm", PVECM_STANDIN)
            if self.ssh:
                self.start_sshd(n.name)
        self.start()
        self.wait_all_quorate(timeout)
        if clear_logs:
            self.wait_logs_quiet()  # the last lines of the recovery belong to this reset
            self.clear_logs()

    def clear_logs(self) -> None:
        """Empty every node's syslog and corosync log (the writers append, so they go on writing
        at the new end): the next scenario's logs hold only its own incident."""
        for n in self.nodes:
            for f in ("/var/log/syslog", "/var/log/corosync/corosync.log"):
                p = n.path(f)
                if p.exists():
                    os.truncate(p, 0)
        self.note("logs of every node emptied")

    # -- logs -------------------------------------------------------------------------------
    def wait_logs_quiet(self, quiet: float = 1.5, timeout: float = 30) -> float:
        """Wait until no node's syslog or corosync log has grown for `quiet` seconds: the writers
        have caught up (on a busy machine rsyslog and corosync lag by seconds)."""
        files = [n.path(f) for n in self.nodes for f in ("/var/log/syslog", "/var/log/corosync/corosync.log")]
        state = {"sizes": None, "since": time.monotonic()}

        def settled() -> bool:
            sizes = [p.stat().st_size if p.exists() else -1 for p in files]
            now = time.monotonic()
            if sizes != state["sizes"]:
                state["sizes"], state["since"] = sizes, now
            return now - state["since"] >= quiet

        return self.wait(f"every log quiet for {quiet:g} s", settled, timeout)

    def syslog(self, name: str) -> str:
        p = self._node(name).path("/var/log/syslog")
        return p.read_text(errors="replace") if p.exists() else ""

    def corosync_log(self, name: str) -> str:
        p = self._node(name).path("/var/log/corosync/corosync.log")
        return p.read_text(errors="replace") if p.exists() else ""

    # -- clean-up ---------------------------------------------------------------------------
    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        procs: list[subprocess.Popen] = []  # type: ignore[type-arg]
        for n in self._hosts:
            procs += [p for p in (n.sshd, n.chronyd, n.qdevice, n.corosync, n.rsyslog, n.holder) if p is not None]
        for p in procs:
            if p.poll() is None:
                try:
                    p.send_signal(signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + 10
        for p in procs:
            try:
                p.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)
        for p in procs:
            for s in (p.stdout, p.stderr):
                if s is not None:
                    s.close()
        for ns in reversed(self._netns):
            # anything still inside a lab namespace was started by this lab: end it by PID
            for pid in sh(["ip", "netns", "pids", ns], check=False).stdout.split():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
            sh(["ip", "netns", "del", ns], check=False)
        self._netns.clear()
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)
        try:
            atexit.unregister(self.close)
        except Exception:  # noqa: BLE001
            pass


def list_netns() -> list[str]:
    res = sh(["ip", "netns", "list"], check=False)
    return [line.split()[0] for line in res.stdout.splitlines() if line.strip()]


def clean() -> list[str]:
    """Delete the namespaces of labs whose process died before it could clean up (names are
    `fwlab-<pid>x<n>-...`; a lab whose process is alive is left alone)."""
    gone = []
    for ns in list_netns():
        if not ns.startswith(PREFIX + "-"):
            continue
        owner = ns.split("-")[1].split("x")[0]
        if owner.isdigit() and Path(f"/proc/{owner}").exists():
            continue
        for pid in sh(["ip", "netns", "pids", ns], check=False).stdout.split():
            try:
                os.kill(int(pid), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass
        sh(["ip", "netns", "del", ns], check=False)
        gone.append(ns)
    return gone


# -- the captures of tests/evidence/corosync-lab-2 ---------------------------------------------

def _write(out: Path, name: str, caps: Sequence[Capture] | str) -> None:
    text = caps if isinstance(caps, str) else "".join(c.block() for c in caps)
    (out / name).write_text(text)


def _raw(out: Path, name: str, cap: Capture) -> None:
    """The exact text a terminal would show, nothing added (for parser cases)."""
    (out / name).write_text(cap.text)


def _wait_exit(lab: Lab, name: str, timeout: float) -> None:
    proc = lab._node(name).corosync
    assert proc is not None
    try:
        rc = proc.wait(timeout)
        lab.note(f"{name}: corosync exited by itself, status {rc}")
    except subprocess.TimeoutExpired:
        lab.note(f"{name}: corosync still running after {timeout} s")


def _save_logs(out: Path, lab: Lab, prefix: str) -> None:
    lab.note("logs saved")
    for n in lab.nodes:
        _write(out, f"{prefix}-{n.name}-syslog.log", lab.syslog(n.name))
        _write(out, f"{prefix}-{n.name}-corosync.log", lab.corosync_log(n.name))
    _write(out, f"{prefix}-timeline.txt", "\n".join(lab.timeline) + "\n")


SCENARIOS = ("isolate", "drift", "added", "twolinks", "vmbr", "qdevice", "hung")


def capture_all(out: Path, log: Callable[[str], None] = print, only: Sequence[str] = ()) -> None:
    """Run the scenarios (all, or those named in `only`) and write their captures to `out`."""
    out.mkdir(parents=True, exist_ok=True)

    def want(name: str) -> bool:
        return not only or name in only

    versions = subprocess.run(["dpkg-query", "-W", "-f", "${Package} ${Version}\n", "corosync",
                               "libknet1", "libqb100", "nftables", "iproute2", "rsyslog", "corosync-qdevice",
                               "corosync-qnetd"],
                              capture_output=True, text=True).stdout
    _write(out, "versions.txt", versions + subprocess.run(["corosync", "-v"], capture_output=True,
                                                          text=True).stdout)

    if want("isolate"):
        # 1. three nodes, one link: healthy, then node3 isolated, then node3's corosync stopped
        with Lab(3, log=log) as lab:
            lab.start()
            lab.wait_all_quorate()
            _raw(out, "10-healthy-node1-quorumtool.txt", lab.quorumtool("node1"))
            _raw(out, "10-healthy-node1-quorumtool-l.txt", lab.run("node1", ["corosync-quorumtool", "-l"]))
            _raw(out, "10-healthy-node1-quorumtool-siH.txt", lab.run("node1", ["corosync-quorumtool", "-siH"]))
            _raw(out, "10-healthy-node1-cfgtool-s.txt", lab.run("node1", ["corosync-cfgtool", "-s"]))
            _raw(out, "10-healthy-node1-ip-j-addr.json", lab.run("node1", ["ip", "-j", "addr"]))
            _write(out, "10-healthy-corosync.conf", lab._node("node1").path("/etc/corosync/corosync.conf").read_text())
            lab.isolate("node3")
            lab.wait("node3 Quorate: No", lambda: lab.quorate("node3") is False, 30)
            lab.wait("node1 sees 2 votes", lambda: lab.votes("node1") == 2, 30)
            q3, q1 = lab.quorumtool("node3"), lab.quorumtool("node1")
            _raw(out, "11-isolated-node3-quorumtool.txt", q3)
            _raw(out, "11-isolated-majority-node1-quorumtool.txt", q1)
            _raw(out, "11-isolated-node3-quorumtool-l.txt", lab.run("node3", ["corosync-quorumtool", "-l"]))
            _raw(out, "11-isolated-node3-quorumtool-siH.txt", lab.run("node3", ["corosync-quorumtool", "-siH"]))
            _raw(out, "11-isolated-majority-node1-quorumtool-siH.txt",
                 lab.run("node1", ["corosync-quorumtool", "-siH"]))
            _raw(out, "11-isolated-node3-cfgtool-s.txt", lab.run("node3", ["corosync-cfgtool", "-s"]))
            _raw(out, "11-isolated-node3-cfgtool-n.txt", lab.run("node3", ["corosync-cfgtool", "-n"]))
            _raw(out, "11-isolated-majority-node1-cfgtool-s.txt", lab.run("node1", ["corosync-cfgtool", "-s"]))
            _raw(out, "11-isolated-majority-node1-cfgtool-n.txt", lab.run("node1", ["corosync-cfgtool", "-n"]))
            _write(out, "11-isolated-all.txt", [q3, q1])
            lab.kill("node3", signal.SIGTERM)
            time.sleep(1)
            down = [lab.run("node3", ["corosync-quorumtool", "-s"]),
                    lab.run("node3", ["corosync-cmapctl"]),
                    lab.run("node3", ["corosync-cmapctl", "-g", "totem.config_version"]),
                    lab.run("node3", ["corosync-cfgtool", "-s"]),
                    lab.run("node3", ["corosync-cfgtool", "-n"]),
                    lab.run("node3", ["corosync-quorumtool", "-l"]),
                    lab.run("node3", ["corosync-quorumtool", "-siH"])]
            _write(out, "12-stopped-node3-all.txt", down)
            _raw(out, "12-stopped-node3-quorumtool.txt", down[0])
            _raw(out, "12-stopped-node3-cmapctl.txt", down[1])
            _raw(out, "12-stopped-node3-cfgtool-s.txt", down[3])
            _save_logs(out, lab, "1x")

    if want("drift"):
        # 2a. config drift, same nodelist: the config was changed (version 2 -> 3) while node2 was off
        with Lab(3, config_version=3, log=log) as lab:
            old = lab.conf_text(config_version=2)
            _write(out, "20-drift-new-corosync.conf", lab.conf_text())
            _write(out, "20-drift-old-node2-corosync.conf", old)
            lab.write_conf("node2", old)
            lab.start("node1", "node3")
            lab.wait("node1 and node3 quorate (2 of 3 votes)",
                     lambda: lab.votes("node1") == 2 and bool(lab.quorate("node1")), 30)
            lab.start("node2")
            _wait_exit(lab, "node2", 30)
            time.sleep(1)
            after = [lab.run("node2", ["corosync-quorumtool", "-s"]), lab.run("node2", ["corosync-cmapctl"]),
                     lab.run("node2", ["corosync-cfgtool", "-s"])]
            _write(out, "21-drift-node2-after-exit-all.txt", after)
            _raw(out, "21-drift-node2-after-exit-quorumtool.txt", after[0])
            _raw(out, "21-drift-node1-quorumtool.txt", lab.quorumtool("node1"))
            _save_logs(out, lab, "2x")

    if want("added"):
        # 2b. a node was added (node3, version 3) while node2 was off: node2 still has version 2 and
        # a nodelist without node3
        with Lab(3, config_version=3, log=log) as lab:
            old = lab.conf_text(config_version=2, only=(1, 2))
            _write(out, "22-added-new-corosync.conf", lab.conf_text())
            _write(out, "22-added-old-node2-corosync.conf", old)
            lab.write_conf("node2", old)
            lab.start("node1", "node3")
            lab.wait("node1 and node3 quorate (2 of 3 votes)",
                     lambda: lab.votes("node1") == 2 and bool(lab.quorate("node1")), 30)
            lab.start("node2")
            _wait_exit(lab, "node2", 25)
            _write(out, "23-added-node2-quorumtool.txt", [lab.run("node2", ["corosync-quorumtool", "-s"])])
            _raw(out, "23-added-node1-quorumtool.txt", lab.quorumtool("node1"))
            _save_logs(out, lab, "2y")

    if want("twolinks"):
        # 3. two links (ring0 + ring1), address of link 0 on vmbr0 as a default Proxmox install has it
        with Lab(3, links=2, vmbr=True, log=log) as lab:
            lab.start()
            lab.wait_all_quorate()
            lab.wait("node1 sees both links of node2 and node3 connected",
                     lambda: lab.run("node1", ["corosync-cfgtool", "-s"]).stdout.count("\tconnected") >= 4, 20)
            _raw(out, "30-twolinks-node1-cfgtool-s.txt", lab.run("node1", ["corosync-cfgtool", "-s"]))
            _raw(out, "30-twolinks-node1-cfgtool-n.txt", lab.run("node1", ["corosync-cfgtool", "-n"]))
            _raw(out, "30-twolinks-node1-quorumtool.txt", lab.quorumtool("node1"))
            _raw(out, "30-twolinks-node1-ip-j-addr.json", lab.run("node1", ["ip", "-j", "addr"]))
            _write(out, "30-twolinks-corosync.conf", lab._node("node1").path("/etc/corosync/corosync.conf").read_text())
            lab.port_down("node3", 1)
            lab.wait("node1 sees node3 link 1 down",
                     lambda: "disconnected" in lab.run("node1", ["corosync-cfgtool", "-s"]).stdout, 30)
            _raw(out, "31-twolinks-node3-link1-down-node1-cfgtool-s.txt", lab.run("node1", ["corosync-cfgtool", "-s"]))
            _raw(out, "31-twolinks-node3-link1-down-node1-cfgtool-n.txt", lab.run("node1", ["corosync-cfgtool", "-n"]))
            _raw(out, "31-twolinks-node3-link1-down-node1-quorumtool.txt", lab.quorumtool("node1"))
            lab.port_up("node3", 1)
            _write(out, "3x-timeline.txt", "\n".join(lab.timeline) + "\n")
    if want("vmbr"):
        # 4. one link whose address sits on vmbr0 (the Proxmox default: cluster traffic shares the
        # guests' bridge)
        with Lab(3, vmbr=True, log=log) as lab:
            lab.start()
            lab.wait_all_quorate()
            _raw(out, "40-vmbr-node1-ip-j-addr.json", lab.run("node1", ["ip", "-j", "addr"]))
            _raw(out, "40-vmbr-node1-cfgtool-s.txt", lab.run("node1", ["corosync-cfgtool", "-s"]))
            _write(out, "40-vmbr-corosync.conf", lab._node("node1").path("/etc/corosync/corosync.conf").read_text())
            _write(out, "4x-timeline.txt", "\n".join(lab.timeline) + "\n")

    if want("qdevice"):
        # 5. two nodes and a QDevice (corosync-qnetd on a third host, tls off)
        with Lab(2, qdevice=True, log=log) as lab:
            lab.start()
            both = lambda: all("A,V,NMW" in lab.quorumtool(n).stdout.split("Membership information")[-1]
                               and lab.quorumtool(n).stdout.count("A,V,NMW") == 2 for n in ("node1", "node2"))
            lab.wait("both nodes A,V,NMW with 3 votes", lambda: lab.votes("node1") == 3 and both(), 30)
            _write(out, "50-qdevice-corosync.conf", lab._node("node1").path("/etc/corosync/corosync.conf").read_text())
            _raw(out, "50-qdevice-node1-quorumtool.txt", lab.quorumtool("node1"))
            _raw(out, "50-qdevice-node1-quorumtool-siH.txt", lab.run("node1", ["corosync-quorumtool", "-siH"]))
            _raw(out, "50-qdevice-node1-quorumtool-l.txt", lab.run("node1", ["corosync-quorumtool", "-l"]))
            _raw(out, "50-qdevice-node1-qdevice-tool-s.txt", lab.run("node1", ["corosync-qdevice-tool", "-s"]))
            _raw(out, "50-qdevice-qnetd-tool-l.txt", lab.run("qnetd", ["corosync-qnetd-tool", "-l"]))
            lab.kill("node2", signal.SIGTERM, what="qdevice")
            lab.wait("node1 shows node2's qdevice not registered (NR)",
                     lambda: " NR " in lab.quorumtool("node1").stdout, 30)
            _raw(out, "51-qdevice-stopped-on-node2-node1-quorumtool.txt", lab.quorumtool("node1"))
            lab.start_qdevice("node2")
            lab.wait("both nodes A,V,NMW again", both, 30)
            lab.isolate("node2")
            lab.wait("node2 Quorate: No", lambda: lab.quorate("node2") is False, 30)
            lab.wait("node1 quorate with 2 votes (itself and the QDevice)",
                     lambda: lab.votes("node1") == 2 and bool(lab.quorate("node1")), 30)
            _raw(out, "52-qdevice-isolated-node2-quorumtool.txt", lab.quorumtool("node2"))
            _raw(out, "52-qdevice-isolated-node2-quorumtool-siH.txt", lab.run("node2", ["corosync-quorumtool", "-siH"]))
            _raw(out, "52-qdevice-isolated-majority-node1-quorumtool.txt", lab.quorumtool("node1"))
            _save_logs(out, lab, "5x")
    # 6. a hung corosync (SIGSTOP): the CLI tools hang until a timeout kills them
    if want("hung"):
        with Lab(3, log=log) as lab:
            lab.start()
            lab.wait_all_quorate()
            n3 = lab._node("node3")
            assert n3.corosync is not None
            n3.corosync.send_signal(signal.SIGSTOP)
            lab.note(f"node3: corosync pid {n3.corosync.pid} stopped with SIGSTOP (hung)")
            hung = [lab.run("node3", ["corosync-quorumtool", "-s"], timeout=10),
                    lab.run("node3", ["corosync-quorumtool", "-siH"], timeout=10),
                    lab.run("node3", ["corosync-cfgtool", "-s"], timeout=10)]
            for c in hung:
                lab.note(f"node3: {' '.join(c.argv)}: " + ("timed out after 10 s" if c.timed_out else f"rc={c.rc}")
                         + f", {len(c.text)} bytes of output")
            _write(out, "60-hung-node3-all.txt", hung)
            _raw(out, "60-hung-node3-quorumtool-siH.txt", hung[1])
            lab.wait("node1 sees 2 votes", lambda: lab.votes("node1") == 2, 30)
            _raw(out, "60-hung-majority-node1-quorumtool.txt", lab.quorumtool("node1"))
            n3.corosync.send_signal(signal.SIGCONT)
            lab.note(f"node3: corosync pid {n3.corosync.pid} continued (SIGCONT)")
            _save_logs(out, lab, "6x")
    log("captures written to " + str(out))


# -- `systemctl show` of the Proxmox service names, from a real systemd ---------------------------

PVE_UNITS = ("corosync", "pve-cluster", "pvestatd", "pveproxy", "pvedaemon", "pvescheduler",
             "spiceproxy", "pve-ha-lrm", "pve-ha-crm", "pve-firewall", "watchdog-mux")

_SERVICES_SCRIPT = r"""
set -e
OUT="$1"; W="$2"; shift 2
# systemd refuses a user manager unless /run/systemd/system exists: give it a private /run
mount -t tmpfs fwlab-run /run
mkdir -p /run/systemd/system
export HOME="$W/home" XDG_RUNTIME_DIR="$W/xdg"
U="$HOME/.config/systemd/user"
mkdir -p "$U" "$XDG_RUNTIME_DIR"; chmod 700 "$XDG_RUNTIME_DIR"
for name in "$@"; do
  case "$name" in
    pvestatd) exec_start="/bin/false" ;;   # fails at start: ActiveState=failed
    pve-cluster) exec_start="/bin/sh -c 'trap \"\" TERM; while :; do sleep 1; done'" ;;  # ignores SIGTERM
    *) exec_start="/bin/sleep infinity" ;;
  esac
  printf '[Unit]\nDescription=stand-in for %s\n[Service]\nExecStart=%s\nTimeoutStopSec=5\n[Install]\nWantedBy=default.target\n' \
    "$name" "$exec_start" > "$U/$name.service"
done
/lib/systemd/systemd --user > "$W/systemd.log" 2>&1 &
SD=$!
i=0; until systemctl --user is-system-running >/dev/null 2>&1 || [ $i -ge 50 ]; do sleep 0.1; i=$((i+1)); done
units=""; for name in "$@"; do units="$units $name.service"; done
show() { systemctl --user show -p Id,ActiveState,SubState,UnitFileState,LoadState $units > "$OUT/$1"; }
show 00-services-before-start.txt
systemctl --user enable $units 2>/dev/null
systemctl --user start $(echo $units | sed 's/pvestatd.service//') 
systemctl --user start pvestatd.service || true
sleep 1
show 01-services-pvestatd-failed.txt
systemctl --user stop corosync.service
show 02-services-corosync-stopped.txt
systemctl --user stop --no-block pve-cluster.service pveproxy.service
sleep 1
show 03-services-pve-cluster-stop-hung.txt
# systemd SIGKILLs the stand-in after TimeoutStopSec; then everything is started again
i=0; until [ "$(systemctl --user show -p ActiveState --value pve-cluster.service)" != deactivating ] || [ $i -ge 100 ]; do sleep 0.1; i=$((i+1)); done
sed -i 's#^ExecStart=/bin/false#ExecStart=/bin/sleep infinity#' "$U/pvestatd.service"
systemctl --user daemon-reload
systemctl --user reset-failed
systemctl --user start $units
sleep 1
show 04-services-all-running.txt
systemctl --version | head -1 > "$OUT/versions.txt"
systemctl --user stop $units
kill $SD; wait $SD || true
"""


def capture_services(out: Path, log: Callable[[str], None] = print) -> None:
    """Real `systemctl show -p Id,ActiveState,SubState,UnitFileState,LoadState` output for units
    named after the Proxmox services, from a systemd 252 user manager (`systemctl --user`) in a
    private mount namespace. The units are stand-ins (`sleep infinity`, `/bin/false` for a unit
    that fails, a shell that ignores SIGTERM for one whose stop hangs): the states and the text
    are systemd's own."""
    if os.geteuid() != 0:
        raise PermissionError("needs root (a private mount namespace)")
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="fwlab-systemd-") as wd:
        proc = subprocess.Popen(["unshare", "--mount", "--propagation", "private", "sh", "-c", _SERVICES_SCRIPT,
                                 "fwlab-services", str(out.resolve()), wd, *PVE_UNITS],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                start_new_session=True)
        try:
            _, err = proc.communicate(timeout=90)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the script, its systemd --user and what it started
            proc.communicate()
            raise
        if proc.returncode != 0:
            raise RuntimeError(f"services capture failed: {err.strip()}")
    log("service captures written to " + str(out))


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("capture", help="produce the captures of tests/evidence/corosync-lab-2")
    c.add_argument("out", type=Path)
    c.add_argument("--only", action="append", choices=SCENARIOS, default=[],
                   help="run only this scenario (repeatable)")
    u = sub.add_parser("up", help="run a cluster until Ctrl-C")
    u.add_argument("-n", "--nodes", type=int, default=3)
    u.add_argument("--links", type=int, default=1)
    u.add_argument("--vmbr", action="store_true")
    u.add_argument("--ssh", action="store_true",
                   help="Proxmox-like nodes reachable over SSH: sshd, /etc/pve, a pvecm stand-in, chrony, "
                        "and a client namespace to run forewarn from")
    cs = sub.add_parser("capture-services", help="systemctl show of Proxmox-named stand-in units")
    cs.add_argument("out", type=Path)
    sub.add_parser("clean", help="delete fwlab-* namespaces left by a killed run")
    args = ap.parse_args(argv)
    # SIGTERM ends the process through SystemExit, so `with Lab` and atexit still clean up
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.cmd == "clean":
        print("deleted:", " ".join(clean()) or "nothing")
        return 0
    if args.cmd == "capture":
        capture_all(args.out, only=args.only)
        return 0
    if args.cmd == "capture-services":
        capture_services(args.out)
        return 0
    ntp = args.ssh and shutil.which("chronyd", path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin") is not None
    with Lab(args.nodes, links=args.links, vmbr=args.vmbr, log=print, ssh=args.ssh, pve=args.ssh, ntp=ntp) as lab:
        lab.start()
        lab.wait_all_quorate()
        if ntp:
            lab.wait_time_synced()
        print(json.dumps({n.name: {"netns": n.netns, "holder_pid": n.holder.pid if n.holder else None,
                                   "enter": " ".join(lab._enter(n))} for n in lab.nodes}, indent=2))
        if args.ssh:
            forewarn = Path(sys.executable).parent / "forewarn"
            print("scan it from the client namespace (lab addresses are reachable only there):")
            print("  " + " ".join(lab.client_argv([str(forewarn), "scan", "--cluster", f"root@{node_addr(1)}"])))
        print("Ctrl-C ends the lab")
        try:
            signal.pause()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
