"""A rule's metadata (`RuleMeta`), as its YAML or a signature's `finding:` gives it (its own module:
the catalogue and signature_rows both build it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from forewarn.model.codes import family_of
from forewarn.model.findings import Severity


class MetaError(ValueError):
    """A rule's YAML lacks or mangles its metadata (a developer's mistake: tests catch it)."""


@dataclass(frozen=True, slots=True)
class RuleMeta:
    code: str
    name: str
    title: str
    severity: Severity
    kind: str  # "detect" | "advise"
    seed: str
    path: Path
    what: str = ""  # what the rule does (detect rules)
    why: str = ""  # why it matters: a finding's cause
    how: str = ""  # how to fix, in words
    cause: str = ""  # why the problem happens
    advice: str = ""  # what to do, as the source documents say
    evidence: str = ""  # what scan/explain need to see
    symptoms: tuple[str, ...] = ()  # real error texts that mean this problem
    also_seen: tuple[str, ...] = ()  # real lines this problem prints that other problems print too
    words: tuple[str, ...] = ()
    example: dict[str, Any] = field(default_factory=dict)
    by: str = "rule"  # "rule": rules/<family>/ YAML (and module); "signature": signatures/*.yaml `finding:`

    @property
    def family(self) -> str:
        return family_of(self.code)  # PVE101 -> PVE, K8S101 -> K8S

    def row(self) -> dict[str, Any]:
        """As `forewarn why` and `rules --format json` show a catalogue row."""
        return {"code": self.code, "kind": self.kind, "by": self.by, "severity": self.severity.label, "name": self.name,
                "title": self.title, "symptoms": list(self.symptoms), "also_seen": list(self.also_seen),
                "words": list(self.words),
                "cause": self.cause, "advice": self.advice, "evidence": self.evidence, "seed": self.seed}
