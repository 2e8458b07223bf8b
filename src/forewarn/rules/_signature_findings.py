"""Findings that knowledge-base signatures carry (forewarn/signatures, `finding:`): a known error
line becomes a finding without a Python rule, with the four outcomes a rule has."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from forewarn.model.codes import FAMILIES, family_of
from forewarn.model.findings import Finding, Severity, Status, When
from forewarn.model.keys import spec_of
from forewarn.rules._registry import StepTemplate, fill, note, render_fix, step

if TYPE_CHECKING:
    from forewarn.facts.context import Context


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
