"""The report: findings plus what was read, ordered worst first."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml

from forewarn import __version__
from forewarn.model.findings import Finding, Severity, Status

SCHEMA_VERSION = 1


@dataclass(slots=True)
class Suppression:
    code: str
    node: str | None
    reason: str


class SuppressionError(ValueError):
    pass


def load_suppressions(path: str | Path) -> list[Suppression]:
    """Read a suppression file: `suppress: [{code: PVE106, node: pve1, reason: "..."}]`."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SuppressionError(f"{path}: no such file") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise SuppressionError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    items = (data or {}).get("suppress") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise SuppressionError(f"{path}: expected a top-level `suppress:` list")
    out = []
    for i, item in enumerate(items, 1):
        if not isinstance(item, dict) or not item.get("code") or not item.get("reason"):
            raise SuppressionError(f"{path}: entry {i} needs `code` and `reason`")
        out.append(Suppression(str(item["code"]).upper(), item.get("node"), str(item["reason"])))
    return out


# a node that could not be read makes a rule "could not check" there, beside its verdict on the others
_RANK = {Status.NOT_APPLICABLE: 0, Status.COULD_NOT_CHECK: 1, Status.PASS: 2, Status.FAIL: 3}


def _sort_key(f: Finding) -> tuple[Any, ...]:
    return (-int(f.severity), f.nodes[:1] or ("~",), f.code)


@dataclass(slots=True)
class Report:
    command: str
    source: str
    findings: list[Finding]
    nodes: list[str] = field(default_factory=list)
    inputs: list[str] = field(default_factory=list)
    generated: datetime = field(default_factory=lambda: datetime.now(timezone.utc))

    def apply_suppressions(self, sups: list[Suppression]) -> None:
        for f in self.failed(include_suppressed=True):
            for s in sups:
                if s.code == f.code and (s.node is None or s.node in f.nodes):
                    f.suppressed = s.reason

    def failed(self, include_suppressed: bool = False) -> list[Finding]:
        out = [f for f in self.findings if f.status is Status.FAIL
               and (include_suppressed or f.suppressed is None)]
        return sorted(out, key=_sort_key)

    def suppressed(self) -> list[Finding]:
        return [f for f in self.findings if f.status is Status.FAIL and f.suppressed is not None]

    def by_status(self, status: Status) -> list[Finding]:
        return sorted((f for f in self.findings if f.status is status), key=lambda f: f.code)

    def summary(self) -> dict[str, Any]:
        rule_findings = [f for f in self.findings if f.family != "FW"]
        status_by_code: dict[str, Status] = {}
        for f in rule_findings:  # a rule's worst: fail, then pass (on the nodes it could read)
            prev = status_by_code.get(f.code)
            if prev is None or _RANK[f.status] > _RANK[prev]:
                status_by_code[f.code] = f.status
        counts = Counter(s.value for s in status_by_code.values())
        sev = Counter(f.severity.label for f in self.failed())
        return {
            "rules": len(status_by_code),
            "failed": counts.get("fail", 0),
            "passed": counts.get("pass", 0),
            "not_applicable": counts.get("not-applicable", 0),
            "could_not_check": counts.get("could-not-check", 0),
            "findings": len(self.failed()),
            "by_severity": {s.label: sev.get(s.label, 0) for s in reversed(Severity)},
            "suppressed": len(self.suppressed()),
            # nodes no rule could check (nothing was collected from them)
            "not_checked": sorted({n for f in rule_findings if f.status is Status.COULD_NOT_CHECK
                                   for n in f.nodes}),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": "forewarn.report",
            "schema_version": SCHEMA_VERSION,
            "forewarn_version": __version__,
            "command": self.command,
            "source": self.source,
            "generated": self.generated.isoformat().replace("+00:00", "Z"),
            "nodes": self.nodes,
            "inputs": self.inputs,
            "summary": self.summary(),
            "findings": [f.to_json() for f in self.failed()],
            "suppressed": [f.to_json() for f in self.suppressed()],
            "checks": [
                {"code": f.code, "name": f.name, "status": f.status.value, "message": f.message,
                 "missing": list(f.missing), "nodes": list(f.nodes)}
                for f in sorted(self.findings, key=lambda f: f.code)
                if f.status is not Status.FAIL
            ],
        }


def exit_code(report: Report, fail_on: Severity) -> int:
    """Like a linter: 1 when an unsuppressed finding is at or above `fail_on`, else 0."""
    return 1 if any(f.severity >= fail_on for f in report.failed()) else 0
