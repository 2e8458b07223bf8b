"""A start-up cache for what forewarn derives from its own data files (the catalogue read from
the rules' YAML, the `why` index): JSON in forewarn's cache directory (model/cachedir.py), keyed by the files' sizes
and times and forewarn's version, rebuilt when any of them changes. Best effort: a cache that
cannot be read or written is simply rebuilt, never an error.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from forewarn import __version__
from forewarn.model.cachedir import cache_dir, private_file


def key_of(files: Iterable[Path], salt: str = "") -> str:
    h = hashlib.sha256(f"{__version__}\0{salt}".encode())
    for f in files:
        try:
            st = f.stat()
        except OSError:
            continue
        h.update(f"{f}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:24]


def cached(name: str, key: str, build: Callable[[], Any]) -> Any:
    """`build()`'s JSON-able result, from the cache when its key matches."""
    folder = cache_dir()
    if folder is None:  # FOREWARN_CACHE=off
        return build()
    path = folder / f"{name}-{key}.json"
    try:
        if private_file(path):  # only what this user alone could have written
            with open(path, encoding="utf-8") as fh:
                return json.load(fh)
    except (OSError, ValueError):
        pass
    value = build()
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        for old in path.parent.glob(f"{name}-*.json"):  # one version of each cache
            old.unlink(missing_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{name}-")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(value, fh, ensure_ascii=False)
        os.replace(tmp, path)
    except OSError:
        pass
    return value
