"""Bundles: a directory, or the same directory as .tar.gz, with `manifest.json`.

See docs/bundle-format.md. Reading validates: a tar member with `..`, an absolute path, a
link or a device is refused before anything is read; a checksum mismatch becomes an FW904
finding; files that no spec claims are reported as unused (FW907), never fatal.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import IO, Any

from forewarn import __version__
from forewarn.model.evidence import EvidenceRecord
from forewarn.model.findings import Finding
from forewarn.model.internal import internal_finding
from forewarn.specs import identify_by_path

FORMAT = "forewarn-bundle"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"


class BundleError(Exception):
    """The input cannot be read as a bundle at all (exit code 2, one-line message)."""


@dataclass(slots=True)
class Bundle:
    source: str
    records: list[EvidenceRecord]
    created: datetime | None = None
    nodes: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    unused: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    manifest: dict[str, Any] | None = None
    _tar: tarfile.TarFile | None = None

    def close(self) -> None:
        if self._tar is not None:
            self._tar.close()


def sha256_stream(fh: IO[bytes]) -> tuple[str, int]:
    h = hashlib.sha256()
    size = 0
    for chunk in iter(lambda: fh.read(1 << 20), b""):
        h.update(chunk)
        size += len(chunk)
    return h.hexdigest(), size


def _safe_rel(path: str) -> str | None:
    """A bundle-relative path, or None if it is absolute or climbs out with `..`."""
    if not path or path.startswith("/") or "\\" in path:
        return None
    parts = PurePosixPath(path).parts
    if any(p == ".." for p in parts):
        return None
    return str(PurePosixPath(*parts)) if parts else None


def _parse_created(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


# -- opening ----------------------------------------------------------------------------------
class _Tree:
    """Uniform access to a directory or a validated tarball."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.tar: tarfile.TarFile | None = None
        self.members: dict[str, tarfile.TarInfo] = {}
        if path.is_dir():
            return
        try:
            self.tar = tarfile.open(path, "r:*")
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise BundleError(f"{path}: not a bundle (neither a directory nor a readable tarball: {exc})") from None
        try:
            infos = self.tar.getmembers()
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise BundleError(f"{path}: the tarball is damaged or truncated ({exc})") from None
        for info in infos:
            rel = _safe_rel(info.name)
            if rel is None:
                raise BundleError(f"{path}: refused: member {info.name!r} is absolute or climbs out with '..'")
            if info.issym() or info.islnk():
                target = PurePosixPath(rel).parent / info.linkname
                if info.linkname.startswith("/") or _safe_rel(str(target)) is None:
                    raise BundleError(f"{path}: refused: link {info.name!r} -> {info.linkname!r} escapes the bundle")
                raise BundleError(f"{path}: refused: member {info.name!r} is a link; bundles hold plain files")
            if info.isdev() or info.isfifo():
                raise BundleError(f"{path}: refused: member {info.name!r} is a device or fifo")
            if info.isfile():
                self.members[rel] = info
        # A tarball of a folder has one top directory: look through it.
        tops = {r.split("/", 1)[0] for r in self.members}
        if len(tops) == 1 and f"{next(iter(tops))}/{MANIFEST}" in self.members:
            top = next(iter(tops)) + "/"
            self.members = {r[len(top):]: i for r, i in self.members.items()}

    def files(self) -> list[str]:
        if self.tar is not None:
            return sorted(self.members)
        out = []
        for root, dirs, files in os.walk(self.path):
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            for f in files:
                full = Path(root, f)
                if full.is_symlink() or not full.is_file():
                    continue
                out.append(full.relative_to(self.path).as_posix())
        return sorted(out)

    def exists(self, rel: str) -> bool:
        if self.tar is not None:
            return rel in self.members
        p = self.path / rel
        return p.is_file() and not p.is_symlink()

    def opener(self, rel: str):  # type: ignore[no-untyped-def]
        if self.tar is not None:
            info = self.members[rel]
            tar = self.tar

            def open_member() -> IO[bytes]:
                fh = tar.extractfile(info)
                return fh if fh is not None else io.BytesIO(b"")

            return open_member
        full = self.path / rel
        return lambda: open(full, "rb")

    def size(self, rel: str) -> int:
        if self.tar is not None:
            return self.members[rel].size
        return (self.path / rel).stat().st_size


