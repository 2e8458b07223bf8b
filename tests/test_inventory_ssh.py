"""`forewarn scan -i` and `collect -i` over real SSH on loopback: the hosts an inventory lists are
reached on their `ansible_host`/`ansible_port` as their `ansible_user`, and named after it.

Each "node" is a real asyncssh server on 127.0.0.1 with its own host key (checked against a
known_hosts file) and a client key to log in with; it runs what it is sent with `/bin/sh -c`
on this machine, with `uname -n` and `hostname` answering the node's name. Like
tests/test_ssh_source.py, no root and no lab.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncssh
import pytest

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
HOSTILE = "127.0.0.1 -oProxyCommand=touch$IFS/tmp/forewarn-pwned"


class Nodes:
    """SSH servers on loopback, one per node name, in a thread of their own."""

    def __init__(self, tmp: Path, names: list[str]) -> None:
        self.tmp = tmp
        self.names = names
        self.ports: dict[str, int] = {}
        self.logins: list[tuple[str, str]] = []  # (node, user) of every accepted login
        self.client_key = asyncssh.generate_private_key("ssh-ed25519")
        self.host_keys = {n: asyncssh.generate_private_key("ssh-ed25519") for n in names}
        self.loop = asyncio.new_event_loop()
        self.servers: list[Any] = []
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def _shims(self, name: str) -> Path:
        d = self.tmp / f"bin-{name}"
        d.mkdir()
        for prog, real in (("uname", "/usr/bin/uname"), ("hostname", "/bin/hostname")):
            (d / prog).write_text(f'#!/bin/sh\ncase "$1" in -n|"") echo {name};; *) exec {real} "$@";; esac\n')
            (d / prog).chmod(0o755)
        return d

    def _factory(self, name: str, shims: Path) -> Any:
        async def handle(process: asyncssh.SSHServerProcess[bytes]) -> None:
            env = {"PATH": f"{shims}:/usr/bin:/bin", "HOME": str(self.tmp), "LC_ALL": "C"}
            proc = await asyncio.create_subprocess_exec("/bin/sh", "-c", process.command or "true", env=env,
                                                        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                                        stderr=subprocess.PIPE, start_new_session=True)
            out, err = await proc.communicate()
            try:
                process.stdout.write(out)
                process.stderr.write(err)
                rc = proc.returncode or 0
                process.exit(rc if rc >= 0 else 128 - rc)
            except (OSError, asyncssh.Error):
                pass  # the client closed the channel first (its own deadline)
        return handle

    def _server_class(self, name: str) -> Any:
        logins = self.logins

        class Server(asyncssh.SSHServer):
            def begin_auth(self, username: str) -> bool:
                logins.append((name, username))
                return True
        return Server

    async def _start(self) -> None:
        authorized = asyncssh.import_authorized_keys(self.client_key.export_public_key().decode())
        for name in self.names:
            server = await asyncssh.create_server(
                self._server_class(name), "127.0.0.1", 0, server_host_keys=[self.host_keys[name]],
                authorized_client_keys=authorized, process_factory=self._factory(name, self._shims(name)),
                encoding=None)
            self.servers.append(server)
            self.ports[name] = server.sockets[0].getsockname()[1]

    def __enter__(self) -> "Nodes":
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(30)
        return self

    def __exit__(self, *exc: object) -> None:
        async def stop() -> None:
            for s in self.servers:
                s.close()
                await s.wait_closed()
        asyncio.run_coroutine_threadsafe(stop(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)

    def client_files(self) -> list[str]:
        """The SSH options of a scan: this client key, these host keys, no user config."""
        key = self.tmp / "id_ed25519"
        key.write_bytes(self.client_key.export_private_key())
        key.chmod(0o600)
        known = self.tmp / "known_hosts"
        known.write_text("".join(f"[127.0.0.1]:{self.ports[n]} {self.host_keys[n].export_public_key().decode()}"
                                 for n in self.names))
        config = self.tmp / "ssh_config"
        config.write_text("")
        return ["--identity", str(key), "--known-hosts", str(known), "--ssh-config", str(config)]


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.fixture
def nodes(tmp_path: Path) -> Iterator[Nodes]:
    with Nodes(tmp_path, ["pve-0", "pve-1", "pve-a"]) as n:
        yield n


def _inventory(nodes: Nodes, path: Path) -> Path:
    """The shape of a real PVE inventory (tests/evidence/inventory/t3knoid-pve.ini), with loopback
    addresses: one host whose node calls itself by another name, one that is down, one hostile."""
    p = nodes.ports
    path.write_text(f"""[pvenodes]
pve-0 ansible_host=127.0.0.1 ansible_port={p['pve-0']}
pve-1 ansible_host=127.0.0.1 ansible_port={p['pve-1']} ansible_user=admin
proxmox-a ansible_host=127.0.0.1 ansible_port={p['pve-a']}
pve-2 ansible_host=127.0.0.1 ansible_port={_closed_port()}

[pvenodes:vars]
ansible_user=root

[rproxy]
rproxy-0 ansible_host='{HOSTILE}'

