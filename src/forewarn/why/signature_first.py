"""`why` asks the knowledge base first: the lines of the text that a signature carrying a finding
names, read as `scan` reads a log (the same unwrapping, the same first-match order), so `why`
answers with the code `scan` would report for the same line."""

from __future__ import annotations

from forewarn.why.tuning import MAX_TEXT

MAX_LINES = 2000  # lines of a paste looked at; the rest is left to the ranked search


def _may_carry(text: str) -> bool:
    """Whether a literal of a signature carrying a finding is in the text (unescaped once, as the
    reader unwraps it): importing the log reader (all of forewarn.parse) costs more than the
    rest of `why`'s start-up, and most questions name no such line."""
    from forewarn.signatures import load

    low = text.lower()
    low += "\n" + low.replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")
    return any(lit in low for s in load() if s.finding is not None for lit in s.literals)


def signature_hits(text: str) -> list[tuple[str, str]]:
    """(code, the line) for each code the text's lines carry, in the order they first appear."""
    from forewarn.signatures import findings

    carried = findings()
    text = text[:MAX_TEXT]
    if not carried or not _may_carry(text):
        return []
    from forewarn.parse.log.records import events_of, fields
    from forewarn.parse.log.unwrap import outer
    out: dict[str, str] = {}
    for raw in text.splitlines()[:MAX_LINES]:
        line = outer(raw.rstrip())[0]
        if not line.strip():
            continue
        for kind, _attrs in events_of(fields(line)[1]["msg"]):
            spec = carried.get(kind)
            if spec is not None and spec.code not in out:
                out[spec.code] = " ".join(raw.split())[:200]
    return list(out.items())
