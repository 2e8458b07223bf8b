"""Which module registers each parser and each rule, so that a run imports only what it uses.

A parser registers itself with `@parser("spec")` and a rule with `@rule(code=...)` when their
modules are imported; importing all of them (~200 modules, ~840 regexes, ~220 dataclasses) costs
about 0.3 s, more than `forewarn explain` of a small log spends on everything else. The index
says where each one is and what the engine must know of a rule before running it (the keys it
reads, its platform), so a rule whose inputs are absent is could-not-check without its module.

It is built by importing every parser and rule module once, whenever a source file of forewarn
changed (forewarn/cache.py keys it by the files' sizes and times, and forewarn's version), and
read from the start-up cache after that; with the cache off it is built at every start, which
is what importing everything cost before.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

PACKAGE = Path(__file__).resolve().parent


def import_all(package: str) -> None:
    """Import every public module below `package` (one whose name starts with `_` is a helper,
    imported by the modules that use it)."""
    pkg = importlib.import_module(package)
    for info in pkgutil.walk_packages(pkg.__path__, prefix=package + "."):
        if not info.name.rsplit(".", 1)[-1].startswith("_"):
            importlib.import_module(info.name)


def _sources() -> list[Path]:
    out: list[Path] = []

    def walk(folder: str) -> None:
        for entry in os.scandir(folder):
            if entry.is_dir(follow_symlinks=False):
                if entry.name != "__pycache__":
                    walk(entry.path)
            elif entry.name.endswith(".py"):
                out.append(Path(entry.path))

    walk(str(PACKAGE))
    return sorted(out)


PACKAGES = ("forewarn.parse", "forewarn.rules")  # where the modules that register themselves are
# what each registry keeps in the index: name -> a function describing what is registered
_DESCRIBERS: dict[str, Callable[[], dict[str, Any]]] = {}


def describe(name: str, describer: Callable[[], dict[str, Any]]) -> None:
    """Called by a registry when it is imported: once every module of PACKAGES is imported, the
    index keeps `describer()` under `name`. (The registries ask the index, never the other way.)"""
    _DESCRIBERS[name] = describer


def _build() -> dict[str, Any]:
    from forewarn.model.keys import all_alternatives

    for package in PACKAGES:  # each imports its registry, which calls describe()
        import_all(package)
    built = {name: describer() for name, describer in sorted(_DESCRIBERS.items())}
    built["alternatives"] = {spec: list(alts) for spec, alts in sorted(all_alternatives().items())}
    return built


_building = False


@lru_cache(maxsize=1)
def index() -> dict[str, Any]:
    """{"parsers": spec -> module, "alternatives": spec -> its API forms, "rules": code -> entry}.

    The keys' alternative specs (model/keys.py) are declared from it, as their modules would."""
    global _building
    from forewarn.cache import cached, key_of
    from forewarn.model.keys import declare_alternatives

    if _building:  # a module asked for the index while being imported to build it
        raise RuntimeError("forewarn.index: the index was asked for while it was being built")
    _building = True
    try:
        built = cached("index", key_of(_sources()), _build)
    finally:
        _building = False
    for spec, alts in built["alternatives"].items():
        declare_alternatives(spec, tuple(alts))
    return dict(built)
