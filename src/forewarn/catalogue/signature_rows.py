"""Catalogue rows for the findings that knowledge-base signatures carry (signatures/*.yaml `finding:`).

A signature whose line means one thing by itself carries its finding in the fields of a rule's
metadata (code, name, title, severity, cause, fix, source). Here each such code becomes a row of
the one registry (forewarn.catalogue.CATALOGUE), kind `detect`, made `by signature`: `forewarn
rules` lists it, `forewarn rules CODE` shows its real example lines and near misses, and `why`
and docs/catalogue.md know it. Several signatures may carry one code: the row has all their
lines. Built from the prepared knowledge base (a cached JSON): no rule module is imported.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from forewarn.catalogue.meta import RuleMeta
    from forewarn.signatures import Signature

_WORD = re.compile(r"[a-z][a-z0-9_-]{2,}")


def signature_files() -> list[Path]:
    from forewarn.signatures import files

    return files()


def _words(name: str, sigs: list["Signature"]) -> tuple[str, ...]:
    """What `why` may search by: the name's words and the signatures' literals (every line the
    signature matches contains one of them)."""
    out = [w for w in name.split("-") if len(w) > 2]
    for s in sigs:
        out.extend(lit.strip() for lit in s.literals if len(lit.strip()) >= 6)
    return tuple(dict.fromkeys(out))


def _steps(fix: tuple[str, ...]) -> str:
    out = []
    for f in fix:
        if f.startswith("note: "):
            out.append(f[6:].rstrip(".") + ".")
        else:
            out.append("`" + f.removeprefix("unsafe: ") + "`" + (" (disruptive)" if f.startswith("unsafe: ") else ""))
    return " ".join(out)


def signature_metas(taken: set[str]) -> dict[str, "RuleMeta"]:
    """Code -> the row of the signatures carrying it (codes in `taken`, a rule's YAML, are left out:
    tests/test_signatures.py refuses a code that is both)."""
    from forewarn.catalogue.meta import RuleMeta
    from forewarn.model.findings import Severity
    from forewarn.signatures import HERE, load

    stems = {p.stem for p in HERE.glob("*.yaml")}

    by_code: dict[str, list[Signature]] = {}
    for s in load():
        if s.finding is not None and s.finding.code not in taken:
            by_code.setdefault(s.finding.code, []).append(s)
    out: dict[str, RuleMeta] = {}
    for code, sigs in by_code.items():
        f = sigs[0].finding
        assert f is not None
        examples = [{"signature": s.id, "line": ex.line, "source": ex.source} for s in sigs for ex in s.examples]
        near = [{"signature": s.id, "line": nm.line, "source": nm.source} for s in sigs for nm in s.near_misses]
        what = (f"Reads every log line, and any text given, for the line that means this by itself: "
                f"signature{'s' if len(sigs) > 1 else ''} {', '.join(s.id for s in sigs)} of the knowledge "
                f"base (signatures/{sigs[0].family}.yaml). Fails when such a line is there, passes when logs "
                "were read and none is, could not check without logs.")
        cause = " ".join(f.cause.split())
        out[code] = RuleMeta(
            code=code, name=f.name, title=f.title, severity=Severity.parse(f.severity), kind="detect",
            seed=f.source or sigs[0].examples[0].source, path=HERE / f"{_file_of(sigs[0], stems)}.yaml",
            what=what, why=cause, how=_steps(f.fix), cause=cause, advice=_steps(f.fix),
            evidence="a log or text line: " + f.title,
            symptoms=tuple(dict.fromkeys(ex["line"] for ex in examples)),
            words=_words(f.name, sigs), by="signature",
            example={"examples": examples, "near_misses": near, "signatures": [s.id for s in sigs],
                     "message": f.message, "fix": list(f.fix)})
    return out


def _file_of(sig: "Signature", stems: set[str]) -> str:
    """The YAML file a signature is written in (its family is named in the file, or is its stem)."""
    if sig.family in stems:
        return sig.family
    from forewarn.signatures import files, load_file

    for p in files():  # a file whose `family:` differs from its name
        if any(s.id == sig.id for s in load_file(p)):
            return p.stem
    return sig.family


def rule_doc(meta: "RuleMeta") -> dict[str, Any]:
    """The parts of `forewarn rules CODE --format json` that a signature row has instead of a
    module's inputs: its signatures, real example lines, near misses and fix steps."""
    ex = meta.example
    return {"by": "signature", "signatures": ex.get("signatures", []), "inputs": [], "requires": [], "reads": [],
            "examples": ex.get("examples", []), "near_misses": ex.get("near_misses", []),
            "message": ex.get("message", ""),
            "fix": [("# " + s[6:]) if s.startswith("note: ") else
                    (s[8:] + "   # disruptive" if s.startswith("unsafe: ") else s) for s in ex.get("fix", [])]}


def doc_markdown(d: dict[str, Any]) -> str:
    out = [f"# {d['code']} {d['name']}: {d['title']}", "",
           f"severity: {d['severity']}   family: {d['family']}   kind: detect, by signature "
           f"({', '.join(d['signatures'])})", "", f"source: {d['seed']}", ""]
    for section in ("What it does", "Why it matters"):
        if d["doc"].get(section):
            out += [f"## {section}", "", d["doc"][section], ""]
    out += ["## Example (real lines this finding is made from)", ""]
    for ex in d["examples"]:
        out += [f"{ex['source']}:", "```", ex["line"], "```", ""]
    out += [f"forewarn says: {d['message']}", ""]
    if d["near_misses"]:
        out += ["## Near misses (real lines that must not match)", ""]
        for nm in d["near_misses"]:
            out += [f"{nm['source']}:", "```", nm["line"], "```", ""]
    if d["fix"]:
        out += ["## How to fix", "", *[f"    {f}" for f in d["fix"]], ""]
    return "\n".join(out)
