"""`forewarn why` in words: the rows that explain a text, or that no known pitfall matches."""

from __future__ import annotations

import textwrap
from typing import Any

from forewarn.catalogue import CATALOGUE as _META
from forewarn.catalogue.citations import cite
from forewarn.why.search import WhyHit

# ------------------------------------------------------------------------------ rendering

def _rule_written(code: str) -> bool:
    return _META[code].by == "signature" or _META[code].path.with_suffix(".py").exists()


def _detect_line(code: str, row: dict[str, Any]) -> str:
    if row.get("kind") != "detect":
        return ("advice only: this does not show in collected evidence, so `forewarn scan` cannot "
                "detect it; it is shown with related findings")
    line = "forewarn can detect this: run `forewarn scan` / `forewarn explain <files>`"
    if row.get("evidence"):
        line += f" with {row['evidence']}"
    if not _rule_written(code):
        line += " (rule not written yet)"
    return line


def _wrap(label: str, text: str, indent: int = 5) -> str:
    text = " ".join(str(text).split())
    return textwrap.fill(text, width=100, initial_indent=" " * indent + label,
                         subsequent_indent=" " * (indent + 2), break_long_words=False,
                         break_on_hyphens=False)


def _short(query: str, n: int = 120) -> str:
    q = " ".join(query.split())
    return q if len(q) <= n else q[: n - 1] + "…"


def _md_code(s: str) -> str:
    ticks = "``" if "`" in s else "`"
    pad = " " if ticks == "``" else ""
    return f"{ticks}{pad}{s}{pad}{ticks}"


def _hit_lines(i: int, h: WhyHit) -> list[str]:
    r = h.row
    out = [f"{i:>2}. {h.code}  {r.get('title', '')}",
           f"     severity {r.get('severity', '?')} · {r.get('kind', '?')} · {r.get('name', '')} · score {h.score:.2f}",
           _wrap("matched: ", h.matched), _wrap("why: ", r.get("cause", "")), _wrap("fix: ", r.get("advice", "")),
           _wrap("", _detect_line(h.code, r))]
    if r.get("seed"):
        out.append(_wrap("source: ", cite(r["seed"])))
    return out + [""]


def render_hits(query: str, hits: list[WhyHit], markdown: bool = False) -> str:
    """The rows that explain the text, best first; when none is confident, say that no known
    pitfall matches and list the best rows apart, as weak candidates."""
    if markdown:
        return _render_markdown(query, hits)
    sure = [h for h in hits if h.confident]
    weak = [h for h in hits if not h.confident]
    if not sure:
        out = [f"forewarn why: no known pitfall matches this text  [{_short(query, 70)}]"]
        if weak:
            out += ["", "Weak candidates (not confident: check each against your evidence before you act):"]
            out += [f"  {h.code}  {h.row.get('title', '')}  (score {h.score:.2f}; matched: {_short(h.matched, 60)})"
                    for h in weak]
        out += ["", "Try the exact error line (log prefixes are fine), or the symptom in a few words; "
                "`forewarn explain FILE` reads a whole log."]
        return "\n".join(out) + "\n"
    what = "1 catalogue row matches" if len(sure) == 1 else f"{len(sure)} catalogue rows match, best first"
    out = [f"forewarn why: {what}  [{_short(query, 70)}]", ""]
    for i, h in enumerate(sure, 1):
        out += _hit_lines(i, h)
    if weak:
        out.append("Weaker candidates (not confident):")
        out += [f"  {h.code}  {h.row.get('title', '')}  (score {h.score:.2f})" for h in weak]
    return "\n".join(out).rstrip() + "\n"


def _render_markdown(query: str, hits: list[WhyHit]) -> str:
    out = ["# forewarn why", "", f"> {_short(query, 300)}", ""]
    sure = [h for h in hits if h.confident]
    if not sure:
        out.append("No known pitfall matches this text.")
        if hits:
            out += ["", "Weak candidates (not confident):", ""]
            out += [f"- {h.code} {h.row.get('title', '')} (score {h.score:.2f})" for h in hits]
        return "\n".join(out) + "\n"
    for i, h in enumerate(sure, 1):
        r = h.row
        out.append(f"## {i}. {h.code} — {r.get('title', '')}")
        out.append("")
        out.append(f"- **severity:** {r.get('severity', '?')} · **kind:** {r.get('kind', '?')} · "
                   f"**name:** `{r.get('name', '')}` · **score:** {h.score:.2f}")
        out.append(f"- **matched:** {_md_code(h.matched)}")
        out.append(f"- **why:** {' '.join(str(r.get('cause', '')).split())}")
        out.append(f"- **fix:** {' '.join(str(r.get('advice', '')).split())}")
        out.append(f"- {_detect_line(h.code, r)}")
        if r.get("seed"):
            out.append(f"- **source:** {cite(r['seed'])}")
        out.append("")
    return "\n".join(out)
