"""Findings about forewarn's own view of the evidence (FW9xx), never about the cluster.

Kept in the model so that collection and facts can raise them without importing the rules.
"""

from __future__ import annotations

from typing import Any

from forewarn.model.findings import EvidenceRef, Finding, Severity, Status

INTERNAL = {
    "FW901": ("parser-crashed", Severity.MEDIUM),
    "FW902": ("rule-crashed", Severity.MEDIUM),
    "FW903": ("evidence-unreadable", Severity.LOW),
    "FW904": ("bundle-checksum-mismatch", Severity.MEDIUM),
    "FW905": ("parse-problems", Severity.INFO),
    "FW906": ("file-not-recognised", Severity.LOW),
    "FW907": ("unused-artifact", Severity.INFO),
    "FW908": ("node-unreachable", Severity.HIGH),
    "FW909": ("command-timed-out", Severity.LOW),
    "FW910": ("log-out-of-order", Severity.LOW),
    "FW911": ("evidence-read-in-part", Severity.INFO),
}


def internal_finding(code: str, name: str, title: str, message: str, *, nodes: tuple[str, ...] = (),
                     evidence: list[EvidenceRef] | None = None,
                     details: dict[str, Any] | None = None) -> Finding:
    return Finding(code=code, name=name, title=title, severity=INTERNAL[code][1],
                   status=Status.FAIL, family="FW", message=message, nodes=nodes,
                   evidence=evidence or [], details=details or {})
