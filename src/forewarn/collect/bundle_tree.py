"""The files of a bundle, a directory or a tarball, read without ever leaving it.

- A tarball: a member that is absolute, climbs out with `..`, is a link, a device or a fifo gets
  the whole bundle refused before anything is read (`./` in front of names, as
  `tar -C dir .` writes them, is fine). A tarball with no file in it is said to be what it is
  (only NUL bytes, a gzip of zeros), not "empty".
- A directory: walked without recursion (a 1500-deep tree is no crash) and at most `MAX_DEPTH`
  folders deep; a link is never followed out of the bundle, file or folder, and never into a
  folder (no loops); the links that lead out are listed so the report can say so. Every read
  resolves the path first and opens only a regular file inside the bundle (a FIFO would block).
- The same file under two names (a hard link, a link inside the bundle) is one file.
"""

from __future__ import annotations

import io
import os
import tarfile
import zlib
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import IO

from forewarn.model.bounded import not_regular, open_regular

MANIFEST = "manifest.json"
MAX_DEPTH = 64  # a real bundle is a few folders deep (pve1/etc/pve/nodes/pve1/qemu-server/100.conf)
TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.xz", ".tar.bz2")


class BundleError(Exception):
    """The input cannot be read as a bundle at all (exit code 2, one-line message)."""


def safe_rel(path: str) -> str | None:
    """A bundle-relative path, or None if it is absolute or climbs out with `..`."""
    if not path or path.startswith("/") or "\\" in path:
        return None
    parts = PurePosixPath(path).parts
    if any(p == ".." for p in parts):
        return None
    return str(PurePosixPath(*parts)) if parts else None


def looks_like_tarball(path: str) -> bool:
    """Is `path` meant as a bundle tarball? Named like one (a damaged one must then say so, not be
    read as a log), or a regular file whose first tar header is a real member: a file that
    merely starts with NUL bytes reads as an empty tar archive, and is no bundle."""
    if path.endswith(TAR_SUFFIXES):
        return True
    try:
        if not os.path.isfile(path):
            return False
        with tarfile.open(path, "r:*") as tar:
            return tar.next() is not None
    except Exception:  # noqa: BLE001 - a damaged compressed file raises EOFError and friends
        return False


def _within(real: str, root: str) -> bool:
    return real == root or real.startswith(root.rstrip("/") + "/")


def describe_nothing(path: Path) -> str:
    """What a file that holds no tar member is, from its first bytes."""
    try:
        with open_regular(path) as fh:
            head = fh.read(1 << 20)
    except OSError as exc:
        return f"unreadable ({exc.strerror})"
    gz = head.startswith(b"\x1f\x8b")
    if gz:
        try:
            head = zlib.decompressobj(wbits=47).decompress(head, 1 << 20)
        except zlib.error:
            return "a damaged gzip file"
    what = "a gzip file of " if gz else "a file of "
    if not head:
        return what + "nothing (0 bytes)"
    if not head.strip(b"\0"):
        return what + "NUL bytes only (zeros, as a crash or a failed copy leaves), no tar member"
    if not head[:512].strip(b"\0"):
        return what + "NUL bytes, then other data: no tar member (read it as a log with `forewarn explain`)"
    return "a tarball with no file in it"


