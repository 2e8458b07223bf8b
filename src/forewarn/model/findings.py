"""Findings: what a rule concluded, with its evidence and its fix."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class Severity(enum.IntEnum):
    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @classmethod
    def parse(cls, word: str) -> "Severity":
        try:
            return cls[word.strip().upper()]
        except KeyError:
            raise ValueError(
                f"unknown severity {word!r} (use one of: {', '.join(s.label for s in cls)})"
            ) from None

    @property
    def label(self) -> str:
        return self.name.lower()


class Status(str, enum.Enum):
    """The four ends of a check. `could-not-check` is never a pass."""

    FAIL = "fail"
    PASS = "pass"
    NOT_APPLICABLE = "not-applicable"
    COULD_NOT_CHECK = "could-not-check"


class When(str, enum.Enum):
    """Whether a finding describes the state now or something that happened (from logs)."""

    NOW = "now"
    PAST = "past"
    CONFIG = "config"


@dataclass(frozen=True, slots=True)
class EvidenceRef:
    """Points at the raw text behind a finding: artifact, node and the lines that matter."""

    spec: str
    node: str
    artifact: str
    lines: tuple[int, ...] = ()
    excerpt: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "spec": self.spec,
            "node": self.node,
            "artifact": self.artifact,
            "lines": list(self.lines),
            "excerpt": list(self.excerpt),
        }


@dataclass(frozen=True, slots=True)
class FixStep:
    """One command (or manual instruction) of a fix, with its own safety mark."""

    command: str
    node: str | None = None
    safe: bool = True
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"command": self.command, "node": self.node, "safe": self.safe, "note": self.note}


@dataclass(slots=True)
class Finding:
    code: str
    name: str
    title: str
    severity: Severity
    status: Status
    family: str
    message: str = ""
    nodes: tuple[str, ...] = ()
    when: When = When.NOW
    cause: str = ""
    evidence: list[EvidenceRef] = field(default_factory=list)
    fix: list[FixStep] = field(default_factory=list)
    missing: tuple[str, ...] = ()
    seed: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    suppressed: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "title": self.title,
            "severity": self.severity.label,
            "status": self.status.value,
            "family": self.family,
            "nodes": list(self.nodes),
            "when": self.when.value,
            "message": self.message,
            "cause": self.cause,
            "evidence": [e.to_json() for e in self.evidence],
            "fix": [f.to_json() for f in self.fix],
            "missing": list(self.missing),
            "seed": self.seed,
            "details": self.details,
            "suppressed": self.suppressed,
        }
