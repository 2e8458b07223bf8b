"""Parse problems: what a parser could not understand, reported instead of raised."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ParseProblem:
    """One thing a parser skipped or could not read."""

    reason: str
    line_no: int | None = None
    line: str | None = None

    def __str__(self) -> str:
        where = f"line {self.line_no}: " if self.line_no else ""
        shown = f" ({self.line[:80]!r})" if self.line else ""
        return f"{where}{self.reason}{shown}"


@dataclass(slots=True)
class Parsed(Generic[T]):
    """A parser's answer: a value (possibly partial, possibly None) plus the problems met."""

    value: T | None
    problems: list[ParseProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.value is not None
