"""`why` asks the knowledge base first: the lines of the text that a signature carrying a finding
names, read as `scan` reads a log (the same unwrapping, the same first-match order), so `why`
answers with the code `scan` would report for the same line."""

from __future__ import annotations

from forewarn.why.tuning import MAX_TEXT

MAX_LINES = 2000  # lines of a paste looked at; the rest is left to the ranked search


def signature_hits(text: str) -> list[tuple[str, str]]:
    """(code, the line) for each code the text's lines carry, in the order they first appear."""
    from forewarn.parse.logs.syslog import _fields, _found
    from forewarn.parse.logs.unwrap import outer
    from forewarn.signatures import findings

    carried = findings()
    if not carried:
        return []
    out: dict[str, str] = {}
    for raw in text[:MAX_TEXT].splitlines()[:MAX_LINES]:
        line = outer(raw.rstrip())[0]
        if not line.strip():
            continue
        for kind, _attrs in _found(_fields(line)[1]["msg"]):
            spec = carried.get(kind)
            if spec is not None and spec.code not in out:
                out[spec.code] = " ".join(raw.split())[:200]
    return list(out.items())
