"""What the SSH source says when a node does not let it in, against servers on loopback.

No root and no lab: a TCP listener that never speaks, and a real asyncssh server whose host key
is not the one known_hosts has for its (non-22) port. The lab (tests/test_live_lab.py) covers
the same against OpenSSH's sshd.
"""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import asyncssh
import pytest

from forewarn.collect.sources.base import SourceError
from forewarn.collect.sources.ssh import SSHOptions, SSHSource
from forewarn.collect.targets import Target


def _options(tmp_path: Path, **kw: object) -> SSHOptions:
    config = tmp_path / "ssh_config"
    config.write_text("")  # never the user's own ~/.ssh/config
    return SSHOptions(config_files=(str(config),), extra={"agent_path": None}, **kw)  # type: ignore[arg-type]


async def _open_error(src: SSHSource) -> str:
    with pytest.raises(SourceError) as exc:
        await src.open()
    return str(exc.value)


def test_a_port_that_accepts_and_stays_silent_is_not_called_filtered(tmp_path: Path) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)  # the kernel completes the handshakes; nothing is ever sent
    port = listener.getsockname()[1]
    try:
        src = SSHSource(Target("127.0.0.1", "root", port), _options(tmp_path, connect_timeout=1.0))
        msg = asyncio.run(_open_error(src))
    finally:
        listener.close()
    assert "filtered" not in msg, msg
    assert f"port {port} accepted the connection but sent no SSH greeting within 1 s" in msg, msg


def test_host_key_mismatch_on_another_port_names_the_bracketed_entry(tmp_path: Path) -> None:
    """known_hosts keys a non-22 port as `[host]:port`; `ssh-keygen -R host` would not remove it."""
    served, other = asyncssh.generate_private_key("ssh-ed25519"), asyncssh.generate_private_key("ssh-ed25519")

    async def go() -> str:
        server = await asyncssh.create_server(asyncssh.SSHServer, "127.0.0.1", 0, server_host_keys=[served])
        port = server.sockets[0].getsockname()[1]
        known = tmp_path / "known_hosts"
        known.write_text(f"[127.0.0.1]:{port} {other.export_public_key().decode().strip()}\n")
        try:
            src = SSHSource(Target("127.0.0.1", "root", port), _options(tmp_path, known_hosts=(str(known),)))
            return f"{port}|" + await _open_error(src)
        finally:
            server.close()
            await server.wait_closed()

    port, msg = asyncio.run(go()).split("|", 1)
    assert "host key MISMATCH" in msg, msg
    assert f"`ssh-keygen -R '[127.0.0.1]:{port}'`" in msg, msg