[template]
pve-1
""")
    return path


def _forewarn(*args: str, home: Path, path: str = "/usr/bin:/bin") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "forewarn.cli.main", *args], capture_output=True, text=True,
                          timeout=300, cwd=ROOT, env={"HOME": str(home), "PATH": path})


def test_scan_reaches_the_hosts_of_an_ini_inventory_and_names_them(nodes: Nodes, tmp_path: Path) -> None:
    inv = _inventory(nodes, tmp_path / "inv.ini")
    res = _forewarn("scan", "-i", str(inv), "--format", "json", "--budget", "60", "--connect-timeout", "5",
                    *nodes.client_files(), home=tmp_path)
    assert res.returncode == 1, res.stderr
    assert "Traceback" not in res.stderr
    report = json.loads(res.stdout)
    # reached on their ports, as the inventory's users (the group's root, pve-1's own admin)
    assert sorted(nodes.logins) == [("pve-0", "root"), ("pve-1", "admin"), ("pve-a", "root")]
    collected = {n["node"] for n in report["inputs"]["nodes"]} if isinstance(report.get("inputs"), dict) and \
        "nodes" in report["inputs"] else None
    fw = {f["nodes"][0]: f["message"] for f in report["findings"] if f["code"] == "FW908"}
    # the down host and the hostile one are FW908 under their inventory names; the rest are scanned
    assert set(fw) == {"pve-2", "rproxy-0"}, fw
    assert f"127.0.0.1:{nodes.ports['pve-0']}" not in " ".join(fw.values())
    assert "connection refused" in fw["pve-2"]
    assert repr(HOSTILE) in fw["rproxy-0"] and "ansible_host" in fw["rproxy-0"] and "not contacted" in fw["rproxy-0"]
    assert not Path("/tmp/forewarn-pwned").exists()
    text = json.dumps(report)
    assert "proxmox-a answered as pve-a" in text  # the node's own name, and which inventory host it is
    assert set(report["summary"]["not_checked"]) == {"pve-2", "rproxy-0"}, (report["summary"], collected)


def test_limit_and_collect_through_ansible_inventory(nodes: Nodes, tmp_path: Path) -> None:
    """`collect -i --limit` with Ansible on PATH (the real ansible-inventory reads the file): only
    the selected hosts are contacted, and the bundle's nodes are theirs."""
    if not (VENV_BIN / "ansible-inventory").exists():
        pytest.skip("ansible-core (the test extra) is not installed")
    inv = _inventory(nodes, tmp_path / "inv.ini")
    out = tmp_path / "b.tar.gz"
    res = _forewarn("collect", "-q", "-i", str(inv), "--limit", "pvenodes:!template:!pve-2", "-o", str(out),
                    "--budget", "60", *nodes.client_files(), home=tmp_path, path=f"{VENV_BIN}:/usr/bin:/bin")
    assert res.returncode == 0, (res.stdout, res.stderr)
    assert sorted(nodes.logins) == [("pve-0", "root"), ("pve-a", "root")]
    assert "(ansible-inventory, --limit pvenodes:!template:!pve-2): 2 host(s)" in res.stdout, res.stdout
    with tarfile.open(out) as tar:
        manifest = json.load(tar.extractfile(next(m for m in tar.getmembers()  # type: ignore[arg-type]
                                                  if m.name.endswith("manifest.json"))))
    assert sorted(manifest["collection"]["nodes"]) == ["pve-0", "pve-a"]
    assert os.stat(out).st_mode & 0o077 == 0


def test_the_config_files_inventory_is_the_default_target(tmp_path: Path) -> None:
    """`inventory` and `limit` in forewarn.toml: `forewarn scan` alone scans them; a bundle on the
    command line is scanned instead (the config's inventory is a default, not an addition)."""
    port = _closed_port()
    (tmp_path / "hosts.ini").write_text(f"[pve]\npve-9 ansible_host=127.0.0.1 ansible_port={port}\n"
                                        f"pve-8 ansible_host=127.0.0.1 ansible_port={port}\n")
    (tmp_path / "forewarn.toml").write_text('inventory = "hosts.ini"\nlimit = "pve:!pve-8"\n')
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    cmd = [sys.executable, "-m", "forewarn.cli.main", "scan", "--format", "json", "--connect-timeout", "5"]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env)
    assert res.returncode == 1, res.stderr
    fw = [f for f in json.loads(res.stdout)["findings"] if f["code"] == "FW908"]
    assert [f["nodes"] for f in fw] == [["pve-9"]] and f"connection refused on port {port}" in fw[0]["message"]
    bundle = ROOT / "examples/seed001-quorum-flap"
    res = subprocess.run(cmd + [str(bundle)], capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env)
    assert res.returncode in (0, 1) and "FW908" not in res.stdout, res.stderr


def test_inventory_usage_errors(tmp_path: Path) -> None:
    bad = tmp_path / "hosts.ini"
    bad.write_text("[pve]\npve-1 ansible_port\n")
    for args, says in ((["--limit", "pve1"], "give -i INVENTORY too"),
                       (["-i", str(bad)], f"forewarn: {bad}:2: expected key=value after the host"),
                       (["-i", str(ROOT / "tests/evidence/inventory/t3knoid-pve.ini"), "--limit", "nosuch"],
                        "--limit 'nosuch' selects no host"),
                       (["-i", str(bad), str(ROOT / "examples/seed001-quorum-flap")], "not both")):
        res = _forewarn("scan", *args, home=tmp_path)
        assert res.returncode == 2 and says in res.stderr, (args, res.stderr)
        assert "Traceback" not in res.stderr and "collecting" not in res.stderr
