"""Parsers: pure functions from text to typed values. They never raise on bad input.

Each module registers its parsers with `@parser("spec.name")`; importing this package
imports every module below it, so a new parser costs one file and no registry edits.
"""

import importlib
import pkgutil

from forewarn.parse._registry import PARSERS, Parser, get_parser, parser  # noqa: F401


def _load_all() -> None:
    for info in pkgutil.walk_packages(__path__, prefix=__name__ + "."):
        if not info.name.rsplit(".", 1)[-1].startswith("_"):
            importlib.import_module(info.name)


_load_all()
