"""What a rule is, `@rule`, and the registry of rules (code -> Rule).

A rule is metadata plus a pure function over a `Context` (typed facts of every node) that yields
`Hit`s. Its name, title, severity, seed and documentation come from the YAML beside its module
(forewarn/catalogue); `@rule` adds what the code knows: the keys it reads, its fix templates.
"""

from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Callable, Iterable, Iterator, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from forewarn.catalogue import meta_beside
from forewarn.index import describe, index
from forewarn.model.codes import CODE as _CODE, FAMILIES, family_of
from forewarn.model.findings import EvidenceRef, FixStep, Severity, When
from forewarn.model.keys import Key, forms, spec_of

if TYPE_CHECKING:
    from forewarn.facts.context import Context


@dataclass(frozen=True, slots=True)
class StepTemplate:
    text: str
    safe: bool = True
    manual: bool = False  # an instruction for a person, not a command to run
    node: str | None = "{node}"


def step(text: str, *, safe: bool = True, on: str | None = "{node}") -> StepTemplate:
    """A command of a fix. `safe=False` marks a destructive or disruptive command."""
    return StepTemplate(text, safe=safe, node=on)


def note(text: str) -> StepTemplate:
    """A manual step: something to do or check that is not one command."""
    return StepTemplate(text, safe=True, manual=True, node=None)


@dataclass(slots=True)
class Hit:
    """One problem a rule found. Values in `params` fill the rule's fix templates."""

    message: str
    nodes: tuple[str, ...] | list[str] | str = ()
    evidence: list[EvidenceRef] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    fix: list[StepTemplate] | None = None  # replaces the rule's templates for this hit
    severity: Severity | None = None
    when: When | None = None
    cause: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    name: str
    title: str
    severity: Severity
    family: str
    platform: str
    inputs: tuple[str, ...]
    requires: tuple[str, ...]
    seed: str
    fix: tuple[StepTemplate, ...]
    when: When
    func: Callable[["Context"], Iterable[Hit]]
    doc: dict[str, str]
    module_file: str
    aliases: tuple[str, ...] = ()
    timeouts_are_evidence: bool = False
    reads: tuple[str, ...] = ()  # read when present, needed by neither inputs nor requires

    @property
    def declared(self) -> tuple[str, ...]:
        """Every spec the rule may read (the engine refuses any other), with the alternative
        specs of each declared key (its API form)."""
        return tuple(dict.fromkeys(f for s in self.inputs + self.requires + self.reads for f in forms(s)))

    @property
    def cases_file(self) -> Path:
        return Path(self.module_file).with_suffix(".yaml")


class RuleRegistry(MutableMapping[str, Rule]):
    """Code -> rule. Every rule's code is known from the start (forewarn/index.py); its module is
    imported when the rule itself is first asked for, so listing, sorting and `in` import nothing."""

    def __init__(self) -> None:
        self._loaded: dict[str, Rule] = {}
        self._where: dict[str, str] | None = None

    def _modules(self) -> dict[str, str]:
        if self._where is None:
            self._where = {code: e["module"] for code, e in index()["rules"].items()}
        return self._where

    def loaded(self) -> dict[str, Rule]:
        """The rules whose modules are imported (registered), without importing any."""
        return self._loaded

    def __getitem__(self, code: str) -> Rule:
        r = self._loaded.get(code)
        if r is None:
            module = self._modules().get(code)
            if module is None:
                raise KeyError(code)
            importlib.import_module(module)
            r = self._loaded.get(code)
            if r is None:  # the index is older than the module (a cache written by another tree)
                raise KeyError(f"{code}: {module} registers no such rule")
        return r

    def __setitem__(self, code: str, r: Rule) -> None:
        self._loaded[code] = r

    def __delitem__(self, code: str) -> None:
        del self._loaded[code]

    def __contains__(self, code: object) -> bool:
        return code in self._loaded or code in self._modules()

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys([*self._modules(), *self._loaded]))

    def __len__(self) -> int:
        return len(set(self._modules()) | set(self._loaded))


RULES = RuleRegistry()


