"""Where forewarn keeps what it can rebuild (compiled matchers, the prepared knowledge base)."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path | None:
    """$FOREWARN_CACHE ("" or "off": nowhere), else the user's cache directory."""
    env = os.environ.get("FOREWARN_CACHE")
    if env is not None:
        return Path(env) if env and env != "off" else None
    base = os.environ.get("XDG_CACHE_HOME") or (os.path.join(os.path.expanduser("~"), ".cache"))
    return Path(base) / "forewarn"


def private_file(path: Path) -> bool:
    """Whether `path` belongs to this user and nobody else may write it (safe to load)."""
    try:
        st = path.stat()
    except OSError:
        return False
    return st.st_uid == os.getuid() and not st.st_mode & 0o022


def write_private(path: Path, data: bytes, keep: int = 4) -> None:
    """Write `path` atomically, readable by this user only; keep the newest `keep` files of its
    kind (same prefix) in its folder. A cache that cannot be written is no error."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
        prefix = path.name.split("-", 2)[0] + "-" + path.name.split("-", 2)[1] + "-"
        old = sorted(path.parent.glob(prefix + "*" + path.suffix), key=lambda q: q.stat().st_mtime)
        for stale in old[:-keep]:
            stale.unlink()
    except (OSError, IndexError):
        pass
