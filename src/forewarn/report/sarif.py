"""SARIF 2.1.0: findings for code-scanning views (GitHub, GitLab, Azure DevOps, VS Code's viewer).

One `reportingDescriptor` per forewarn code that ran, with its documentation as help text; one
result per finding, its level from the severity, located at the evidence artifact and line with a
URI relative to the bundle's (or the files') root, named by the uriBaseId `EVIDENCEROOT`.
Could-not-check goes to the invocation's notifications (SARIF's place for "the tool could not
run this rule"): a result without a location is refused by code-scanning uploads. Accepted
findings stay, as results with an external suppression, as SARIF says an accepted result should.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any
from urllib.parse import quote

from forewarn import __version__
from forewarn.model.findings import EvidenceRef, Finding, Severity, Status
from forewarn.report.model import Report

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
BASE_ID = "EVIDENCEROOT"
LEVEL = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning",
         Severity.LOW: "note", Severity.INFO: "note"}
# The help URI of a rule is its row of the catalogue (docs/catalogue.md, one anchor per code):
# FOREWARN_DOCS_URL (a template: {code}, {name}, {code_lower}) wins; else the `Documentation` URL
# of pyproject's [project.urls] (the docs folder of the repository) + `/catalogue.md#<code>`;
# else, in a source checkout, the local docs/catalogue.md#<code>; else the rule's own YAML.
DOCS_URL_ENV = "FOREWARN_DOCS_URL"
_CHECKOUT_DOCS = Path(__file__).resolve().parents[3] / "docs" / "catalogue.md"


def _documentation_url() -> str | None:
    from importlib.metadata import PackageNotFoundError, metadata

    try:
        urls = metadata("forewarn").get_all("Project-URL") or []
    except PackageNotFoundError:
        return None
    for entry in urls:
        label, _, url = str(entry).partition(",")
        if label.strip().lower() in ("documentation", "docs") and url.strip().startswith("https://"):
            return url.strip().rstrip("/")
    return None


def help_uri(code: str, name: str) -> str:
    template = os.environ.get(DOCS_URL_ENV)
    if template:
        return template.format(code=code, name=name, code_lower=code.lower())
    from forewarn.catalogue import CATALOGUE

    meta = CATALOGUE.get(code)
    if meta is None:
        return (Path(__file__).resolve().parent.parent / "model" / "internal.py").as_uri()  # FW9xx
    docs = _documentation_url()
    if docs:
        return f"{docs}/catalogue.md#{code.lower()}"
    if _CHECKOUT_DOCS.is_file():
        return f"{_CHECKOUT_DOCS.as_uri()}#{code.lower()}"
    return meta.path.resolve().as_uri()


def _descriptor(code: str, sample: Finding) -> dict[str, Any]:
    from forewarn.catalogue import CATALOGUE
    from forewarn.catalogue.docs import rule_doc_markdown

    meta = CATALOGUE.get(code)
    if meta is not None:
        text = "\n\n".join(x for x in (meta.what, meta.why, meta.how) if x) or meta.title
        markdown = rule_doc_markdown(code)
        full = meta.what or meta.title
        name, title, severity = meta.name, meta.title, meta.severity
    else:  # FW9xx: forewarn's own view of the evidence
        name, title, severity = sample.name, sample.title, sample.severity
        text = markdown = full = (f"{title}. A finding about what forewarn could read, not about the "
                                  "cluster (forewarn's own FW9xx codes).")
    return {
        "id": code,
        "name": name,
        "shortDescription": {"text": title},
        "fullDescription": {"text": full},
        "help": {"text": text, "markdown": markdown},
        "helpUri": help_uri(code, name),
        "defaultConfiguration": {"level": LEVEL[severity]},
        "properties": {"tags": [code[:-3]], "forewarn-severity": severity.label},
    }


def _uri(artifact: str, base: Path | None) -> tuple[str, str | None]:
    """(uri, uriBaseId) of an artifact: relative to the evidence root where it can be."""
    p = Path(artifact)
    if p.is_absolute():
        if base is not None and p.is_relative_to(base):
            return quote(p.relative_to(base).as_posix()), BASE_ID
        return p.as_uri(), None
    return quote(p.as_posix()), BASE_ID


def _location(ev: EvidenceRef, line: int | None, base: Path | None, excerpt: str | None) -> dict[str, Any]:
    uri, base_id = _uri(ev.artifact, base)
    physical: dict[str, Any] = {"artifactLocation": {"uri": uri, **({"uriBaseId": base_id} if base_id else {})}}
    if line is not None and line >= 1:
        physical["region"] = {"startLine": line}
    # the excerpt is the line as the report shows it (a log's prefix may be cut), so it is the
    # location's message, not the region's snippet, which must be the file's exact text
    where = f"{ev.node}: {ev.artifact}" + (f" line {line}" if line else "") + (f": {excerpt}" if excerpt else "")
    return {"physicalLocation": physical,
            "logicalLocations": [{"name": ev.node, "kind": "node"}],
            "message": {"text": where}}


def _locations(f: Finding, base: Path | None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The first evidence line is where the result is; every other line is related."""
    spots: list[dict[str, Any]] = []
    for ev in f.evidence:
        excerpt = ev.excerpt if len(ev.excerpt) == len(ev.lines) else ()
        if not ev.lines:
            spots.append(_location(ev, None, base, None))
        for i, line in enumerate(ev.lines):
            spots.append(_location(ev, line, base, excerpt[i] if excerpt else None))
    if not spots:
        return [], []
    related = [{"id": i, **loc} for i, loc in enumerate(spots[1:], 1)]
    return spots[:1], related


