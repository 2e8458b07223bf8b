"""The knowledge base of log signatures: what a line means, as data (one YAML file per family).

Each signature has an id, a regex in the common dialect (`_dialect.py`) with named groups, at
least one verbatim real example line with its source and at least one near miss that must not
match; the suite checks both. A signature whose line means one thing by itself also carries its
own finding (`finding:` with the fields of a rule's metadata: code, name, title, severity,
message, cause, fix), so a known error becomes a finding without new Python. Python rules
consume the same events by kind (`kind`, the id unless said otherwise).

Lines are matched against the signatures in knowledge-base order (`ORDER`, then any other file
by name; inside a file, as written): the first signature that matches names the event.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from forewarn.model.cachedir import cache_dir, private_file, write_private
from forewarn.signatures._dialect import DialectError, engine_form, literals, parse, re2_form

HERE = Path(__file__).resolve().parent
# Specific before generic: a line is named by the first signature that matches it.
# a family's own lines before the generic ones that would also read them (backup's `zstd: ... No space
# left on device` is a full backup target before linux's failed write)
ORDER = ("corosync", "pmxcfs", "pve-ha", "boot", "pve-guests", "pve-storage", "pve-host", "backup", "lvm", "zfs",
         "ceph", "k8s", "linux", "openstack", "hardware")
SEVERITIES = ("info", "low", "medium", "high", "critical")
_CODE = re.compile(r"^[A-Z][A-Z0-9]{1,4}\d{3}$")  # PVE101, K8S123, CEPH104
_FIELD = re.compile(r"\{(\w+)\}")


class SignatureError(ValueError):
    """A knowledge-base file that does not follow the schema."""


@dataclass(frozen=True, slots=True)
class Line:
    """A verbatim line and where it was read (a repository path:line or a public URL)."""

    line: str
    source: str
    groups: tuple[tuple[str, str], ...] = ()  # expected attributes, for examples


@dataclass(frozen=True, slots=True)
class FindingSpec:
    """The finding a signature carries: the metadata fields of a rule (rules/_engine.py @rule)."""

    code: str
    name: str
    title: str
    severity: str
    message: str  # a template: {group} is the signature's named group of the first line
    cause: str
    fix: tuple[str, ...]
    source: str
    when: str = "past"


_COMPILED: dict[str, re.Pattern[str]] = {}  # signature id -> its regex, compiled when first needed


@dataclass(frozen=True, eq=False, slots=True)
class Signature:
    id: str
    kind: str
    family: str
    pattern: str  # as written in the knowledge base
    case_sensitive: bool
    literals: tuple[str, ...]  # lower-cased; every match contains one of them
    engine: str  # the byte matchers' form (see _dialect.engine_form)
    examples: tuple[Line, ...]
    near_misses: tuple[Line, ...]
    finding: FindingSpec | None = None

    @property
    def regex(self) -> re.Pattern[str]:
        """The regex for decoded text (re.ASCII, and IGNORECASE unless case-sensitive), compiled
        on first use: most signatures never meet their literal in a given log."""
        rx = _COMPILED.get(self.id)
        if rx is None:
            flags = re.ASCII | (0 if self.case_sensitive else re.IGNORECASE)
            rx = _COMPILED[self.id] = re.compile(self.pattern, flags)
        return rx

    @property
    def engine_pattern(self) -> str:
        return self.engine if self.case_sensitive else "(?i)" + self.engine

    @property
    def re2_pattern(self) -> str:
        return re2_form(self.engine_pattern)

    @property
    def group_names(self) -> tuple[str, ...]:
        return tuple(self.regex.groupindex)


def _lines(raw: Any, where: str, *, groups: bool) -> tuple[Line, ...]:
    if not isinstance(raw, list):
        raise SignatureError(f"{where}: a list of {{line, source}} is needed")
    out = []
    for x in raw:
        if not isinstance(x, dict) or not isinstance(x.get("line"), str) or not x.get("source"):
            raise SignatureError(f"{where}: every line needs `line` and `source`")
        g = x.get("groups") or {}
        if g and not groups:
            raise SignatureError(f"{where}: near misses have no groups")
        out.append(Line(x["line"], str(x["source"]), tuple((str(k), str(v)) for k, v in g.items())))
    return tuple(out)


def _finding(raw: Any, where: str, groups: tuple[str, ...]) -> FindingSpec:
    if not isinstance(raw, dict):
        raise SignatureError(f"{where}: finding must be a mapping")
    missing = [k for k in ("code", "name", "title", "severity", "message", "cause", "fix") if not raw.get(k)]
    if missing:
        raise SignatureError(f"{where}: finding lacks {', '.join(missing)}")
    if not _CODE.match(str(raw["code"])):
        raise SignatureError(f"{where}: bad code {raw['code']!r}")
    if raw["severity"] not in SEVERITIES:
        raise SignatureError(f"{where}: severity {raw['severity']!r} is not one of {SEVERITIES}")
    unknown = [f for f in _FIELD.findall(str(raw["message"]) + str(raw["title"])) if f not in groups + ("node",)]
    if unknown:
        raise SignatureError(f"{where}: message names {unknown}, which are not groups of the regex")
    fix = raw["fix"]
    fix = (fix,) if isinstance(fix, str) else tuple(str(s) for s in fix)
    return FindingSpec(str(raw["code"]), str(raw["name"]), str(raw["title"]), str(raw["severity"]),
                       str(raw["message"]), str(raw["cause"]).strip(), fix,
                       str(raw.get("source") or ""), str(raw.get("when") or "past"))


def _signature(raw: Any, family: str, where: str) -> Signature:
    if not isinstance(raw, dict) or not raw.get("id") or not isinstance(raw.get("regex"), str):
        raise SignatureError(f"{where}: a signature needs an id and a regex")
    sid = str(raw["id"])
    where = f"{where} {sid}"
    case = raw.get("case", "insensitive")
    if case not in ("sensitive", "insensitive"):
        raise SignatureError(f"{where}: case is `sensitive` or `insensitive`")
    pattern = raw["regex"]
    try:
        branches = parse(pattern)
    except DialectError as exc:
        raise SignatureError(f"{where}: {exc}") from None
    lits = literals(branches, fold=True)
    if any(len(lit) < 3 for lit in lits):
        raise SignatureError(f"{where}: every alternative needs a literal of 3 characters or more "
                             f"that each match contains (found {lits})")
    flags = re.ASCII | (0 if case == "sensitive" else re.IGNORECASE)
    try:
        regex = _COMPILED[sid] = re.compile(pattern, flags)
    except re.error as exc:
        raise SignatureError(f"{where}: {exc}") from None
    examples = _lines(raw.get("examples"), f"{where} examples", groups=True)
    near = _lines(raw.get("near_misses"), f"{where} near_misses", groups=False)
    if not examples or not near:
        raise SignatureError(f"{where}: at least one example and one near miss are needed")
    finding = _finding(raw["finding"], where, tuple(regex.groupindex)) if raw.get("finding") else None
    kind = str(raw.get("kind") or sid)
    return Signature(sid, kind, family, pattern, case == "sensitive", lits, engine_form(branches),
                     examples, near, finding)


def files() -> list[Path]:
    found = {p.stem: p for p in HERE.glob("*.yaml")}
    return [found[n] for n in ORDER if n in found] + sorted(p for n, p in found.items() if n not in ORDER)


def load_file(path: Path) -> tuple[Signature, ...]:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    doc = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
    if not isinstance(doc, dict) or not isinstance(doc.get("signatures"), list):
        raise SignatureError(f"{path.name}: needs `family` and a list of `signatures`")
    family = str(doc.get("family") or path.stem)
    return tuple(_signature(raw, family, path.name) for raw in doc["signatures"])


CACHE_FORMAT = 1  # bump when what the cache holds changes


@lru_cache(maxsize=1)
def load() -> tuple[Signature, ...]:
    """Every signature, in matching order (read once per process).

    Checking and preparing the knowledge base (the dialect, literals, engine forms) takes a
    few hundred milliseconds; the prepared form is kept in the user's cache directory, named
    after the content of the YAML files and of the dialect module, and read from there."""
    paths = files()
    h = hashlib.sha256(f"{CACHE_FORMAT}\0".encode())
    for p in paths + [HERE / "_dialect.py"]:
        h.update(p.name.encode() + b"\0" + p.read_bytes())
    folder = cache_dir()
    cached = folder / f"kb-prepared-{h.hexdigest()[:24]}.json" if folder else None
    if cached is not None and private_file(cached):
        try:
            return tuple(_from_json(x) for x in json.loads(cached.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError, KeyError):
            pass
    out: list[Signature] = []
    for path in paths:
        out.extend(load_file(path))
    _check(out)
    if cached is not None:
        write_private(cached, json.dumps([_to_json(s) for s in out]).encode())
    return tuple(out)


def _check(out: list[Signature]) -> None:
    seen: dict[str, str] = {}
    kinds: dict[str, str] = {}  # kind -> the signature carrying its finding
    codes: dict[str, FindingSpec] = {}
    for s in out:
        if s.id in seen:
            raise SignatureError(f"signature id {s.id} in {s.family} and {seen[s.id]}")
        seen[s.id] = s.family
        if s.finding is None:
            continue
        if s.kind in kinds:
            raise SignatureError(f"{s.id}: kind {s.kind} already carries a finding ({kinds[s.kind]})")
        kinds[s.kind] = s.id
        f, other = s.finding, codes.setdefault(s.finding.code, s.finding)
        if (f.name, f.title, f.severity) != (other.name, other.title, other.severity):
            raise SignatureError(f"{s.id}: {f.code} is carried with another name, title or severity elsewhere")


def _to_json(s: Signature) -> dict[str, Any]:
    return asdict(s)


def _from_json(d: dict[str, Any]) -> Signature:
    lines = lambda xs: tuple(Line(x["line"], x["source"], tuple(tuple(g) for g in x["groups"])) for x in xs)  # noqa: E731
    f = d["finding"]
    finding = FindingSpec(**{**f, "fix": tuple(f["fix"])}) if f else None
    return Signature(d["id"], d["kind"], d["family"], d["pattern"], d["case_sensitive"], tuple(d["literals"]),
                     d["engine"], lines(d["examples"]), lines(d["near_misses"]), finding)


@lru_cache(maxsize=1)
def findings() -> dict[str, FindingSpec]:
    """Event kind -> the finding its signature carries (one signature of a kind carries it)."""
    return {s.kind: s.finding for s in load() if s.finding is not None}
