"""What a loose file is, from its name and first bytes: the specs' sniffers decide (a bundle with
no manifest and `forewarn scan FILE...` both ask this)."""

from __future__ import annotations

from forewarn.model.evidence import GZIP_MAGIC, gunzip_head, looks_binary
from forewarn.specs._base import Spec, get, sniff_content


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
