"""Matching a message against the knowledge base (forewarn/signatures): the per-line side.

The first signature (in knowledge-base order) whose regex matches names the event. Before a
regex runs, the lower-cased message must contain one of the signature's literals (every match
contains one), which keeps a pass over thousands of lines cheap.
"""

from __future__ import annotations

from functools import lru_cache

from forewarn.signatures import Signature, load


@lru_cache(maxsize=1)
def signatures() -> tuple[Signature, ...]:
    return load()


def clean_attrs(groups: dict[str, str | None]) -> dict[str, str]:
    """Named groups -> attributes. A name ending in digits (`lock2`) is another spelling of the
    same attribute in another alternative; markdown escapes (`file-replication\\_cfg` in a
    pasted note) and a closing quote of the sentence around a quoted message are not part of
    the value.

    >>> clean_attrs({"lock": None, "lock2": "file-replication\\\\_cfg\\"", "err": " x "})
    {'lock': 'file-replication_cfg', 'err': 'x'}
    """
    out: dict[str, str] = {}
    for k, v in groups.items():
        if v is None:
            continue
        out[k.rstrip("0123456789")] = v.strip().replace("\\_", "_").rstrip('"').rstrip()
    return out


def match(text: str) -> tuple[Signature, dict[str, str]] | None:
    """The first signature that matches `text`, with its attributes; None if none does.

    >>> sig, attrs = match("VM 100 is locked (snapshot-delete)")
    >>> sig.kind, attrs
    ('guest_locked', {'type': 'VM', 'vmid': '100', 'lock': 'snapshot-delete'})
    >>> match("all quiet") is None
    True
    """
    low = text.lower()
    for sig in signatures():
        for lit in sig.literals:
            if lit in low:
                m = sig.regex.search(text)
                if m:
                    return sig, clean_attrs(m.groupdict())
                break
    return None


def could_match(text: str) -> bool:
    """Whether some signature's literal is in `text` (a cheap superset of `match`)."""
    low = text.lower()
    return any(lit in low for sig in signatures() for lit in sig.literals)
