"""Loose files (`forewarn explain FILE... | -`): work out what each file is, and for which node.

A file is identified by its name and by patterns in its first 64 KiB (the specs' sniffers).
Each file's node comes from `--node NODE=FILE`, from a `NODE/` folder prefix in a relative
path, or else is "unknown". What each file was taken to be is reported. Any text is evidence:
a text file nobody recognises is read as a generic log (`log.text`: every line against every
signature); only binary data (model/evidence.py `looks_binary`) becomes an FW906 finding.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from forewarn.collect.bundle import Bundle, BundleError
from forewarn.model.evidence import GZIP_MAGIC, EvidenceRecord, gunzip_head, looks_binary
from forewarn.model.internal import internal_finding
from forewarn.specs import Spec, get, sniff_content

HEAD = 65536
STDIN_LIMIT = 256 * 1024 * 1024


def identify_text(name: str, head: bytes) -> tuple[Spec | None, str]:
    """What a file is, from its name and first bytes (a gzip-compressed file, such as a rotated
    `syslog.2.gz`, by what it decompresses to: EvidenceRecord reads it decompressed)."""
    if head.startswith(GZIP_MAGIC):
        head = gunzip_head(head)
        name = name[:-3] if name.endswith(".gz") else name
    if not head.strip():
        return None, "empty"
    if looks_binary(head[:8192]):
        return None, "binary"
    scored = sniff_content(name, head.decode("utf-8", errors="replace"))
    if not scored:
        return get("log.text"), "elimination (no sniffer knows it: read line by line as text)"
    score, spec, why = scored[0]
    return spec, why


def _node_of(arg: str) -> str:
    parts = Path(arg).parts
    if not Path(arg).is_absolute() and len(parts) >= 2 and parts[0] not in (".", ".."):
        return parts[0]
    return "unknown"


def load_files(paths: list[str], *, nodes: dict[str, str] | None = None,
               forced: dict[str, str] | None = None) -> Bundle:
    """Evidence records for loose files. `nodes`: file -> node; `forced`: file -> spec name."""
    nodes = nodes or {}
    forced = forced or {}
    bundle = Bundle(source=", ".join(paths), records=[])
    for arg in paths:
        if arg == "-":
            data = sys.stdin.buffer.read(STDIN_LIMIT + 1)
            if len(data) > STDIN_LIMIT:
                raise BundleError(f"standard input is larger than {STDIN_LIMIT >> 20} MiB; save it to a file")
            rec_opener = None
            head = data[:HEAD]
            size = len(data)
            label = "<stdin>"
        else:
            p = Path(arg)
            if not p.exists():
                raise BundleError(f"{arg}: no such file or directory")
            if p.is_dir():
                raise BundleError(f"{arg}: is a directory (use `forewarn scan {arg}` for a bundle or a folder of node folders)")
            try:
                with open(p, "rb") as fh:
                    head = fh.read(HEAD)
            except OSError as exc:
                raise BundleError(f"{arg}: cannot read: {exc.strerror}") from None
            size = p.stat().st_size
            data = None
            rec_opener = (lambda q=p: open(q, "rb"))
            label = arg
        node = nodes.get(arg) or nodes.get(Path(arg).name) or _node_of(arg)
        if arg in forced or Path(arg).name in forced:
            spec_name = forced.get(arg) or forced[Path(arg).name]
            try:
                spec, why = get(spec_name), "--as"
            except KeyError:
                raise BundleError(f"--as {spec_name}={arg}: unknown spec {spec_name!r} (see `forewarn specs`)") from None
        else:
            spec, why = identify_text(label, head)
        if spec is None:
            first = head.decode("utf-8", errors="replace").strip().splitlines()[:1]
            what = "binary data" if why == "binary" else (f"first line {first[0][:80]!r}" if first else "empty")
            bundle.findings.append(internal_finding(
                "FW906", "file-not-recognised", "File not recognised",
                f"{label}: not recognised ({what}); nothing was checked from it. "
                "If you know what it is, say so with --as SPEC=FILE (see `forewarn specs`)",
                nodes=(node,) if node != "unknown" else ()))
            bundle.notes.append(f"{label}: NOT RECOGNISED ({what})")
            continue
        if node == "unknown" and spec.kind == "log":
            node = _host_in_log(head) or node
        rec = EvidenceRecord(spec=spec.name, node=node, artifact=label, source=label, kind=spec.kind,
                             size=size, opener=rec_opener, data=data)
        bundle.records.append(rec)
        bundle.notes.append(f"{label}: {spec.description} [{spec.name}] by {why}, node {node}")
    named = {r.node for r in bundle.records if r.node != "unknown"}
    if len(named) == 1:
        # One node named (by --node, a folder or the log's own host field): the other files are
        # taken to be from it too, rather than from a phantom "unknown" node.
        only = next(iter(named))
        for r in bundle.records:
            if r.node == "unknown":
                r.node = only
                bundle.notes.append(f"{r.artifact}: no node given, taken to be from {only}")
    bundle.nodes = sorted({r.node for r in bundle.records})
    return bundle


_LOG_HOST = re.compile(r"^(?:[A-Z][a-z]{2} +\d{1,2} \d\d:\d\d:\d\d(?:\.\d+)?|"
                       r"\d{4}-\d\d-\d\dT\S+) (?:\[\d+\] )?(?P<host>[A-Za-z0-9][\w.\-]*) \S", re.M)


def _host_in_log(head: bytes) -> str | None:
    """The host field of a syslog-style log, when every line in its head agrees on one."""
    hosts = {m.group("host") for m in _LOG_HOST.finditer(head.decode("utf-8", errors="replace"))}
    return hosts.pop() if len(hosts) == 1 else None
