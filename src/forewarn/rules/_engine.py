"""@rule, the rule registry, and running rules into findings.

A rule is metadata plus a pure function over a `Context` (typed facts of every node). It yields
`Hit`s; the engine attaches the metadata, fills the fix templates with the hit's values and
turns every outcome into one of four states: fail, pass, not applicable, could not check.
A crashing rule becomes an FW902 finding and the run goes on.
"""

from __future__ import annotations

import re
import sys
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from forewarn.model.codes import CODE as _CODE, FAMILIES, family_of
from forewarn.model.keys import Key, forms, needs_text, spec_of
from forewarn.model.outcomes import CouldNotCheck as CouldNotCheck, NotApplicable as NotApplicable  # re-exported
from forewarn.model.findings import EvidenceRef, Finding, FixStep, Severity, Status, When
from forewarn.model.internal import INTERNAL, internal_finding  # noqa: F401  (re-exported)
from forewarn.catalogue import meta_beside

if TYPE_CHECKING:
    from forewarn.facts.context import Context

DOC_SECTIONS = ("What it does", "Why it matters", "How to fix")


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


RULES: dict[str, Rule] = {}


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
        if code in RULES:
            raise ValueError(f"rule code {code} registered twice")
        family = _CODE.match(code).group(1)  # type: ignore[union-attr]
        plat = platform or FAMILIES.get(family, "linux")
        module_file = sys.modules[func.__module__].__file__ or ""
        meta = meta_beside(module_file, code)
        RULES[code] = Rule(
            code=code,
            name=meta.name,
            title=meta.title,
            severity=meta.severity,
            family=family,
            platform=plat,
            inputs=tuple(spec_of(k) for k in inputs),
            requires=tuple(spec_of(k) for k in requires),
            reads=tuple(spec_of(k) for k in reads),
            seed=meta.seed,
            fix=tuple(s if isinstance(s, StepTemplate) else step(s) for s in fix),
            when=when,
            func=func,
            doc={"What it does": meta.what, "Why it matters": meta.why, "How to fix": meta.how},
            module_file=module_file,
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


def _finding(r: Rule, status: Status, **kw: Any) -> Finding:
    return Finding(
        code=r.code,
        name=r.name,
        title=r.title,
        severity=r.severity,
        status=status,
        family=r.family,
        seed=r.seed,
        when=r.when,
        cause=r.doc.get("Why it matters", ""),
        **kw,
    )


def _as_nodes(nodes: tuple[str, ...] | list[str] | str) -> tuple[str, ...]:
    if isinstance(nodes, str):
        return (nodes,) if nodes else ()
    return tuple(dict.fromkeys(nodes))


def run_rule(r: Rule, ctx: "Context") -> list[Finding]:
    """Run one rule: decide applicability, call it, and turn its hits into findings.

    A node from which nothing was collected (unreachable, refused) is "could not check" for
    every rule, never "not applicable" nor part of a pass: its evidence is missing, not healthy.
    """
    missing = dict(ctx.uncollected)
    if not missing:
        return _run_rule(r, ctx)
    nodes = tuple(sorted(missing))
    it = "it" if len(nodes) == 1 else "them"
    unchecked = _finding(r, Status.COULD_NOT_CHECK, nodes=nodes,
                         message=f"not checked on {', '.join(nodes)}: nothing was collected from {it} (FW908)")
    if not ctx.records:  # no other node either: the rule's own verdict would be about nothing
        return [unchecked]
    return _run_rule(r, ctx) + [unchecked]


def _run_rule(r: Rule, ctx: "Context") -> list[Finding]:
    if not ctx.platform_present(r.platform):
        return [_finding(r, Status.NOT_APPLICABLE,
                         message=f"no {r.platform.upper()} evidence here")]
    def present(spec: str) -> bool:
        # A command killed at its timeout parses to nothing, but for a rule about hangs the
        # timeout itself is the evidence.
        return ctx.has(spec) or (r.timeouts_are_evidence
                                 and any(x.timed_out for form in forms(spec) for x in ctx.raw(form)))

    missing_all = [s for s in r.requires if not present(s)]
    have_any = not r.inputs or any(present(s) for s in r.inputs)
    if missing_all or not have_any:
        needs = list(dict.fromkeys(missing_all + ([] if have_any else list(r.inputs))))
        parts = [needs_text(s) for s in missing_all]
        if not have_any:
            alts = [needs_text(s) for s in r.inputs]
            parts.append(" or ".join(alts) if len(alts) == 1 or not missing_all
                         else "(" + " or ".join(alts) + ")")
        why = ctx.why_missing(needs)
        return [_finding(r, Status.COULD_NOT_CHECK, missing=tuple(needs),
                         message="not checked: needs " + " and ".join(parts) + why)]
    hits: list[Hit] = []
    try:
        for h in r.func(ctx.restricted(r.declared, r.code)):  # collected one by one: hits found before a raise are kept
            hits.append(h)
    except NotApplicable as exc:
        if not hits:
            return [_finding(r, Status.NOT_APPLICABLE, message=str(exc))]
    except CouldNotCheck as exc:
        if not hits:
            return [_finding(r, Status.COULD_NOT_CHECK, message=f"not checked: {exc}")]
    except Exception as exc:  # noqa: BLE001 - a broken rule must not stop the run
        tb = traceback.format_exc(limit=6)
        crashed = internal_finding("FW902", "rule-crashed", f"Rule {r.code} crashed",
                                   f"{r.code} raised {exc!r}; the rest of the scan went on",
                                   details={"traceback": tb})
        if not hits:
            return [_finding(r, Status.COULD_NOT_CHECK,
                             message=f"not checked: the rule crashed ({exc!r})"), crashed]
        return _hit_findings(r, hits) + [crashed]
    if not hits:
        return [_finding(r, Status.PASS, message="")]
    return _hit_findings(r, hits)


def _hit_findings(r: Rule, hits: list[Hit]) -> list[Finding]:
    out: list[Finding] = []
    for h in hits:
        nodes = _as_nodes(h.nodes)
        params = {"node": nodes[0] if nodes else "<node>", **h.params}
        f = _finding(
            r,
            Status.FAIL,
            message=h.message,
            nodes=nodes,
            evidence=list(h.evidence),
            fix=render_fix(h.fix if h.fix is not None else r.fix, params),
            details=dict(h.details),
        )
        if h.severity is not None:
            f.severity = h.severity
        if h.when is not None:
            f.when = h.when
        if h.cause:
            f.cause = h.cause
        out.append(f)
    return out


def run_all(ctx: "Context", codes: Iterable[str] | None = None) -> list[Finding]:
    wanted = set(codes) if codes else None
    findings: list[Finding] = []
    for code in sorted(RULES):
        if wanted is not None and code not in wanted:
            continue
        findings.extend(run_rule(RULES[code], ctx))
    findings.extend(signature_findings(ctx, wanted))
    findings.extend(ctx.internal_findings())
    return findings


SIGNATURE_FINDINGS_PER_NODE = 5  # distinct messages per code and node; the rest are counted


def signature_findings(ctx: "Context", wanted: set[str] | None = None) -> list[Finding]:
    """The findings that knowledge-base signatures carry (forewarn/signatures, `finding:`): a
    known error line becomes a finding without a Python rule. One finding per code, node and
    message (the message template filled with the line's groups), with every line as evidence."""
    from forewarn.facts import logs
    from forewarn.signatures import findings as carried

    specs = {k: f for k, f in carried().items() if wanted is None or f.code in wanted}
    if not specs:
        return []
    groups: dict[tuple[str, str, str], list[Any]] = {}
    params_of: dict[tuple[str, str, str], dict[str, Any]] = {}
    for e in logs.events(ctx, None, tuple(specs)) + logs.text_events(ctx, tuple(specs)):
        spec = specs[e.kind]
        params = {**e.attrs, "node": e.node if e.node and e.node != "unknown" else "<node>"}
        key = (spec.code, e.node, fill(spec.message, params))
        groups.setdefault(key, []).append(e)
        params_of.setdefault(key, params)
    out: list[Finding] = []
    shown: dict[tuple[str, str], int] = {}
    for (code, node, message), evs in groups.items():
        n = shown[(code, node)] = shown.get((code, node), 0) + 1
        if n > SIGNATURE_FINDINGS_PER_NODE:
            continue
        spec = specs[evs[0].kind]
        params = params_of[(code, node, message)]
        lines = f" ({len(evs)} lines)" if len(evs) > 1 else ""
        out.append(Finding(
            code=code, name=spec.name, title=fill(spec.title, params), severity=Severity.parse(spec.severity),
            status=Status.FAIL, family=family_of(code),
            message=message + lines, nodes=(node,) if node and node != "unknown" else (),
            when=When(spec.when), cause=spec.cause, evidence=logs.refs(evs), seed=spec.source,
            fix=render_fix([_step_of(s) for s in spec.fix], params)))
    return out + _signature_verdicts(ctx, specs, {f.code for f in out})


def _signature_verdicts(ctx: "Context", specs: dict[str, Any], failed: set[str]) -> list[Finding]:
    """The other outcomes of a signature's finding, as a rule has them: pass when logs were read
    and no line matched, could not check when no log was given (a line found in other text is
    a fail whatever was given)."""
    from forewarn.facts import logs

    read = bool(logs.log_facts(ctx))
    out: list[Finding] = []
    for spec in {s.code: s for s in specs.values()}.values():
        if spec.code in failed:
            continue
        common = dict(code=spec.code, name=spec.name, title=spec.title, severity=Severity.parse(spec.severity),
                      family=family_of(spec.code), when=When(spec.when), cause=spec.cause, seed=spec.source)
        platform = FAMILIES.get(family_of(spec.code), "linux")
        if ctx.records and not ctx.platform_present(platform):  # a PVE line cannot be missing from a Kubernetes node's logs
            out.append(Finding(status=Status.NOT_APPLICABLE, message=f"no {platform.upper()} evidence here", **common))
        elif read:
            out.append(Finding(status=Status.PASS, message="", **common))
        else:
            log_specs = tuple(spec_of(k) for k in logs.LOG_SPECS)
            needs = " or ".join(log_specs)
            out.append(Finding(status=Status.COULD_NOT_CHECK, missing=log_specs,
                               message=f"not checked: needs {needs}{ctx.why_missing(logs.LOG_SPECS)}", **common))
    return out


def _step_of(text: str) -> StepTemplate:
    """A fix step of a signature's finding: `note: ...` is an instruction for a person,
    `unsafe: ...` a disruptive command, anything else a command."""
    if text.startswith("note: "):
        return note(text[6:])
    if text.startswith("unsafe: "):
        return step(text[8:], safe=False)
    return step(text)


def iter_rules() -> Iterator[Rule]:
    for code in sorted(RULES):
        yield RULES[code]
