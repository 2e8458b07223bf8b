"""The local source: run collection scripts on this host, hang-proof.

Each script runs as `/bin/sh -c SCRIPT` in a new session (`start_new_session=True`), so the
shell and everything it starts share one process group that nothing else is in. Stdin is
/dev/null. Stdout is read up to `max_bytes`; beyond that the output is cut and the group is
stopped (we have what we keep). At the timeout the whole group gets SIGTERM, then SIGKILL after
a grace period, so a `stat` on a dead NFS mount or a hung `pvecm` never hangs forewarn. When the
shell has exited, whatever it left running is killed, in its group or not: a `setsid` descendant
is found through forewarn being a child subreaper and the command's environment marker
(`reaper.py`). A process stuck in the kernel that survives SIGKILL is abandoned (and said so in
`error`) rather than waited for. A command's own failure is returned, never raised.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
from datetime import datetime, timezone

from forewarn.collect.sources import reaper
from forewarn.collect.sources.base import CommandResult, SourceError

MAX_STDERR = 64 * 1024
TERM_GRACE = 1.0  # SIGTERM -> SIGKILL
KILL_WAIT = 3.0  # after SIGKILL, how long to wait for the process to go before abandoning it
DRAIN = 0.5  # after the shell exits, how long to wait for descendants to close the pipes


def _now() -> datetime:
    return datetime.now(timezone.utc)


def local_node_name() -> str:
    """This host's name as Proxmox uses it: the host name up to the first dot."""
    return socket.gethostname().split(".", 1)[0] or "localhost"


class LocalSource:
    """This host; implements `forewarn.collect.sources.base.Source`."""

    where = "local"

    def __init__(self, node: str | None = None, *, env: dict[str, str] | None = None,
                 shell: str = "/bin/sh") -> None:
        self.node = node or local_node_name()
        self.env = env
        self.shell = shell
        self.lost: str | None = None
        self._groups: set[int] = set()
        self._jobs = f"{os.getpid()}.{id(self):x}."  # this source's commands' marker prefix
        self._count = 0
        self._reaping = False

    def __repr__(self) -> str:
        return f"LocalSource(node={self.node!r})"

    async def open(self) -> None:
        if not os.access(self.shell, os.X_OK):
            raise SourceError(f"local: {self.shell} is not there or not executable")
        if not self._reaping:
            reaper.acquire()
            self._reaping = True

    async def close(self) -> None:
        for pgid in list(self._groups):
            _killpg(pgid, signal.SIGKILL)
        self._groups.clear()
        await reaper.kill_marked(self._jobs, prefix=True)
        if self._reaping:
            reaper.release()
            self._reaping = False

    async def run(self, script: str, *, timeout: float, max_bytes: int) -> CommandResult:
        started = _now()
        self._count += 1
        job = f"{self._jobs}{self._count}"
        env = {**(os.environ if self.env is None else self.env), reaper.MARK: job}
        try:
            proc = await asyncio.create_subprocess_exec(
                self.shell, "-c", script, stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
                start_new_session=True, env=env)
        except OSError as exc:
            return CommandResult(b"", b"", None, started, _now(), error=f"could not start {self.shell}: {exc}")
        pgid = proc.pid
        self._groups.add(pgid)
        out = bytearray()
        err = bytearray()
        full = asyncio.Event()
        assert proc.stdout is not None and proc.stderr is not None

        async def read_out() -> None:
            while True:
                chunk = await proc.stdout.read(65536)  # type: ignore[union-attr]
                if not chunk:
                    return
                room = max_bytes - len(out)
                if len(chunk) > room:
                    out.extend(chunk[:max(room, 0)])
                    full.set()
                    return
                out.extend(chunk)

        async def read_err() -> None:
            while True:
                chunk = await proc.stderr.read(65536)  # type: ignore[union-attr]
                if not chunk:
                    return
                room = MAX_STDERR - len(err)
                if room > 0:
                    err.extend(chunk[:room])

        readers = asyncio.ensure_future(asyncio.gather(read_out(), read_err()))
        # not proc.wait(): in Python 3.11 it also waits for the pipes, which a background
        # descendant may hold open long after the shell exited
        waiter = asyncio.ensure_future(_exited(proc))
        limit = asyncio.ensure_future(full.wait())
        timed_out = truncated = False
        error: str | None = None
        try:
            done, _ = await asyncio.wait({waiter, limit}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            if limit in done:
                truncated = True
            elif waiter not in done:
                timed_out = True
            if truncated or timed_out:
                error = await self._stop(proc, waiter, job)
            # the shell is gone; descendants that outlive it may still hold the pipes open
            try:
                await asyncio.wait_for(asyncio.shield(readers), DRAIN)
                drained = True
            except (asyncio.TimeoutError, TimeoutError):
                drained = False
            # leftovers of a finished command: its group, and what left the group (setsid)
            _killpg(pgid, signal.SIGKILL)
            await reaper.kill_marked(job, spare=proc.pid)
            if not drained:
                try:
                    await asyncio.wait_for(asyncio.shield(readers), DRAIN)
                except (asyncio.TimeoutError, TimeoutError):
                    pass
        except asyncio.CancelledError:
            await self._stop(proc, waiter, job)
            raise
        finally:
            for fut in (readers, limit, waiter):
                if not fut.done():
                    fut.cancel()
            if proc.returncode is not None:
                self._groups.discard(pgid)
            _release(proc)
        rc = proc.returncode
        if timed_out:
            rc = None
        return CommandResult(bytes(out), bytes(err), rc, started, _now(), timed_out=timed_out,
                             truncated=truncated, error=error)

    async def _stop(self, proc: asyncio.subprocess.Process, waiter: asyncio.Future[None], job: str) -> str | None:
        """SIGTERM the group, then SIGKILL it and every other descendant; None when the shell
        went, else why it did not."""
        pgid = proc.pid
        _killpg(pgid, signal.SIGTERM)
        try:
            await asyncio.wait_for(asyncio.shield(waiter), TERM_GRACE)
        except (asyncio.TimeoutError, TimeoutError):
            pass
        # the group's other members may ignore SIGTERM even when the shell went: KILL them all
        _killpg(pgid, signal.SIGKILL)
        await reaper.kill_marked(job, spare=proc.pid)
        try:
            await asyncio.wait_for(asyncio.shield(waiter), KILL_WAIT)
        except (asyncio.TimeoutError, TimeoutError):
            return ("the command did not exit after SIGKILL (stuck in the kernel, e.g. on a dead "
                    "NFS mount); it was abandoned")
        return None


async def _exited(proc: asyncio.subprocess.Process) -> None:
    """Returns once the shell has exited (its return code is known)."""
    delay = 0.005
    while proc.returncode is None:
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.05)


def _release(proc: asyncio.subprocess.Process) -> None:
    """Close the command's pipes now, in the event loop that opened them. Left to the garbage
    collector they were closed after the loop was, and asyncio's __del__ then raised "Event loop
    is closed". (asyncio.subprocess.Process offers no close(); its transport's is public.)"""
    transport = getattr(proc, "_transport", None)
    if transport is not None:
        transport.close()


def _killpg(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass
