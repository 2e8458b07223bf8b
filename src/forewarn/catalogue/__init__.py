"""The catalogue: every rule's metadata, read from the YAML beside it — the one source of truth.

`rules/<family>/<code>_<slug>.yaml` holds a rule's code, name, title, severity, kind, seed
reference, its documentation (what it does, why it matters, how to fix), what `forewarn why`
searches (symptoms, words, cause, advice), a short real example and its real cases. A rule whose
logic is code has a module of the same stem; an `advise` row (a pitfall no evidence shows) is a
YAML alone. `scan`, `rules`, `why`, the reports and docs/catalogue.md all read this.

Only the head of each file (everything before `cases:`) is parsed here: the cases can be large
and are read by the tests and by `forewarn rules CODE`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from forewarn.catalogue.meta import MetaError as MetaError, RuleMeta as RuleMeta  # re-exported
from forewarn.model.codes import FAMILIES as CODE_FAMILIES
from forewarn.model.findings import Severity

RULES_DIR = Path(__file__).resolve().parent.parent / "rules"
FAMILIES = tuple(f.lower() for f in CODE_FAMILIES)  # rules/<family>/ folders
KINDS = ("detect", "advise")
REQUIRED = ("code", "name", "title", "severity", "kind", "seed", "cause", "advice", "words")
_CASES = re.compile(r"^cases:", re.M)


def head_of(text: str) -> str:
    m = _CASES.search(text)
    return text[: m.start()] if m else text


def read_head(path: Path) -> dict[str, Any]:
    import yaml  # only when the start-up cache (forewarn/cache.py) misses: start-up without it

    try:  # libyaml when present: ~10x faster
        data = yaml.load(head_of(path.read_text(encoding="utf-8")),  # noqa: S506
                         Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise MetaError(f"{path}: {exc}") from None
    return data if isinstance(data, dict) else {}


def meta_from(path: Path, data: dict[str, Any]) -> RuleMeta:
    missing = [k for k in REQUIRED if not data.get(k)]
    if missing:
        raise MetaError(f"{path.name}: lacks {', '.join(missing)}")
    if data["kind"] not in KINDS:
        raise MetaError(f"{path.name}: kind {data['kind']!r} is not one of {KINDS}")
    try:
        severity = Severity.parse(str(data["severity"]))
    except ValueError:
        raise MetaError(f"{path.name}: severity {data['severity']!r}") from None
    text = {k: " ".join(str(data.get(k) or "").split()) for k in ("what", "why", "how", "cause", "advice", "evidence")}
    return RuleMeta(code=str(data["code"]), name=str(data["name"]), title=str(data["title"]), severity=severity,
                    kind=str(data["kind"]), seed=str(data["seed"]), path=path, **text,
                    symptoms=tuple(str(s) for s in data.get("symptoms") or ()), words=tuple(str(w) for w in data["words"]),
                    also_seen=tuple(str(s) for s in data.get("also_seen") or ()),
                    example=dict(data.get("example") or {}))


def load_meta(path: Path) -> RuleMeta:
    return meta_from(path, read_head(path))


def yaml_files() -> list[Path]:
    return [p for family in FAMILIES for p in sorted((RULES_DIR / family).glob("*.yaml"))]


def _load_all() -> dict[str, RuleMeta]:
    from forewarn.cache import cached, key_of

    files = yaml_files()
    # parsing every YAML head takes a fifth of a second: start-up reads them from a cache
    heads = cached("catalogue", key_of(files), lambda: {str(p): _jsonable(read_head(p)) for p in files})
    out: dict[str, RuleMeta] = {}
    for path in files:
        meta = meta_from(path, heads.get(str(path)) or read_head(path))
        if meta.code in out:
            raise MetaError(f"{meta.code} in both {out[meta.code].path.name} and {path.name}")
        out[meta.code] = meta
    from forewarn.catalogue.signature_rows import signature_metas

    out.update(signature_metas(set(out)))
    return out


def source_files() -> list[Path]:
    """Every file the registry is read from: the rules' YAML and the knowledge base's."""
    from forewarn.catalogue.signature_rows import signature_files

    return yaml_files() + signature_files()


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    """YAML may give dates; the cache is JSON."""
    import json

    return json.loads(json.dumps(data, default=str))


CATALOGUE: dict[str, RuleMeta] = _load_all()


def meta_beside(module_file: str, code: str) -> RuleMeta:
    """The metadata of the rule whose module is `module_file` (its YAML has the same stem)."""
    path = Path(module_file).with_suffix(".yaml")
    meta = CATALOGUE.get(code)
    if meta is None or meta.path.resolve() != path.resolve():
        meta = load_meta(path)
    if meta.code != code:
        raise MetaError(f"{path.name} says {meta.code}, its module registers {code}")
    return meta
