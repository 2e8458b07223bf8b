"""A source that never connects: a target forewarn refused (a nodelist or inventory value that is
no host name or address). It fails at `open` like an unreachable node, so the refusal becomes an
FW908 finding naming the node and the value, live and in the bundle's manifest alike, and the
other nodes are collected."""

from __future__ import annotations

from forewarn.collect.sources.base import CommandResult, SourceError


def shown(value: object, limit: int = 120) -> str:
    """A refused value as a message quotes it: repr'd, and cut when long (it may be hostile)."""
    text = value if isinstance(value, str) else repr(value)
    return repr(text if len(text) <= limit else text[:limit] + "…")


class RefusedSource:
    lost: str | None = None

    def __init__(self, node: str, reason: str) -> None:
        self.node = node
        self.where = node
        self.reason = reason

    async def open(self) -> None:
        raise SourceError(self.reason)

    async def run(self, script: str, *, timeout: float, max_bytes: int) -> CommandResult:
        raise SourceError(self.reason)  # never called: open refuses

    async def close(self) -> None:
        pass
