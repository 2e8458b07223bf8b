"""The SSH source: run collection commands on a node over one SSH connection (asyncssh).

What it honours, like `ssh` does: `~/.ssh/config` (Host blocks, HostName, Port, User,
IdentityFile, ProxyJump, ConnectTimeout ... as far as asyncssh supports them), the agent
(`SSH_AUTH_SOCK`) and the default keys. Host keys are checked against known_hosts
(`~/.ssh/known_hosts` and `/etc/ssh/ssh_known_hosts`, or the files the config names, or the
one given with `--known-hosts`); an unknown or changed host key refuses the node. Only the
loudly named `--insecure-no-host-key-check` turns that off.

Every command runs on the node as

    timeout -k 2 <N> sh -c '<script>'

GNU `timeout` (coreutils, on every Proxmox node) makes itself a process group leader and
signals the whole group, so a hung `pvecm status` and everything it started die on the node
itself. A local asyncio deadline a little later is the backstop for a node that stops answering:
it sends TERM over the channel (timeout forwards it to its group) and closes the channel.
On a node without `timeout` (no GNU coreutils: `open` checks), scripts run as plain
`sh -c '<script>'` under the local deadline alone. Output beyond `max_bytes` is cut and the
channel closed (the writer then gets SIGPIPE).
A connection that drops turns the command running and every later one into
`error: connection lost`; nothing here raises for a command's own failure.
"""

from __future__ import annotations

import asyncio
import errno
import os
import shlex
import socket
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import asyncssh

from forewarn.collect.sources.base import CommandResult, SourceError
from forewarn.collect.targets import Target

KILL_AFTER = 2.0  # seconds between timeout's TERM and its KILL on the node
BACKSTOP_GRACE = 3.0  # the local deadline is timeout + KILL_AFTER + this
MAX_STDERR = 64 * 1024
DEFAULT_KNOWN_HOSTS = ("~/.ssh/known_hosts", "~/.ssh/known_hosts2", "/etc/ssh/ssh_known_hosts",
                       "/etc/ssh/ssh_known_hosts2")
LOST = "connection lost"
_HAS_TIMEOUT = "forewarn-has-timeout"


@dataclass(frozen=True, slots=True)
class SSHOptions:
    """How to connect; the same for every node of a scan."""

    config_files: tuple[str, ...] = ()  # `-F`; default ~/.ssh/config
    identity_files: tuple[str, ...] = ()  # `-i`; added to the agent's and the default keys
    known_hosts: tuple[str, ...] = ()  # default: the config's, or ~/.ssh/known_hosts + /etc/ssh/...
    insecure_no_host_key_check: bool = False
    connect_timeout: float = 10.0
    keepalive_interval: float = 5.0  # a silent node is declared lost after interval x 3
    max_channels: int = 4  # concurrent commands per node (sshd's MaxSessions is 10)
    extra: dict[str, Any] = field(default_factory=dict)  # more asyncssh options (tests)


