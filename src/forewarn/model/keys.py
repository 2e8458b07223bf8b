"""Typed keys: the name of a spec together with the type its parser produces.

A parser module declares its key beside the parser (`SYSCTL = Key("host.sysctl", Sysctl)`); a
rule declares the keys it reads (`@rule(inputs=(SYSCTL,), ...)`) and gets typed facts back
(`ctx.by_node(SYSCTL) -> dict[str, Fact[Sysctl]]`). Because the declaration and the read are the
same object, what the docs list under `reads:` and what could-not-check accounts for come from
the declaration, and the engine refuses a read of anything undeclared (UndeclaredRead).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Key(Generic[T]):
    """A spec name and the type of its parsed value."""

    spec: str
    type: type[T]

    def __str__(self) -> str:
        return self.spec


class UndeclaredRead(Exception):
    """A rule read a spec it did not declare in `inputs`, `requires` or `reads`."""


def spec_of(key: Key[Any] | str) -> str:
    """The spec name of a key (a plain spec name is accepted while rules migrate)."""
    return key.spec if isinstance(key, Key) else key