def _fingerprint(f: Finding) -> str:
    # stable across runs, so a code-scanning view tracks one finding over time
    key = "\x00".join([f.code, ",".join(f.nodes), *(e.artifact for e in f.evidence[:1])])
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def _result(f: Finding, index: int, base: Path | None) -> dict[str, Any]:
    message = f.message or f.title
    if f.nodes:
        message = message if message.startswith(f.nodes[0]) else f"{', '.join(f.nodes)}: {message}"
    res: dict[str, Any] = {
        "ruleId": f.code,
        "ruleIndex": index,
        "kind": "fail",
        "level": LEVEL[f.severity],
        "message": {"text": message},
        "partialFingerprints": {"forewarnFinding/v1": _fingerprint(f)},
        "properties": {"severity": f.severity.label, "nodes": list(f.nodes), "when": f.when.value,
                       **({"cause": f.cause} if f.cause else {}),
                       **({"fix": [s.command or s.note for s in f.fix]} if f.fix else {})},
    }
    locations, related = _locations(f, base)
    if locations:
        res["locations"] = locations
    if related:
        res["relatedLocations"] = related
    if f.suppressed is not None:
        res["suppressions"] = [{"kind": "external", "status": "accepted", "justification": f.suppressed}]
    return res


def evidence_root(source: str) -> tuple[Path | None, dict[str, Any]]:
    """The root the artifacts' paths are relative to, as SARIF's originalUriBaseIds entry."""
    from forewarn.pipeline import is_bundle_path

    p = Path(source)
    if source.startswith("live"):
        return None, {"description": {"text": f"evidence collected {source}"}}
    if source and p.is_dir():
        return p.resolve(), {"uri": p.resolve().as_uri() + "/",
                             "description": {"text": f"the bundle {source}"}}
    if source and p.is_file() and is_bundle_path(source):  # a tarball: no URI for its members
        return None, {"description": {"text": f"inside the bundle {source} (a tarball)"}}
    cwd = Path.cwd().resolve()  # loose files: their paths as given, from where forewarn ran
    return cwd, {"uri": cwd.as_uri() + "/", "description": {"text": "the directory forewarn ran in"}}


def render_sarif(report: Report) -> dict[str, Any]:
    base, root = evidence_root(report.source)
    ran = sorted({f.code for f in report.findings if f.status is not Status.NOT_APPLICABLE})
    samples = {f.code: f for f in report.findings}
    index = {code: i for i, code in enumerate(ran)}
    results = [_result(f, index[f.code], base) for f in [*report.failed(), *report.suppressed()]]
    notes = [{"level": "warning", "message": {"text": f"{f.code} {f.name}: {f.message}"},
              "associatedRule": {"id": f.code, "index": index[f.code]}}
             for f in report.by_status(Status.COULD_NOT_CHECK)]
    notes += [{"level": "note", "message": {"text": n}} for n in report.suppression_notes]
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "forewarn", "version": __version__, "semanticVersion": __version__,
                                "rules": [_descriptor(c, samples[c]) for c in ran]}},
            "invocations": [{"executionSuccessful": True, "commandLine": f"forewarn {report.command}",
                             "endTimeUtc": report.generated.isoformat().replace("+00:00", "Z"),
                             "toolExecutionNotifications": notes}],
            "originalUriBaseIds": {BASE_ID: root},
            "results": results,
            "properties": {"source": report.source, "nodes": report.nodes, "platforms": report.platforms,
                           "summary": report.summary()},
        }],
    }
