"""One parsed artifact (`Fact[T]`): which node, which spec, the record it came from and its value."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from forewarn.model.evidence import EvidenceRecord
from forewarn.model.findings import EvidenceRef
from forewarn.model.problems import ParseProblem

_EXCERPT_MAX = 12
_LINE_MAX = 300  # one-line JSON evidence must not paste the whole output into a report
T = TypeVar("T")


@dataclass(slots=True)
class Fact(Generic[T]):
    """One parsed artifact: which node, which spec, the record it came from and its value."""

    node: str
    spec: str
    record: EvidenceRecord
    value: T
    problems: list[ParseProblem] = field(default_factory=list)

    @property
    def artifact(self) -> str:
        return self.record.artifact

    def ref(self, lines: Iterable[int] = (), excerpt: Iterable[str] | None = None) -> EvidenceRef:
        """Evidence reference to some lines of this artifact (the excerpt is read if not given)."""
        nums = tuple(sorted({n for n in lines if n}))
        if excerpt is None and nums and self.record.kind != "log":
            all_lines = self.record.text().splitlines()
            excerpt = [all_lines[n - 1] for n in nums[:_EXCERPT_MAX] if 0 < n <= len(all_lines)]
        shown = tuple(ln if len(ln) <= _LINE_MAX else ln[:_LINE_MAX] + "…" for ln in (excerpt or ()))
        return EvidenceRef(spec=self.spec, node=self.node, artifact=self.artifact, lines=nums,
                           excerpt=shown[:_EXCERPT_MAX])