def rule(
    *,
    code: str,
    inputs: Iterable[Key[Any] | str],
    requires: Iterable[Key[Any] | str] = (),
    reads: Iterable[Key[Any] | str] = (),
    platform: str | None = None,
    fix: Iterable[StepTemplate | str] = (),
    when: When = When.NOW,
    aliases: Iterable[str] = (),
    timeouts_are_evidence: bool = False,
) -> Callable[[Callable[["Context"], Iterable[Hit]]], Callable[["Context"], Iterable[Hit]]]:
    """Register a rule. Its name, title, severity, seed and documentation come from the YAML
    beside its module. `inputs`: keys of which at least one is needed; `requires`: all needed;
    `reads`: read when present, needed by neither. A rule may read nothing else."""
    if not _CODE.match(code):
        raise ValueError(f"bad rule code {code!r}")

    def wrap(func: Callable[["Context"], Iterable[Hit]]) -> Callable[["Context"], Iterable[Hit]]:
        if code in RULES.loaded():
            raise ValueError(f"rule code {code} registered twice")
        RULES[code] = _with_meta(
            code, sys.modules[func.__module__].__file__ or "",
            platform=platform or FAMILIES.get(family_of(code), "linux"),
            inputs=tuple(spec_of(k) for k in inputs),
            requires=tuple(spec_of(k) for k in requires),
            reads=tuple(spec_of(k) for k in reads),
            fix=tuple(s if isinstance(s, StepTemplate) else step(s) for s in fix),
            when=when,
            func=func,
            aliases=tuple(aliases),
            timeouts_are_evidence=timeouts_are_evidence,
        )
        return func

    return wrap


_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def fill(template: str, params: dict[str, Any]) -> str:
    """Replace `{name}` placeholders; any other brace (awk, JSON, shell) is left alone.
    An unknown placeholder shows as `<name>` so it is never silently empty."""
    return _PLACEHOLDER.sub(lambda m: str(params[m.group(1)]) if m.group(1) in params else f"<{m.group(1)}>",
                            template)


def render_fix(templates: Iterable[StepTemplate], params: dict[str, Any]) -> list[FixStep]:
    steps: list[FixStep] = []
    for t in templates:
        node = fill(t.node, params) if t.node else None
        if node and node.startswith("<"):
            node = None
        if t.manual:
            steps.append(FixStep(command="", node=None, safe=True, note=fill(t.text, params)))
        else:
            steps.append(FixStep(command=fill(t.text, params), node=node, safe=t.safe))
    return steps


def unloaded(_ctx: "Context") -> Iterable[Hit]:
    raise AssertionError("a rule's module must be imported before the rule runs")


def as_indexed(code: str) -> Rule:
    """The rule of `code` as the index describes it (forewarn/index.py), its module not imported:
    enough to tell not applicable and could not check; the engine imports it if it runs."""
    e = index()["rules"][code]
    return _with_meta(code, e["file"], platform=e["platform"], inputs=tuple(e["inputs"]),
                      requires=tuple(e["requires"]), reads=tuple(e["reads"]), fix=(), when=When(e["when"]),
                      func=unloaded, aliases=tuple(e["aliases"]), timeouts_are_evidence=e["timeouts_are_evidence"])


def _with_meta(code: str, module_file: str, **code_knows: Any) -> Rule:
    """A Rule: what its YAML beside `module_file` says (catalogue.meta_beside) and what its code
    declares (`code_knows`: @rule's arguments, or the index's copy of them)."""
    meta = meta_beside(module_file, code)
    return Rule(code=code, name=meta.name, title=meta.title, severity=meta.severity, family=family_of(code),
                seed=meta.seed, doc={"What it does": meta.what, "Why it matters": meta.why, "How to fix": meta.how},
                module_file=module_file, **code_knows)


def _describe() -> dict[str, Any]:
    """What the index keeps of every registered rule (forewarn/index.py)."""
    return {code: {"module": r.func.__module__, "file": r.module_file, "platform": r.platform,
                   "inputs": list(r.inputs), "requires": list(r.requires), "reads": list(r.reads),
                   "when": r.when.value, "timeouts_are_evidence": r.timeouts_are_evidence,
                   "aliases": list(r.aliases)}
            for code, r in sorted(RULES.loaded().items())}


describe("rules", _describe)
