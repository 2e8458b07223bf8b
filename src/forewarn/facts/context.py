"""The `Context` a rule reads: every node's parsed evidence, parsed once, lazily.

Parsing happens here, wrapped: a parser that raises becomes an FW901 finding, an unreadable
artifact an FW903 finding, and parse problems an FW905 note. Rules only see values.
"""

from __future__ import annotations

import copy
import tarfile
import traceback
import zlib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import Any, TypeVar, overload

from forewarn.facts.fact import Fact as Fact  # re-exported: rules import Fact from here
from forewarn.model.evidence import EvidenceRecord
from forewarn.model.keys import Key, UndeclaredRead, forms, spec_of
from forewarn.model.findings import Finding
from forewarn.model.problems import Parsed
from forewarn.parse._registry import get_parser
from forewarn.model.internal import internal_finding

# Reading an artifact can fail half-way (damaged gzip member, file vanished, I/O error).
_READ_ERRORS = (OSError, EOFError, zlib.error, tarfile.TarError)
T = TypeVar("T")


class Context:
    def __init__(self, records: Iterable[EvidenceRecord], *, now: datetime | None = None,
                 options: dict[str, Any] | None = None, uncollected: Mapping[str, str] | None = None) -> None:
        self.records: list[EvidenceRecord] = list(records)
        # nodes the input names but from which nothing was collected, with why (FW908)
        self.uncollected: dict[str, str] = dict(uncollected or {})
        self.now = now or datetime.now(timezone.utc)
        self.options = options or {}
        self._by_spec: dict[str, list[EvidenceRecord]] = defaultdict(list)
        for rec in self.records:
            self._by_spec[rec.spec].append(rec)
        self._facts: dict[str, list[Fact[Any]]] = {}  # one spec's own facts
        self._merged: dict[str, list[Fact[Any]]] = {}  # a key's facts, its alternatives merged in
        self._internal: list[Finding] = []
        self._unparsed: dict[str, str] = {}  # spec -> why nothing usable came out of it
        self.extra_findings: list[Finding] = []
        self._allowed: frozenset[str] | None = None  # set on a rule's view: what it declared
        self._who = ""

    def restricted(self, allowed: Iterable[Key[Any] | str], who: str) -> "Context":
        """A view of this context that may read only `allowed` (a rule's declared keys). It
        shares every cache with this one; reading anything else raises UndeclaredRead."""
        view = copy.copy(self)
        view._allowed = frozenset(s for k in allowed for s in forms(k))
        view._who = who
        return view

    def _check(self, spec: str) -> None:
        if self._allowed is not None and spec not in self._allowed:
            raise UndeclaredRead(f"{self._who} read {spec} without declaring it "
                                 "(add it to the rule's inputs, requires or reads)")

    # -- nodes and raw records ------------------------------------------------------------
    @property
    def nodes(self) -> list[str]:
        return sorted({r.node for r in self.records})

    def raw(self, key: Key[Any] | str, node: str | None = None) -> list[EvidenceRecord]:
        """Records as collected, parsed or not (timeouts are evidence too)."""
        spec = spec_of(key)
        self._check(spec)
        return [r for r in self._by_spec.get(spec, []) if node is None or r.node == node]

    # -- parsed facts ---------------------------------------------------------------------
    @overload
    def facts(self, key: Key[T]) -> list[Fact[T]]: ...
    @overload
    def facts(self, key: str) -> list[Fact[Any]]: ...
    def facts(self, key: Key[Any] | str) -> list[Fact[Any]]:
        """The key's facts. A key with alternative specs (the API form of a command's output)
        merges them: a node's facts come from the first spec that has any for that node, so one
        node never counts twice when a bundle holds both forms."""
        spec = spec_of(key)
        self._check(spec)
        if spec not in self._merged:
            merged: list[Fact[Any]] = []
            covered: set[str] = set()
            for form in forms(spec):
                own = self._own_facts(form)
                merged.extend(f for f in own if f.node not in covered)
                covered.update(f.node for f in own)
            self._merged[spec] = merged
        return self._merged[spec]

    def _own_facts(self, spec: str) -> list[Fact[Any]]:
        if spec not in self._facts:
            self._facts[spec] = [f for f in (self._parse(r) for r in self._by_spec.get(spec, []))
                                 if f is not None]
        return self._facts[spec]

    @overload
    def by_node(self, key: Key[T]) -> dict[str, Fact[T]]: ...
    @overload
    def by_node(self, key: str) -> dict[str, Fact[Any]]: ...
    def by_node(self, key: Key[Any] | str) -> dict[str, Fact[Any]]:
        out: dict[str, Fact[Any]] = {}
        for f in self.facts(key):
            out.setdefault(f.node, f)
        return out

    @overload
    def fact(self, key: Key[T], node: str) -> Fact[T] | None: ...
    @overload
    def fact(self, key: str, node: str) -> Fact[Any] | None: ...
    def fact(self, key: Key[Any] | str, node: str) -> Fact[Any] | None:
        return self.by_node(key).get(node)

    def has(self, key: Key[Any] | str) -> bool:
        return bool(self.facts(key))

    def why_missing(self, keys: Iterable[Key[Any] | str]) -> str:
        specs = [s for k in keys for s in forms(k)]
        reasons = [f"{s}: {self._unparsed[s]}" for s in specs if s in self._unparsed]
        return f" ({'; '.join(reasons)})" if reasons else ""

    def platform_present(self, platform: str) -> bool:
        """Asked once per rule and per signature row: the answer depends only on the records, so
        it is worked out once per platform (the cache is shared with every rule's view)."""
        from forewarn.facts.platform import platform_present

        seen: dict[str, bool] = self.options.setdefault("_platforms", {})
        if platform not in seen:
            seen[platform] = platform_present(self, platform)
        return seen[platform]

    def _parse(self, rec: EvidenceRecord) -> Fact[Any] | None:
        p = get_parser(rec.spec)
        if p is None:
            return None
        if rec.error and not rec.size:
            self._unparsed[rec.spec] = rec.error
            return None
        if rec.data is None and rec.opener is None:
            # nothing to read (a manifest entry whose file is not in the bundle): an empty
            # parse here would read as "nothing wrong", so the spec is missing, not empty
            self._unparsed[rec.spec] = f"{rec.artifact}: {rec.error or 'no content to read'}"
            return None
        try:
            binary = rec.is_binary()
        except _READ_ERRORS as exc:
            self._unreadable(rec, exc)
            return None
        if binary:
            self._unparsed[rec.spec] = f"{rec.artifact} is binary, not text"
            self._internal.append(internal_finding(
                "FW903", "evidence-unreadable", "Evidence is not readable text",
                f"{rec.node}: {rec.artifact} looks binary; it was not parsed as {rec.spec}",
                nodes=(rec.node,)))
            return None
        try:
            parsed: Parsed[Any] = p(rec.lines() if p.stream else rec.text())
        except _READ_ERRORS as exc:
            self._unreadable(rec, exc)
            return None
        except Exception as exc:  # noqa: BLE001 - the engine wraps every parser, see STYLE 2.3
            self._unparsed[rec.spec] = f"parser crashed on {rec.artifact}"
            self._internal.append(internal_finding(
                "FW901", "parser-crashed", f"Parser for {rec.spec} crashed",
                f"{rec.node}: parsing {rec.artifact} as {rec.spec} raised {exc!r}",
                nodes=(rec.node,), details={"traceback": traceback.format_exc(limit=6)}))
            return None
        if parsed.problems:
            shown = "; ".join(str(pr) for pr in parsed.problems[:3])
            more = f" (+{len(parsed.problems) - 3} more)" if len(parsed.problems) > 3 else ""
            self._internal.append(internal_finding(
                "FW905", "parse-problems", "Some lines were not understood",
                f"{rec.node}: {rec.artifact} ({rec.spec}): {shown}{more}", nodes=(rec.node,),
                details={"count": len(parsed.problems)}))
        if parsed.value is None:
            why = "timed out before it printed anything" if rec.timed_out else (
                parsed.problems[0].reason if parsed.problems else "nothing usable in it")
            self._unparsed[rec.spec] = f"{rec.artifact}: {why}"
            return None
        return Fact(rec.node, rec.spec, rec, parsed.value, parsed.problems)

    def _unreadable(self, rec: EvidenceRecord, exc: BaseException) -> None:
        self._unparsed[rec.spec] = f"{rec.artifact} could not be read ({exc})"
        self._internal.append(internal_finding(
            "FW903", "evidence-unreadable", "Evidence could not be read",
            f"{rec.node}: {rec.artifact}: reading failed ({exc}); it was not parsed as {rec.spec}",
            nodes=(rec.node,)))

    def internal_findings(self) -> list[Finding]:
        return self._internal + self.extra_findings
