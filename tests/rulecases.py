"""Rule cases: the real failing and passing evidence beside each rule, as data (the tests' loader).

A case names its evidence per spec (and per node for cross-node rules), inline or as a
slice of a file under `tests/evidence/` (the real captures and seed documents):

    cases:
      fail-seed001-node5:
        expect: fail                       # fail | pass | not-applicable | could-not-check
        source: seed 001 lines 138-301, verbatim
        nodes:
          pve5: {log.syslog: {file: seeds/001_2bd87300fc635f04.txt, lines: [138, 301]}}
        message_contains: ["lost quorum"]
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from forewarn.model.evidence import EvidenceRecord
from forewarn.specs import SPECS


def evidence_root() -> Path:
    return Path(__file__).resolve().parent / "evidence"


def case_nodes(case: dict[str, Any]) -> dict[str, dict[str, Any]]:
    if "nodes" in case:
        return case["nodes"] or {}
    return {"node": case.get("evidence") or {}}


def text_of(value: Any, root: Path) -> tuple[str, dict[str, Any]]:
    meta: dict[str, Any] = {}
    if isinstance(value, str):
        return value, meta
    if not isinstance(value, dict):
        raise ValueError(f"evidence must be text or a mapping, got {type(value).__name__}")
    meta = {k: value[k] for k in ("timed_out", "rc", "truncated", "error") if k in value}
    if "text" in value:
        return str(value["text"]), meta
    if "file" in value:
        path = root / value["file"]
        text = path.read_text(encoding="utf-8")
        if "lines" in value:
            lo, hi = value["lines"]
            text = "\n".join(text.splitlines()[lo - 1:hi]) + "\n"
        return text, meta
    raise ValueError("evidence mapping needs `text` or `file`")


def case_records(case: dict[str, Any], root: Path | None = None) -> list[EvidenceRecord]:
    root = root or evidence_root()
    records: list[EvidenceRecord] = []
    for node, specs in case_nodes(case).items():
        for spec_name, value in (specs or {}).items():
            base = spec_name.split("#", 1)[0]  # `log.syslog#2` lets a case give two instances
            if base not in SPECS:
                raise ValueError(f"unknown spec {base!r}")
            values = value if isinstance(value, list) else [value]
            for i, v in enumerate(values):
                text, meta = text_of(v, root)
                suffix = spec_name[len(base):] + (f"#{i}" if i else "")
                art = (v.get("artifact") if isinstance(v, dict) else None) or \
                    f"{SPECS[base].bundle_path_for()}{suffix}"
                records.append(EvidenceRecord(
                    spec=base, node=str(node), artifact=str(art), kind=SPECS[base].kind,
                    data=text.encode("utf-8"), size=len(text), timed_out=bool(meta.get("timed_out")),
                    truncated=bool(meta.get("truncated")), rc=meta.get("rc"), error=meta.get("error")))
    return records


def case_now(case: dict[str, Any]) -> datetime:
    raw = case.get("now") or "2026-11-22T12:00:00Z"
    dt = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)