def load_bundle(path: str | Path) -> Bundle:
    """Open a bundle directory or tarball and list its evidence records (lazily read)."""
    p = Path(path)
    if not p.exists():
        raise BundleError(f"{p}: no such file or directory")
    tree = _Tree(p)
    files = tree.files()
    if not files:
        raise BundleError(f"{p}: empty: there is nothing to scan in it")
    if MANIFEST in files:
        return _from_manifest(p, tree, files)
    return _from_tree(p, tree, files)


def _from_manifest(p: Path, tree: _Tree, files: list[str]) -> Bundle:
    try:
        with tree.opener(MANIFEST)() as fh:
            manifest = json.loads(fh.read(64 * 1024 * 1024).decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise BundleError(f"{p}: manifest.json is not valid JSON ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BundleError(f"{p}: manifest.json is not a forewarn bundle manifest")
    version = manifest.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise BundleError(f"{p}: bundle format version {version!r} is newer than this forewarn reads "
                          f"({FORMAT_VERSION}); upgrade forewarn")
    bundle = Bundle(source=str(p), records=[], created=_parse_created(manifest.get("created")),
                    manifest=manifest, _tar=tree.tar)
    listed: set[str] = set()
    for entry in manifest.get("artifacts") or []:
        if not isinstance(entry, dict):
            bundle.notes.append("manifest: an artifact entry is not an object; skipped")
            continue
        rel = _safe_rel(str(entry.get("path", "")))
        if rel is None:
            raise BundleError(f"{p}: refused: manifest names artifact {entry.get('path')!r}, "
                              "which is absolute or climbs out with '..'")
        node = str(entry.get("node") or "unknown")
        spec_name = str(entry.get("spec") or "")
        if not spec_name:
            continue  # listed but not recognised at collection time: reported as unused below
        listed.add(rel)
        rec = EvidenceRecord(
            spec=spec_name, node=node, artifact=rel, source=str(entry.get("source", "")),
            kind=str(entry.get("kind", "file")), rc=entry.get("rc"), started=entry.get("started"),
            ended=entry.get("ended"), duration=entry.get("duration"),
            timed_out=bool(entry.get("timed_out", False)), truncated=bool(entry.get("truncated", False)),
            sha256=entry.get("sha256"), size=entry.get("size"), error=entry.get("error"),
            redacted=entry.get("redacted") if isinstance(entry.get("redacted"), int) else None,
        )
        if tree.exists(rel):
            rec.opener = tree.opener(rel)
            if rec.sha256:
                try:
                    with rec.opener() as fh:
                        digest, size = sha256_stream(fh)
                except (OSError, EOFError, zlib.error, tarfile.TarError) as exc:
                    digest = f"unreadable ({exc})"
                if digest != rec.sha256:
                    bundle.findings.append(internal_finding(
                        "FW904", "bundle-checksum-mismatch", "Bundle artifact changed after collection",
                        f"{node}: {rel}: sha256 is {digest[:16]}…, the manifest says {str(rec.sha256)[:16]}…; "
                        "the file was edited or damaged after collection, so its evidence is suspect",
                        nodes=(node,)))
        elif not rec.error:
            rec.error = "listed in the manifest but missing from the bundle"
            bundle.findings.append(internal_finding(
                "FW903", "evidence-unreadable", "Bundle artifact missing",
                f"{node}: {rel} is listed in the manifest but not in the bundle", nodes=(node,)))
        bundle.records.append(rec)
    for rel in files:
        if rel != MANIFEST and rel not in listed:
            bundle.unused.append(rel)
    nodes = manifest.get("nodes")
    bundle.nodes = sorted({r.node for r in bundle.records} | set(nodes if isinstance(nodes, list) else []))
    _report_unused(bundle)
    # a live collection's own account (unreachable nodes, timeouts, skips, redactions)
    from forewarn.collect.outcome import collection_findings, collection_notes

    bundle.findings.extend(collection_findings(manifest))
    bundle.notes.extend(collection_notes(manifest))
    return bundle


def _from_tree(p: Path, tree: _Tree, files: list[str]) -> Bundle:
    """A folder of node folders (`pve1/etc/pve/storage.cfg`, `pve3/syslog.txt`) without manifest."""
    from forewarn.collect.loose import identify_text

    bundle = Bundle(source=str(p), records=[], _tar=tree.tar)
    bundle.notes.append(f"{p}: no manifest.json: files were identified by their path and content")
    for rel in files:
        parts = rel.split("/", 1)
        node, inner = (parts[0], parts[1]) if len(parts) == 2 else ("unknown", parts[0])
        opener = tree.opener(rel)
        spec = identify_by_path(inner)
        why = "path"
        if spec is None:
            with opener() as fh:
                head = fh.read(65536)
            spec, why = identify_text(inner, head)
        if spec is None:
            bundle.unused.append(rel)
            continue
        rec = EvidenceRecord(spec=spec.name, node=node, artifact=rel, source=inner, kind=spec.kind,
                             size=tree.size(rel), opener=opener)
        bundle.records.append(rec)
        bundle.notes.append(f"{rel} -> {spec.name} ({why}), node {node}")
    bundle.nodes = sorted({r.node for r in bundle.records})
    _report_unused(bundle)
    return bundle


def _report_unused(bundle: Bundle) -> None:
    if bundle.unused:
        shown = ", ".join(bundle.unused[:8]) + (f" (+{len(bundle.unused) - 8} more)" if len(bundle.unused) > 8 else "")
        bundle.findings.append(internal_finding(
            "FW907", "unused-artifact", "Files no rule reads",
            f"{len(bundle.unused)} file(s) in the bundle are not recognised and were not used: {shown}",
            details={"files": bundle.unused}))


# -- writing ----------------------------------------------------------------------------------
def build_manifest(root: Path, *, created: datetime | None = None) -> dict[str, Any]:
    """Identify every file under `root` (node folders) and describe it in a manifest."""
    from forewarn.collect.loose import identify_text

    artifacts = []
    for full in sorted(root.rglob("*")):
        if not full.is_file() or full.is_symlink() or full.name == MANIFEST:
            continue
        rel = full.relative_to(root).as_posix()
        if rel.startswith("."):
            continue
        parts = rel.split("/", 1)
        if len(parts) != 2:
            continue
        node, inner = parts
        spec = identify_by_path(inner)
        if spec is None:
            with open(full, "rb") as fh:
                spec, _ = identify_text(inner, fh.read(65536))
        with open(full, "rb") as fh:
            digest, size = sha256_stream(fh)
        entry: dict[str, Any] = {
            "path": rel, "node": node, "spec": spec.name if spec else None,
            "kind": spec.kind if spec else "file",
            "source": (spec.source if spec and spec.kind == "command" else "/" + inner),
            "timed_out": False, "truncated": False, "sha256": digest, "size": size,
        }
        if spec is not None and spec.kind == "command":
            entry["rc"] = 0
        artifacts.append(entry)
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "forewarn_version": __version__,
        "created": (created or datetime.now(timezone.utc)).isoformat().replace("+00:00", "Z"),
        "nodes": sorted({a["node"] for a in artifacts}),
        "artifacts": artifacts,
    }


def write_manifest(root: Path, *, created: datetime | None = None) -> dict[str, Any]:
    manifest = build_manifest(root, created=created)
    (root / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=False) + "\n")
    return manifest


def pack(root: Path, out: Path, manifest: dict[str, Any] | None = None) -> None:
    """Write `root` as a .tar.gz whose members are all relative paths. With `manifest`, that is
    the bundle's manifest.json (root's own, if any, is left out): the folder is not written to."""
    with tarfile.open(out, "w:gz") as tar:
        if manifest is not None:
            data = (json.dumps(manifest, indent=2) + "\n").encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime, info.mode = len(data), int(datetime.now(timezone.utc).timestamp()), 0o644
            tar.addfile(info, io.BytesIO(data))
        for full in sorted(root.rglob("*")):
            if full.is_file() and not full.is_symlink():
                rel = full.relative_to(root).as_posix()
                if manifest is not None and rel == MANIFEST:
                    continue
                tar.add(full, arcname=rel, recursive=False)
