"""Loose files (`forewarn explain FILE... | -`): work out what each file is, and for which node.

A file is identified by its name and by patterns in its first 64 KiB (the specs' sniffers).
Each file's node comes, in this order, from `--node NODE=FILE`, from the host field of a log's
own lines, or from a path that names the node itself (`/etc/pve/nodes/NODE/...`); else it is
"unknown". The folders a path happens to start with never name a node (`tests/x.log` is not
from a node `tests`): a folder of node folders is a bundle, read by `forewarn scan DIR`. What
each file was taken to be is reported. Any text is evidence: a text file nobody recognises is
read as a generic log (`log.text`: every line against every signature); only binary data
(model/evidence.py `looks_binary`) becomes an FW906 finding.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import IO

from forewarn.collect.bundle import Bundle, BundleError
from forewarn.model.bounded import open_regular
from forewarn.model.evidence import GZIP_MAGIC, EvidenceRecord, gunzip_head
from forewarn.model.internal import internal_finding
from forewarn.specs import get, identify_text

HEAD = 65536
SNIFF = 8192
STDIN_LIMIT = 256 * 1024 * 1024


# What pmxcfs keeps under /etc/pve/nodes/NODE/: such a path names its node even in a copy of
# /etc/pve that lives under another folder name.
_NODE_ENTRIES = {"qemu-server", "lxc", "openvz", "host.fw", "lrm_status", "lrm_status.tmp",
                 "pveproxy-ssl.pem", "pveproxy-ssl.key", "pve-ssl.pem", "pve-ssl.key", "config"}


def _node_in_path(arg: str) -> str | None:
    """The node a pmxcfs path names (`/etc/pve/nodes/pve2/qemu-server/100.conf` -> pve2)."""
    parts = Path(arg).parts
    for i in range(len(parts) - 2):
        if parts[i] == "nodes" and ((i > 0 and parts[i - 1] == "pve") or parts[i + 2] in _NODE_ENTRIES):
            return parts[i + 1]
    return None


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
                with open_regular(p) as fh:  # a FIFO or a device is refused, never waited on
                    head = fh.read(HEAD)
                    size = os.fstat(fh.fileno()).st_size
            except OSError as exc:
                hint = "; give - to read standard input" if "FIFO" in str(exc.strerror) else ""
                raise BundleError(f"{arg}: cannot read: {exc.strerror}{hint}") from None
            data = None
            rec_opener = (lambda q=p: open_regular(q))
            label = arg
        given = nodes.get(arg) or nodes.get(Path(arg).name)
        node = given if given and given != "unknown" else "unknown"
        if arg in forced or Path(arg).name in forced:
            spec_name = forced.get(arg) or forced[Path(arg).name]
            try:
                spec, why = get(spec_name), "--as"
            except KeyError:
                raise BundleError(f"--as {spec_name}={arg}: unknown spec {spec_name!r} (see `forewarn specs`)") from None
        elif _only_nuls(head, data, rec_opener):
            spec, why = None, "NUL bytes only" + (", gzip-compressed" if head.startswith(GZIP_MAGIC) else "")
        else:
            spec, why = identify_text(label, head)
        if spec is None:
            first = head.decode("utf-8", errors="replace").strip().splitlines()[:1]
            what = "binary data" if why == "binary" else (f"first line {first[0][:80]!r}" if first else "empty")
            what = why if why.startswith("NUL bytes only") else what
            bundle.findings.append(internal_finding(
                "FW906", "file-not-recognised", "File not recognised",
                f"{label}: not recognised ({what}); nothing was checked from it. "
                "If you know what it is, say so with --as SPEC=FILE (see `forewarn specs`)",
                nodes=(node,) if node != "unknown" else ()))
            bundle.notes.append(f"{label}: NOT RECOGNISED ({what})")
            continue
        if node == "unknown" and spec.kind == "log":
            node = _host_in_log(head) or node
        if node == "unknown" and arg != "-":
            node = _node_in_path(arg) or node
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


def _only_nuls(head: bytes, data: bytes | None, opener: Callable[[], IO[bytes]] | None) -> bool:
    """Is the whole file NUL bytes (decompressed; as far as the cap on an artifact's bytes)?
    What a crash or a failed copy leaves: said so, not read as text nor called a tarball."""
    if not head or gunzip_head(head[:SNIFF]).strip(b"\0"):
        return False
    rec = EvidenceRecord(spec="", node="", artifact="", data=data, opener=opener)
    with rec.open_bytes() as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            if chunk.strip(b"\0"):
                return False
    return True


_LOG_HOST = re.compile(r"^(?:[A-Z][a-z]{2} +\d{1,2} \d\d:\d\d:\d\d(?:\.\d+)?|"
                       r"\d{4}-\d\d-\d\dT\S+) (?:\[\d+\] )?(?P<host>[A-Za-z0-9][\w.\-]*) \S", re.M)


def _host_in_log(head: bytes) -> str | None:
    """The host field of a syslog-style log, when every line in its head agrees on one."""
    hosts = {m.group("host") for m in _LOG_HOST.finditer(head.decode("utf-8", errors="replace"))}
    return hosts.pop() if len(hosts) == 1 else None
