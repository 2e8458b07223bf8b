"""The catalogue as code: one module per rule, its real cases in a YAML file beside it.

Importing this package imports every rule module below it (no registry to edit).
"""

import importlib
import pkgutil

from forewarn.rules._engine import RULES, Hit, Rule, note, rule, step

__all__ = ["RULES", "Hit", "Rule", "note", "rule", "step"]


def _load_all() -> None:
    for info in pkgutil.walk_packages(__path__, prefix=__name__ + "."):
        if not info.name.rsplit(".", 1)[-1].startswith("_"):
            importlib.import_module(info.name)


_load_all()
