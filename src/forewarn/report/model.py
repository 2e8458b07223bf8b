"""The report: findings plus what was read, ordered worst first."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from forewarn import __version__
from forewarn.model.findings import Finding, Severity, Status

SCHEMA_VERSION = 1


@dataclass(slots=True)
class Suppression:
    """One accepted finding: its code, on one node or all, why, and until when (a date)."""

    code: str
    node: str | None
    reason: str
    expires: date | None = None
    matched: int = 0  # findings it suppressed in this run

    def expired(self, today: date) -> bool:
        return self.expires is not None and self.expires < today


class SuppressionError(ValueError):
    pass


SUPPRESSION_KEYS = {"code", "node", "reason", "expires"}
SUPPRESS_MAX = 1 << 20  # a list of accepted findings, not a data set


def _no_aliases_loader() -> Any:
    """A YAML loader of plain YAML without aliases: `*name` lets a few hundred bytes expand to
    gigabytes (the "billion laughs"), and a list of accepted findings never needs one. (yaml is
    imported here: only a run given a suppression file reads YAML.)"""
    import yaml

    class NoAliases(yaml.SafeLoader):
        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                event = self.peek_event()
                raise yaml.composer.ComposerError(None, None, "aliases (*name) are not accepted here",
                                                  event.start_mark)
            return super().compose_node(parent, index)

    return NoAliases


def load_suppressions(path: str | Path, known_codes: Iterable[str] = ()) -> list[Suppression]:
    """Read a suppression file (docs/suppress.md):

        suppress:
          - {code: PVE106, node: pve1, reason: "one link by design", expires: 2027-06-30}

    `known_codes`: an entry naming any other code is an error, as `--only PVE999` is."""
    import yaml

    from forewarn.model.bounded import open_regular

    try:
        with open_regular(path) as fh:  # a FIFO or a device would block or never end
            raw = fh.read(SUPPRESS_MAX + 1)
        if len(raw) > SUPPRESS_MAX:
            raise SuppressionError(f"{path}: larger than 1 MiB: not a suppression file")
        data = yaml.load(raw.decode("utf-8"), Loader=_no_aliases_loader())  # noqa: S506 - a SafeLoader
    except FileNotFoundError:
        raise SuppressionError(f"{path}: no such file") from None
    except OSError as exc:
        raise SuppressionError(f"{path}: cannot read: {exc.strerror}") from None
    except (yaml.YAMLError, UnicodeDecodeError, RecursionError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else "nested too deeply"
        raise SuppressionError(f"{path}: not valid YAML ({first})") from None
    items = (data or {}).get("suppress") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise SuppressionError(f"{path}: expected a top-level `suppress:` list")
    known = {c.upper() for c in known_codes}
    out = []
    for i, item in enumerate(items, 1):
        if not isinstance(item, dict) or not item.get("code") or not item.get("reason"):
            raise SuppressionError(f"{path}: entry {i} needs `code` and `reason`")
        if extra := set(map(str, item)) - SUPPRESSION_KEYS:
            raise SuppressionError(f"{path}: entry {i}: unknown key(s) {', '.join(sorted(extra))} "
                                   f"(allowed: {', '.join(sorted(SUPPRESSION_KEYS))})")
        code = str(item["code"]).upper()
        if known and code not in known:
            raise SuppressionError(f"{path}: entry {i}: unknown rule code {code} (`forewarn rules` lists them)")
        expires = item.get("expires")
        if expires is not None and not isinstance(expires, date):
            try:
                expires = date.fromisoformat(str(expires))
            except ValueError:
                raise SuppressionError(f"{path}: entry {i}: expires {expires!r} is not a date (YYYY-MM-DD)") from None
        if isinstance(expires, datetime):
            expires = expires.date()
        node = item.get("node")
        out.append(Suppression(code, str(node) if node is not None else None, str(item["reason"]), expires))
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
    platforms: list[str] = field(default_factory=list)  # what the evidence shows (Proxmox VE, ...)
    suppression_notes: list[str] = field(default_factory=list)  # entries expired or unmatched
    unexplained: Any = None  # facts/unexplained.UnexplainedErrors: error lines nothing explained (never findings)
    notes: list[str] = field(default_factory=list)  # limits that applied while reading (stated, never silent)

    def apply_suppressions(self, sups: list[Suppression], today: date | None = None) -> None:
        """Mark the findings an unexpired entry accepts; say which entries expired or matched nothing."""
        today = today or self.generated.date()
        live = [s for s in sups if not s.expired(today)]
        for f in self.failed(include_suppressed=True):
            for s in live:
                if s.code == f.code and (s.node is None or s.node in f.nodes):
                    # the first entry gives the reason; every entry that matches has matched (a
                    # finding naming five nodes is accepted by five per-node entries, none unused)
                    if f.suppressed is None:
                        f.suppressed = s.reason
                    s.matched += 1
        for s in sups:
            where = f"{s.code}" + (f" on {s.node}" if s.node else "")
            if s.expired(today):
                self.suppression_notes.append(f"{where}: expired on {s.expires} and no longer suppresses "
                                              f"(reason was: {s.reason})")
            elif not s.matched:
                self.suppression_notes.append(f"{where}: matched no finding (fixed? then remove the entry)")

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
            "platforms": self.platforms,
            "inputs": self.inputs,
            "summary": self.summary(),
            "findings": [_finding_json(f) for f in self.failed()],
            "suppressed": [_finding_json(f) for f in self.suppressed()],
            "suppression_notes": self.suppression_notes,
            "notes": self.notes,
            "unexplained_errors": self.unexplained.to_json() if self.unexplained is not None else None,
            "checks": [
                {"code": f.code, "name": f.name, "status": f.status.value, "message": f.message,
                 "missing": list(f.missing), "nodes": list(f.nodes)}
                for f in sorted(self.findings, key=lambda f: f.code)
                if f.status is not Status.FAIL
            ],
        }


def _finding_json(f: Finding) -> dict[str, Any]:
    """A finding as JSON, with its seed reference also as a citation a reader can open."""
    from forewarn.catalogue.citations import citations

    return {**f.to_json(), "citations": [c.to_json() for c in citations(f.seed)]}


def exit_code(report: Report, fail_on: Severity) -> int:
    """Like a linter: 1 when an unsuppressed finding is at or above `fail_on`, else 0."""
    return 1 if any(f.severity >= fail_on for f in report.failed()) else 0
