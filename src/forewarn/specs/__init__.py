"""Spec names: the shared vocabulary between collection, bundles, parsers and rules.

A spec names one kind of evidence (`pve.pvecm_status`, `lvm.conf`, `log.syslog`). The same
name is the live command or file, the file in a bundle, the parser and the rules' input, as
insights-core does with its specs. Each platform module declares its specs with `spec(...)`;
nothing here runs a command or opens a file.
"""

from forewarn.specs._base import SPECS, Spec, all_specs, get, identify_by_path, sniff_content  # noqa: F401
from forewarn.specs._identify import identify_text  # noqa: F401

import importlib
import pkgutil


def _load_all() -> None:
    # every module below registers its specs; a new family costs one file and no edit here
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")


_load_all()
