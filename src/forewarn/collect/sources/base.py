"""The `Source` interface every live source implements (local, ssh).

Everything a collector does on a node is a shell command run through a POSIX `sh -c`: a file is
read with `cat`, a glob is expanded by the shell. Nothing is installed on nodes; `sh` and
coreutils are all that may be assumed there. Each call has its own timeout, after which the
command's whole process group is killed (on the node too) and the timeout is reported in the
result, never raised: a timeout is evidence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(slots=True)
class CommandResult:
    stdout: bytes
    stderr: bytes
    rc: int | None  # None when the command did not finish (timeout, connection lost)
    started: datetime
    ended: datetime
    timed_out: bool = False
    truncated: bool = False  # stdout was cut at max_bytes
    error: str | None = None  # could not run at all: unreachable, auth refused, dropped mid-run

    @property
    def duration(self) -> float:
        return (self.ended - self.started).total_seconds()


class SourceError(Exception):
    """The source as a whole is unusable (cannot connect, auth refused)."""


class Source(Protocol):
    """One node to collect from."""

    node: str  # the node's name as reported (host name, or the SSH target until known)

    async def open(self) -> None:
        """Connect (SSH) or check the host; raise SourceError with a one-line reason."""

    async def run(self, script: str, *, timeout: float, max_bytes: int) -> CommandResult:
        """Run `script` with `sh -c` on the node; never raise for the command's own failure."""

    async def close(self) -> None:
        """Release connections and kill anything still running."""
