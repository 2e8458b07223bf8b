"""Matching a message against the knowledge base (forewarn/signatures): the per-line side.

The first signature (in knowledge-base order) whose regex matches names the event. Before a
regex runs, the lower-cased message must contain one of the signature's literals (every match
contains one), which keeps a pass over thousands of lines cheap.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

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


@lru_cache(maxsize=1)
def _literal_table() -> tuple[tuple[tuple[str, tuple[int, ...]], ...], Any]:
    """Every literal once, with the signatures (by position) that have it; and an RE2 set of
    them, which says in one pass which ones a line holds (~3 µs; testing each literal in turn
    cost ~24 µs and grew with the knowledge base, one alternation of them all ~7 µs)."""
    sigs = signatures()
    by_lit: dict[str, list[int]] = {}
    for i, sig in enumerate(sigs):
        for lit in sig.literals:
            by_lit.setdefault(lit, []).append(i)
    table = tuple((lit, tuple(ix)) for lit, ix in by_lit.items())
    found: Any = None
    try:
        import re2

        if by_lit:
            found = re2.Set.SearchSet(re2.Options())
            for lit in by_lit:
                found.Add(re.escape(lit))
            found.Compile()
    except Exception:  # noqa: BLE001 - no RE2 (or it refuses the set): the loops below say it too
        found = None
    return table, found


def match(text: str) -> tuple[Signature, dict[str, str]] | None:
    """The first signature that matches `text`, with its attributes; None if none does.

    >>> sig, attrs = match("VM 100 is locked (snapshot-delete)")
    >>> sig.kind, attrs
    ('guest_locked', {'type': 'VM', 'vmid': '100', 'lock': 'snapshot-delete'})
    >>> match("all quiet") is None
    True
    """
    low = text.lower()
    table, found = _literal_table()
    # the signatures one of whose literals the text holds, in knowledge-base order
    if found is not None:
        candidates = sorted({i for k in (found.Match(low) or ()) for i in table[k][1]})
    else:
        candidates = sorted({i for lit, ix in table if lit in low for i in ix})
    return match_among(text, tuple(candidates))


def match_among(text: str, ids: tuple[int, ...]) -> tuple[Signature, dict[str, str]] | None:
    """The first of the signatures `ids` (positions, in knowledge-base order) that matches `text`.

    `match` gives it the signatures one of whose literals `text` holds. The log reader gives it
    the signatures the matcher found somewhere in a raw line that holds `text` unchanged: every
    signature that matches `text` is among them (its engine form, with no anchors and its edge
    assertions dropped, matches every line that holds such a text), so only those are tried.

    >>> i = [s.kind for s in signatures()].index("guest_locked")
    >>> match_among("VM 100 is locked (snapshot-delete)", (i,))[0].kind
    'guest_locked'
    >>> match_among("VM 100 is locked (snapshot-delete)", ()) is None
    True
    """
    sigs = signatures()
    for i in ids:
        m = sigs[i].regex.search(text)
        if m:
            return sigs[i], clean_attrs(m.groupdict())
    return None


def wrapped(line: str) -> bool:
    """Whether the reader may unwrap a text out of this line (escapes, NULs, JSON) that the raw
    line does not show as it is."""
    return "\\" in line or "\x00" in line or line.lstrip()[:1] == "{"


def could_match(text: str) -> bool:
    """Whether some signature's literal is in `text` (a cheap superset of `match`)."""
    low = text.lower()
    table, found = _literal_table()
    if found is not None:
        return bool(found.Match(low))
    return any(lit in low for lit, _ix in table)


def could_name(line: str) -> bool:
    """Whether a signature could name `line` or a text unwrapped from it (a cheap superset of
    what the reader finds in it).

    Unwrapping (parse/log/unwrap.py) takes off prefixes, drops NUL runs and undoes backslash
    escapes: every character a signature's literal holds then comes from a character of the
    line that is neither a backslash nor a NUL, in order, with only those between. So the
    line without its backslashes and NULs holds every literal the unwrapped texts hold;
    only JSON's `\\u` escapes and journald's byte-array messages (a line starting with `{`)
    can spell a literal the raw line does not show.

    >>> could_name('level=info msg="RemoveContainer for \\"9838d1\\" returns successfully"')
    False
    >>> could_name('caused \\"VM 100 is lo\\\\cked (backup)\\"'), could_name('{"log": "x"}')
    (True, True)
    """
    if not wrapped(line):
        return could_match(line)
    if "\\u" in line or line.lstrip()[:1] == "{":
        return True
    # a literal of the raw line (none holds a backslash or a NUL) is in it too: one search
    return could_match(line.replace("\\", "").replace("\x00", ""))

