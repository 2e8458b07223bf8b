"""The parser registry: spec name -> parser function."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from forewarn.index import describe, import_all, index
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
    """The parser of `spec`, its module imported when first needed (forewarn/index.py)."""
    p = PARSERS.get(spec)
    if p is None:
        module = index()["parsers"].get(spec)
        if module is not None:
            importlib.import_module(module)
            p = PARSERS.get(spec)
    return p


def all_parsers() -> dict[str, Parser]:
    """Every parser (every parser module imported)."""
    import_all("forewarn.parse")
    return PARSERS


describe("parsers", lambda: {spec: p.func.__module__ for spec, p in sorted(PARSERS.items())})
