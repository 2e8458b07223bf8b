"""Running rules into findings (what a rule is, and `@rule`: rules/_registry.py).

A rule yields `Hit`s; the engine attaches the metadata, fills the fix templates with the hit's values and
turns every outcome into one of four states: fail, pass, not applicable, could not check.
A crashing rule becomes an FW902 finding and the run goes on.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from forewarn.model.keys import forms, needs_text
from forewarn.model.outcomes import CouldNotCheck as CouldNotCheck, NotApplicable as NotApplicable  # re-exported
from forewarn.model.findings import Finding, Status
from forewarn.model.internal import INTERNAL, internal_finding  # noqa: F401  (re-exported)
from forewarn.rules._registry import (  # re-exported: rules import these from the engine
    RULES as RULES, Hit as Hit, Rule as Rule, StepTemplate as StepTemplate, note as note, rule as rule,
    step as step,
)
from forewarn.rules._registry import as_indexed, render_fix, unloaded
from forewarn.rules._signature_findings import signature_findings

if TYPE_CHECKING:
    from forewarn.facts.context import Context

DOC_SECTIONS = ("What it does", "Why it matters", "How to fix")


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
    if r.func is unloaded:  # the rule runs: its module is needed now
        r = RULES[r.code]
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
        findings.extend(run_rule(RULES.loaded().get(code) or as_indexed(code), ctx))
    findings.extend(signature_findings(ctx, wanted))
    findings.extend(ctx.internal_findings())
    return findings


def iter_rules() -> Iterator[Rule]:
    for code in sorted(RULES):
        yield RULES[code]
