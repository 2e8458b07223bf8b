"""The parser registry: spec name -> parser function."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from forewarn.model.problems import Parsed


@dataclass(frozen=True, slots=True)
class Parser:
    specs: tuple[str, ...]
    func: Callable[..., Parsed[Any]]
    stream: bool  # True: takes an iterable of lines (logs); False: takes the whole text

    def __call__(self, data: str | Iterable[str]) -> Parsed[Any]:
        return self.func(data)


PARSERS: dict[str, Parser] = {}


def parser(*specs: str, stream: bool = False) -> Callable[[Callable[..., Parsed[Any]]], Callable[..., Parsed[Any]]]:
    """Register `func` as the parser of `specs`."""

    def wrap(func: Callable[..., Parsed[Any]]) -> Callable[..., Parsed[Any]]:
        p = Parser(specs=specs, func=func, stream=stream)
        for name in specs:
            if name in PARSERS:
                raise ValueError(f"two parsers for spec {name}")
            PARSERS[name] = p
        return func

    return wrap


def get_parser(spec: str) -> Parser | None:
    return PARSERS.get(spec)
