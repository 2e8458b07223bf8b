"""Bundles: a directory, or the same directory as .tar.gz, with `manifest.json`.

See docs/bundle-format.md. Reading validates: a tar member with `..`, an absolute path, a
link or a device is refused before anything is read, and nothing is read through a link that
leaves a directory bundle (`bundle_tree.py`); a manifest that is not one (`"artifacts": 5`,
nested a thousand deep) is refused with a one-line message; a file listed many times is read
once; a checksum mismatch becomes an FW904 finding; files that no spec claims are reported as
unused (FW907), never fatal.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

from forewarn import __version__
from forewarn.collect.bundle_tree import MANIFEST, MAX_DEPTH, BundleError, Tree, looks_like_tarball, safe_rel, walk_files
from forewarn.model.bounded import LIMITS, human, open_regular
from forewarn.model.evidence import EvidenceRecord
from forewarn.model.findings import Finding
from forewarn.model.internal import internal_finding
from forewarn.specs import identify_by_path, identify_text

__all__ = ["MANIFEST", "Bundle", "BundleError", "build_manifest", "load_bundle", "looks_like_tarball", "pack",
           "sha256_stream", "write_manifest"]
_safe_rel = safe_rel  # collect/run.py's name for it
MANIFEST_MAX = 64 * 1024 * 1024

FORMAT = "forewarn-bundle"
FORMAT_VERSION = 1


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


def _parse_created(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def load_bundle(path: str | Path) -> Bundle:
    """Open a bundle directory or tarball and list its evidence records (lazily read)."""
    p = Path(path)
    if not p.exists():
        raise BundleError(f"{p}: no such file or directory")
    tree = Tree(p)
    files = tree.files()
    if not files:
        why = [f"{len(tree.outside)} link(s) leading out of it were not followed ({', '.join(tree.outside[:3])})"
               if tree.outside else "", f"{tree.too_deep} folder(s) deeper than {MAX_DEPTH} levels were not read"
               if tree.too_deep else ""]
        raise BundleError(f"{p}: empty: there is nothing to scan in it" + "".join(f"; {w}" for w in why if w))
    bundle = _from_manifest(p, tree, files) if MANIFEST in files else _from_tree(p, tree, files)
    _report_tree(bundle, tree)
    return bundle


def _report_tree(bundle: Bundle, tree: Tree) -> None:
    """Say what the walk of a directory bundle left out."""
    if tree.outside:
        shown = ", ".join(tree.outside[:6]) + (f" (+{len(tree.outside) - 6} more)" if len(tree.outside) > 6 else "")
        bundle.findings.append(internal_finding(
            "FW903", "evidence-unreadable", "Links out of the bundle not followed",
            f"{len(tree.outside)} symbolic link(s) in the bundle lead outside it and were not followed "
            f"(nothing is read from outside what was given): {shown}", details={"links": tree.outside}))
        bundle.notes.append(f"not followed (a link out of the bundle): {shown}")
    if tree.too_deep:
        bundle.notes.append(f"{tree.too_deep} folder(s) deeper than {MAX_DEPTH} levels were not read")


def _manifest_of(p: Path, tree: Tree) -> dict[str, Any]:
    try:
        with tree.opener(MANIFEST)() as fh:
            raw = fh.read(MANIFEST_MAX + 1)
        if len(raw) > MANIFEST_MAX:
            raise BundleError(f"{p}: manifest.json is larger than {human(MANIFEST_MAX)}: not a forewarn manifest")
        manifest = json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise BundleError(f"{p}: manifest.json is not valid JSON ({str(exc)[:200]})") from None
    except RecursionError:
        raise BundleError(f"{p}: manifest.json is nested too deeply to be a forewarn manifest") from None
    except (OSError, EOFError, zlib.error, tarfile.TarError) as exc:
        raise BundleError(f"{p}: manifest.json cannot be read ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BundleError(f"{p}: manifest.json is not a forewarn bundle manifest")
    version = manifest.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise BundleError(f"{p}: bundle format version {str(version)[:40]!r} is newer than this forewarn reads "
                          f"({FORMAT_VERSION}); upgrade forewarn")
    arts = manifest.get("artifacts")
    if arts is not None and not isinstance(arts, list):
        raise BundleError(f"{p}: manifest.json: `artifacts` is {type(arts).__name__}, not a list of artifacts")
    return manifest


def _typed(entry: dict[str, Any], key: str, kind: type | tuple[type, ...]) -> Any:
    """A manifest field of the expected type, else None (a manifest is input: never trusted)."""
    v = entry.get(key)
    return v if isinstance(v, kind) and not isinstance(v, bool) or (kind is bool and isinstance(v, bool)) else None


def _record(entry: dict[str, Any], rel: str, node: str, spec_name: str) -> EvidenceRecord:
    return EvidenceRecord(
        spec=spec_name, node=node, artifact=rel, source=str(entry.get("source", ""))[:4096],
        kind=str(entry.get("kind", "file"))[:16], rc=_typed(entry, "rc", int),
        started=_typed(entry, "started", str), ended=_typed(entry, "ended", str),
        duration=_typed(entry, "duration", (int, float)), timed_out=bool(_typed(entry, "timed_out", bool)),
        truncated=bool(_typed(entry, "truncated", bool)), sha256=_typed(entry, "sha256", str),
        size=_typed(entry, "size", int), error=_typed(entry, "error", str), redacted=_typed(entry, "redacted", int))


def _from_manifest(p: Path, tree: Tree, files: list[str]) -> Bundle:
    manifest = _manifest_of(p, tree)
    bundle = Bundle(source=str(p), records=[], created=_parse_created(manifest.get("created")),
                    manifest=manifest, _tar=tree.tar)
    listed: set[str] = set()
    read: set[Any] = set()  # a file listed twice (or under two names) is read once
    repeated = 0
    for entry in manifest.get("artifacts") or []:
        if not isinstance(entry, dict):
            bundle.notes.append("manifest: an artifact entry is not an object; skipped")
            continue
        rel = safe_rel(str(entry.get("path", "")))
        if rel is None:
            raise BundleError(f"{p}: refused: manifest names artifact {str(entry.get('path'))[:200]!r}, "
                              "which is absolute or climbs out with '..'")
        node = str(entry.get("node") or "unknown")[:64]
        spec_name = str(entry.get("spec") or "")[:64]
        if not spec_name:
            continue  # listed but not recognised at collection time: reported as unused below
        if rel in listed:
            repeated += 1
            continue
        listed.add(rel)
        rec = _record(entry, rel, node, spec_name)
        if tree.exists(rel):
            identity = tree.identity(rel)
            if identity in read:
                repeated += 1
                continue
            read.add(identity)
            rec.opener = tree.opener(rel)
            if rec.sha256:
                _check_sum(bundle, tree, rel, rec)
        elif tree.leaves(rel):
            rec.error = "reached only through a link that leads out of the bundle: not read"
            bundle.findings.append(internal_finding(
                "FW903", "evidence-unreadable", "Bundle artifact outside the bundle",
                f"{node}: {rel} is reached through a symbolic link that leads out of the bundle; it was not "
                "read (nothing is read from outside what was given)", nodes=(node,)))
        elif not rec.error:
            rec.error = "listed in the manifest but missing from the bundle"
            bundle.findings.append(internal_finding(
                "FW903", "evidence-unreadable", "Bundle artifact missing",
                f"{node}: {rel} is listed in the manifest but not in the bundle", nodes=(node,)))
        bundle.records.append(rec)
    if repeated:
        bundle.notes.append(f"manifest: {repeated} entr(ies) list a file already listed; each file was read once")
    for rel in files:
        if rel != MANIFEST and rel not in listed:
            bundle.unused.append(rel)
    nodes = manifest.get("nodes")
    bundle.nodes = sorted({r.node for r in bundle.records}
                          | {str(n)[:64] for n in (nodes if isinstance(nodes, list) else []) if isinstance(n, str)})
    _report_unused(bundle)
    # a live collection's own account (unreachable nodes, timeouts, skips, redactions)
    from forewarn.collect.outcome import collection_findings, collection_notes

    bundle.findings.extend(collection_findings(manifest))
    bundle.notes.extend(collection_notes(manifest))
    return bundle


def _check_sum(bundle: Bundle, tree: Tree, rel: str, rec: EvidenceRecord) -> None:
    """FW904 when the artifact's sha256 is not what the manifest says. An artifact bigger than
    the cap on an artifact's bytes (a sparse member of 100 GiB) is not hashed: said so."""
    size = tree.size(rel)
    if size > LIMITS.artifact_bytes:
        bundle.notes.append(f"{rel}: {human(size)}, more than the {human(LIMITS.artifact_bytes)} read of any "
                            "artifact: its checksum was not verified")
        return
    assert rec.opener is not None
    try:
        with rec.opener() as fh:
            digest, _ = sha256_stream(fh)
    except (OSError, EOFError, zlib.error, tarfile.TarError) as exc:
        digest = f"unreadable ({exc})"
    if digest != rec.sha256:
        bundle.findings.append(internal_finding(
            "FW904", "bundle-checksum-mismatch", "Bundle artifact changed after collection",
            f"{rec.node}: {rel}: sha256 is {digest[:16]}…, the manifest says {str(rec.sha256)[:16]}…; "
            "the file was edited or damaged after collection, so its evidence is suspect",
            nodes=(rec.node,)))


def _from_tree(p: Path, tree: Tree, files: list[str]) -> Bundle:
    """A folder of node folders (`pve1/etc/pve/storage.cfg`, `pve3/syslog.txt`) without manifest."""

    bundle = Bundle(source=str(p), records=[], _tar=tree.tar)
    bundle.notes.append(f"{p}: no manifest.json: files were identified by their path and content")
    for rel in files:
        parts = rel.split("/", 1)
        node, inner = (parts[0], parts[1]) if len(parts) == 2 else ("unknown", parts[0])
        opener = tree.opener(rel)
        spec = identify_by_path(inner)
        why = "path"
        if spec is None:
            try:
                with opener() as fh:
                    head = fh.read(65536)
            except (OSError, EOFError, zlib.error, tarfile.TarError):
                head = b""
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

    artifacts = []
    for full in walk_files(root):
        if full.name == MANIFEST and full.parent == root:
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
            with open_regular(full) as fh:
                spec, _ = identify_text(inner, fh.read(65536))
        with open_regular(full) as fh:
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
        for full in walk_files(root):
            rel = full.relative_to(root).as_posix()
            if manifest is not None and rel == MANIFEST:
                continue
            tar.add(full, arcname=rel, recursive=False)