class SSHSource:
    """One node reached over SSH; implements `forewarn.collect.sources.base.Source`."""

    def __init__(self, target: Target | str, options: SSHOptions | None = None, *,
                 name: str | None = None) -> None:
        self.target = target if isinstance(target, Target) else Target.parse(target)
        self.options = options or SSHOptions()
        # until `open` learns the node's host name: the cluster's name for it, or the target
        self.node = name or self.target.host
        self.hostname: str | None = None
        self.username: str | None = None  # as logged in (the target's, the config's or the local user)
        self.port: int | None = None
        self._conn: Any = None
        self.lost: str | None = None  # why the connection is gone (every later run fails fast)
        self._sem = asyncio.Semaphore(max(1, self.options.max_channels))
        self._channels: set[Any] = set()
        self._wrap = True  # run commands under the node's `timeout` (checked by `open`)

    def __repr__(self) -> str:
        return f"SSHSource({str(self.target)!r}, node={self.node!r})"

    @property
    def where(self) -> str:
        return str(self.target)

    # -- connecting -------------------------------------------------------------------------
    def _connection_options(self) -> Any:
        o = self.options
        kw: dict[str, Any] = {
            "host": self.target.host,
            "connect_timeout": o.connect_timeout,
            "login_timeout": o.connect_timeout * 2,
            "keepalive_interval": o.keepalive_interval,
            "keepalive_count_max": 3,
            **o.extra,
        }
        if self.target.port:
            kw["port"] = self.target.port
        if self.target.user:
            kw["username"] = self.target.user
        # () is asyncssh's "load ~/.ssh/config if it exists" (None would load nothing)
        kw["config"] = list(o.config_files) if o.config_files else ()
        if o.identity_files:
            kw["client_keys"] = list(o.identity_files)
            kw["ignore_encrypted"] = True
        if o.insecure_no_host_key_check:
            kw["known_hosts"] = None
        elif o.known_hosts:
            kw["known_hosts"] = list(o.known_hosts)
        opts = asyncssh.SSHClientConnectionOptions(**kw)
        if not o.insecure_no_host_key_check and not o.known_hosts and opts.known_hosts == []:
            # the config names no known_hosts file: check the user's and the system's, as ssh does
            # (on Proxmox /etc/ssh/ssh_known_hosts holds every cluster node's key)
            found = [str(p) for p in (Path(f).expanduser() for f in DEFAULT_KNOWN_HOSTS)
                     if p.is_file() and os.access(p, os.R_OK)]
            if found:
                opts = asyncssh.SSHClientConnectionOptions(opts, known_hosts=found)
        return opts

    async def open(self) -> None:
        try:
            opts = await asyncio.get_running_loop().run_in_executor(None, self._connection_options)
        except (OSError, ValueError, asyncssh.Error) as exc:
            raise SourceError(f"{self.where}: bad SSH options: {_one_line(exc)}") from None
        try:
            self._conn = await asyncio.wait_for(asyncssh.connect(self.target.host, options=opts),
                                                self.options.connect_timeout * 3 + 5)
        except asyncssh.HostKeyNotVerifiable as exc:
            raise SourceError(self._host_key_reason(opts, exc)) from None
        except asyncssh.PermissionDenied:
            user = opts.username
            raise SourceError(f"{self.where}: authentication refused for user {user} (no key was accepted: "
                              "check ssh-agent, IdentityFile / -i, and the node's authorized_keys)") from None
        except (asyncio.TimeoutError, TimeoutError):
            raise SourceError(await self._silent(opts)) from None
        except ConnectionRefusedError:
            raise SourceError(f"{self.where}: connection refused on port {opts.port} "
                              "(no SSH server listening: sshd stopped?)") from None
        except socket.gaierror as exc:
            raise SourceError(f"{self.where}: cannot resolve host name {self.target.host!r} "
                              f"({exc.strerror or exc})") from None
        except OSError as exc:
            what = {errno.EHOSTUNREACH: "host unreachable", errno.ENETUNREACH: "network unreachable",
                    errno.ECONNRESET: "connection reset"}.get(exc.errno or 0, exc.strerror or str(exc))
            raise SourceError(f"{self.where}: {what}") from None
        except asyncssh.Error as exc:
            raise SourceError(f"{self.where}: SSH failed: {_one_line(exc.reason or exc)}") from None
        self.username, self.port = opts.username, opts.port
        # the node's name, and whether it has GNU timeout (coreutils: every Proxmox node does);
        # this one command runs without it, under the local deadline only
        self._wrap = False
        res = await self.run(f"uname -n; command -v timeout >/dev/null 2>&1 && echo {_HAS_TIMEOUT}",
                             timeout=10, max_bytes=4096)
        lines = res.stdout.decode("utf-8", "replace").splitlines()
        if res.rc != 0 or not lines:
            # a nologin shell, a forced command, a hung login: nothing would run, say it once
            err = res.stderr.decode("utf-8", "replace").strip().splitlines()
            why = res.error or ("no answer within 10 s" if res.timed_out else None) or \
                (err[-1] if err else f"exit status {res.rc}")
            await self.close()
            raise SourceError(f"{self.where}: logged in, but cannot run commands there ({why})")
        self._wrap = _HAS_TIMEOUT in lines
        name = lines[0].strip().split(".", 1)[0] if res.rc == 0 and lines else ""
        if name and name != _HAS_TIMEOUT:
            self.hostname = name
            self.node = name  # Proxmox's node name: the host name up to the first dot

    async def _silent(self, opts: Any) -> str:
        """Why a connection timed out: a port that accepted TCP and then said nothing is not
        filtered (a hung or overloaded sshd, or not an SSH server); asyncssh's timeout covers
        both, so a direct connection is tried once more without SSH to tell them apart."""
        secs = self.options.connect_timeout
        if getattr(opts, "proxy_command", None) or getattr(opts, "tunnel", None):
            return f"{self.where}: no answer within {secs:g} s (through the ProxyCommand/ProxyJump of the SSH config)"
        host, port = getattr(opts, "host", None) or self.target.host, getattr(opts, "port", None) or 22
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), min(secs, 5.0))
        except (OSError, asyncio.TimeoutError, TimeoutError):
            return f"{self.where}: no answer within {secs:g} s (node down, or the port is filtered)"
        writer.close()
        return (f"{self.where}: port {port} accepted the connection but sent no SSH greeting within {secs:g} s "
                "(sshd hung or overloaded, or not an SSH server)")

    def _host_key_reason(self, opts: Any, exc: Exception) -> str:
        host = getattr(opts, "host", None) or self.target.host  # after ~/.ssh/config's HostName
        port = getattr(opts, "port", 22)
        files = opts.known_hosts if isinstance(opts.known_hosts, list) else []
        known = False
        for f in files:
            try:
                keys = asyncssh.match_known_hosts(str(Path(f).expanduser()), host, host,
                                                  port if port != 22 else None)[0]
            except (OSError, ValueError):
                continue
            known = known or bool(keys)
        if known:
            # known_hosts names a host on another port `[host]:port`, and so must ssh-keygen -R
            entry = host if port in (None, 22) else f"'[{host}]:{port}'"
            return (f"{self.where}: host key MISMATCH: the key {host} offers is not the one known_hosts "
                    f"has for it (a reinstalled node, or someone in the middle); check it, "
                    f"then `ssh-keygen -R {entry}`")
        where = ", ".join(files) if files else "known_hosts"
        return (f"{self.where}: host key unknown: {host} is not in {where} (connect once with "
                "`ssh` to check and accept it; --insecure-no-host-key-check skips the check)")

    # -- running ----------------------------------------------------------------------------
    async def run(self, script: str, *, timeout: float, max_bytes: int) -> CommandResult:
        started = _now()
        if self.lost or self._conn is None:
            return CommandResult(b"", b"", None, started, _now(), error=self.lost or "not connected")

        secs = max(1, int(-(-timeout // 1)))  # whole seconds, rounded up
        command = f"sh -c {shlex.quote(script)}"
        if self._wrap:
            command = f"timeout -k {KILL_AFTER:g} {secs} {command}"
        async with self._sem:
            started = _now()
            t0 = asyncio.get_running_loop().time()
            try:
                chan, session = await self._conn.create_session(
                    lambda: _Collector(max_bytes), command, encoding=None)
            except asyncssh.ChannelOpenError as exc:
                if self._conn.is_closed():  # the node went away between two commands
                    self.lost = LOST
                    return CommandResult(b"", b"", None, started, _now(),
                                         error=f"{LOST} ({_one_line(exc.reason)})")
                return CommandResult(b"", b"", None, started, _now(),
                                     error=f"could not open a channel: {_one_line(exc.reason)}")
            except (asyncssh.Error, OSError) as exc:
                self.lost = LOST
                return CommandResult(b"", b"", None, started, _now(), error=f"{LOST} ({_one_line(exc)})")
            self._channels.add(chan)
            try:
                chan.write_eof()
            except (OSError, asyncssh.Error):
                pass
            backstop = False
            try:
                await asyncio.wait_for(asyncio.shield(session.done),
                                       secs + (KILL_AFTER + BACKSTOP_GRACE if self._wrap else 0))
            except (asyncio.TimeoutError, TimeoutError):
                backstop = True
                _stop(chan)
            except asyncio.CancelledError:
                _stop(chan)
                raise
            finally:
                self._channels.discard(chan)
            ended = _now()
            elapsed = asyncio.get_running_loop().time() - t0
        exc = session.done.result() if session.done.done() else None
        out, err = bytes(session.out), bytes(session.err)
        rc = session.rc
        # 124: timeout sent TERM; 137: it had to send KILL too (the script itself rarely exits so,
        # and never only after its full time)
        timed_out = backstop or (rc in (124, 128 + 9) and elapsed >= secs - 0.5)
        if timed_out:
            rc = None
        error = None
        if exc is not None and not session.truncated and not backstop:
            self.lost = LOST
            error = LOST
            rc = None
        elif rc is None and session.signal and not timed_out and not session.truncated:
            error = f"killed by signal {session.signal}"
        return CommandResult(out, err, rc, started, ended, timed_out=timed_out,
                             truncated=session.truncated, error=error)

    async def close(self) -> None:
        for chan in list(self._channels):
            try:
                chan.send_signal("TERM")
            except Exception:  # noqa: BLE001 - best effort on a channel that may be gone
                pass
            chan.close()
        if self._conn is not None:
            self._conn.close()
            try:
                await asyncio.wait_for(self._conn.wait_closed(), 5)
            except (asyncio.TimeoutError, TimeoutError, OSError):
                self._conn.abort()
            self._conn = None


class _Collector(asyncssh.SSHClientSession):  # type: ignore[type-arg]
    """Gathers one command's stdout (capped), stderr (capped), exit status and end."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.out = bytearray()
        self.err = bytearray()
        self.rc: int | None = None
        self.signal: str | None = None
        self.truncated = False
        self.done: asyncio.Future[Exception | None] = asyncio.get_running_loop().create_future()
        self._chan: Any = None

    def connection_made(self, chan: Any) -> None:
        self._chan = chan

    def data_received(self, data: bytes, datatype: int | None) -> None:
        if datatype:  # stderr
            room = MAX_STDERR - len(self.err)
            if room > 0:
                self.err += data[:room]
            return
        if self.truncated:
            return
        room = self.max_bytes - len(self.out)
        if len(data) > room:
            self.out += data[:max(room, 0)]
            self.truncated = True
            if self._chan is not None:
                self._chan.close()  # enough: the command gets SIGPIPE at its next write
        else:
            self.out += data

    def exit_status_received(self, status: int) -> None:
        self.rc = status

    def exit_signal_received(self, signal: str, core_dumped: bool, msg: str, lang: str) -> None:
        self.signal = signal

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            self.done.set_result(exc)


def _stop(chan: Any) -> None:
    """The local deadline: TERM (which `timeout` passes on to its group), KILL, close the channel.
    OpenSSH servers older than 7.9 ignore signal requests; closing the channel still ends the
    command at its next write (SIGPIPE), and `timeout` ends it anyway."""
    for sig in ("TERM", "KILL"):
        try:
            chan.send_signal(sig)
        except (OSError, ValueError, asyncssh.Error):
            break
    chan.close()


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _one_line(value: object) -> str:
    text = str(value).strip().splitlines()
    return text[0] if text else type(value).__name__