class Tree:
    """Uniform access to a directory or a validated tarball."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.tar: tarfile.TarFile | None = None
        self.members: dict[str, tarfile.TarInfo] = {}
        self.outside: list[str] = []  # links leading out of a directory bundle, not followed
        self.too_deep = 0  # folders deeper than MAX_DEPTH, not read
        self.root_real = os.path.realpath(path)
        if path.is_dir():
            self._files = self._walk()
            return
        what = not_regular(path.stat().st_mode)
        if what is not None:
            raise BundleError(f"{path}: is {what}, not a bundle (a directory or a tarball)")
        try:
            self.tar = tarfile.open(path, "r:*")
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise BundleError(f"{path}: not a bundle (neither a directory nor a readable tarball: {exc})") from None
        try:
            infos = self.tar.getmembers()
        except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
            raise BundleError(f"{path}: the tarball is damaged or truncated ({exc})") from None
        for info in infos:
            rel = safe_rel(info.name)
            if rel is None and info.isdir() and not PurePosixPath(info.name).parts:
                continue  # `.`, the top of `tar -C dir .`
            if rel is None:
                raise BundleError(f"{path}: refused: member {info.name[:200]!r} is absolute or climbs out with '..'")
            if info.issym() or info.islnk():
                target = PurePosixPath(rel).parent / info.linkname
                if info.linkname.startswith("/") or safe_rel(str(target)) is None:
                    raise BundleError(f"{path}: refused: link {info.name[:200]!r} -> {info.linkname[:200]!r} "
                                      "escapes the bundle")
                raise BundleError(f"{path}: refused: member {info.name[:200]!r} is a link; bundles hold plain files")
            if info.isdev() or info.isfifo():
                raise BundleError(f"{path}: refused: member {info.name[:200]!r} is a device or fifo")
            if info.isfile():
                self.members[rel] = info
        if not self.members:
            self.tar.close()
            raise BundleError(f"{path}: not a bundle: {describe_nothing(path)}")
        # A tarball of a folder has one top directory: look through it.
        tops = {r.split("/", 1)[0] for r in self.members}
        if len(tops) == 1 and f"{next(iter(tops))}/{MANIFEST}" in self.members:
            top = next(iter(tops)) + "/"
            self.members = {r[len(top):]: i for r, i in self.members.items()}

    # -- a directory -----------------------------------------------------------------------
    def _walk(self) -> list[str]:
        """Regular files under the directory (relative paths), without recursion or links out."""
        files: list[str] = []
        links: list[tuple[str, str]] = []  # links to files inside: after the files themselves
        seen: set[tuple[int, int]] = set()
        stack: list[tuple[str, int]] = [("", 0)]
        while stack:
            rel, depth = stack.pop()
            try:
                with os.scandir(os.path.join(self.path, rel) if rel else self.path) as it:
                    entries = list(it)
            except OSError:
                continue
            for e in entries:
                r = f"{rel}/{e.name}" if rel else e.name
                try:
                    if e.is_symlink():
                        real = os.path.realpath(e.path)
                        if not _within(real, self.root_real):
                            self.outside.append(f"{r} -> {os.readlink(e.path)}")
                        elif os.path.isfile(real):
                            links.append((r, real))  # folders are not followed: no loops
                    elif e.is_dir(follow_symlinks=False):
                        if e.name.startswith("."):
                            continue
                        if depth + 1 >= MAX_DEPTH:
                            self.too_deep += 1
                        else:
                            stack.append((r, depth + 1))
                    elif e.is_file(follow_symlinks=False) and self._first(e.path, seen):
                        files.append(r)
                except OSError:
                    continue
        files += [r for r, real in links if self._first(real, seen)]
        self.outside.sort()
        return sorted(files)

    @staticmethod
    def _first(path: str, seen: set[tuple[int, int]]) -> bool:
        st = os.stat(path)
        key = (st.st_dev, st.st_ino)
        if key in seen:
            return False  # a hard link or an inner link to a file already listed
        seen.add(key)
        return True

    def resolve(self, rel: str) -> str | None:
        """Where `rel` of a directory bundle really is, or None if that is outside the bundle."""
        real = os.path.realpath(os.path.join(self.path, rel))
        return real if _within(real, self.root_real) else None

    # -- both ------------------------------------------------------------------------------
    def files(self) -> list[str]:
        return sorted(self.members) if self.tar is not None else list(self._files)

    def exists(self, rel: str) -> bool:
        if self.tar is not None:
            return rel in self.members
        real = self.resolve(rel)
        try:
            return real is not None and os.path.isfile(real)
        except (OSError, ValueError):
            return False

    def leaves(self, rel: str) -> bool:
        """A directory bundle's `rel` exists, but only through a link that leaves the bundle."""
        if self.tar is not None:
            return False
        try:
            return self.resolve(rel) is None and os.path.lexists(os.path.join(self.path, rel))
        except (OSError, ValueError):
            return False

    def opener(self, rel: str) -> Callable[[], IO[bytes]]:
        if self.tar is not None:
            info = self.members[rel]
            tar = self.tar

            def open_member() -> IO[bytes]:
                fh = tar.extractfile(info)
                return fh if fh is not None else io.BytesIO(b"")

            return open_member
        real = self.resolve(rel)
        if real is None:
            raise BundleError(f"{self.path}: {rel} leads outside the bundle")
        return lambda: open_regular(real)

    def size(self, rel: str) -> int:
        if self.tar is not None:
            return self.members[rel].size
        return os.stat(self.resolve(rel) or os.devnull).st_size

    def identity(self, rel: str) -> tuple[int, int] | str:
        """What makes two names one file: the inode of a directory bundle's file, the member."""
        if self.tar is not None:
            return rel
        st = os.stat(self.resolve(rel) or os.devnull)
        return st.st_dev, st.st_ino


def walk_files(root: Path) -> list[Path]:
    """Regular files under `root` for writing a manifest or packing: no recursion, no links."""
    tree = Tree.__new__(Tree)
    tree.path, tree.root_real, tree.outside, tree.too_deep = root, os.path.realpath(root), [], 0
    return [root / r for r in tree._walk() if not Path(root, r).is_symlink()]
