"""Typed keys: the name of a spec together with the type its parser produces.

A parser module declares its key beside the parser (`SYSCTL = Key("host.sysctl", Sysctl)`); a
rule declares the keys it reads (`@rule(inputs=(SYSCTL,), ...)`) and gets typed facts back
(`ctx.by_node(SYSCTL) -> dict[str, Fact[Sysctl]]`). Because the declaration and the read are the
same object, what the docs list under `reads:` and what could-not-check accounts for come from
the declaration, and the engine refuses a read of anything undeclared (UndeclaredRead).

One key can be fed by more than one spec: `Key("pve.pvesm_status", PvesmStatus,
alternatives=("pve.api_storage_status",))` says that the API's JSON (parsed by its own parser
into the same `PvesmStatus`) stands in for the command's output. `ctx.facts(KEY)` merges them,
per node the primary spec first; a rule declaring the key may read either, and could-not-check
says "needs pve.pvesm_status (or its API form pve.api_storage_status)". The alternative is
declared where the key is, so whoever reads the key gets it without knowing the API exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")

# primary spec -> the specs whose parsers produce the same type (filled as keys are declared)
_ALTERNATIVES: dict[str, tuple[str, ...]] = {}


@dataclass(frozen=True, slots=True)
class Key(Generic[T]):
    """A spec name and the type of its parsed value."""

    spec: str
    type: type[T]
    alternatives: tuple[str, ...] = ()  # other specs parsed into the same type (API JSON)

    def __post_init__(self) -> None:
        if self.alternatives:
            declare_alternatives(self.spec, self.alternatives)

    @property
    def specs(self) -> tuple[str, ...]:
        """Every spec that feeds this key, the primary first."""
        return forms(self.spec)

    def __str__(self) -> str:
        return self.spec


def declare_alternatives(spec: str, alternatives: tuple[str, ...]) -> None:
    """Say that `alternatives` feed the key of `spec` (a Key does when it is made; forewarn/index.py
    does for the keys of modules not imported yet)."""
    if spec in alternatives:
        raise ValueError(f"{spec} cannot be its own alternative")
    known = _ALTERNATIVES.get(spec, ())
    _ALTERNATIVES[spec] = tuple(dict.fromkeys(known + alternatives))


def all_alternatives() -> dict[str, tuple[str, ...]]:
    return dict(_ALTERNATIVES)


class UndeclaredRead(Exception):
    """A rule read a spec it did not declare in `inputs`, `requires` or `reads`."""


def spec_of(key: Key[Any] | str) -> str:
    """The spec name of a key (a plain spec name is accepted while rules migrate)."""
    return key.spec if isinstance(key, Key) else key


def forms(key: Key[object] | str) -> tuple[str, ...]:
    """The specs that feed a key (or a spec name): the primary, then its alternatives."""
    spec = spec_of(key)
    return (spec,) + _ALTERNATIVES.get(spec, ())


def alternatives_of(key: Key[object] | str) -> tuple[str, ...]:
    return _ALTERNATIVES.get(spec_of(key), ())


def needs_text(key: Key[object] | str) -> str:
    """How could-not-check names a missing key: `pve.x` or `pve.x (or its API form pve.api_x)`."""
    spec = spec_of(key)
    alts = _ALTERNATIVES.get(spec, ())
    return f"{spec} (or its API form {' or '.join(alts)})" if alts else spec
