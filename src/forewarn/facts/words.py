"""The few words every layer that talks says the same way: lists, durations, spans, node order.

A rule's message (PVE102), the timeline's notes and the reports all write "node1, node2 and
node3", "2 min 5 s" and an episode's span alike. They live here, below the rules, because rules
may not import report/; everything else the timeline says is in report/timeline_words.py.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from forewarn.facts.timeline.model import Episode


def nat(s: str) -> tuple[Any, ...]:
    """Sort key in natural order: node2 before node10.

    >>> sorted(["node10", "node2", "node1"], key=nat)
    ['node1', 'node2', 'node10']
    """
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", s))


def english_list(items: list[str]) -> str:
    """`a`, `a and b`, `a, b and c` ("" for none).

    >>> english_list(["a"]), english_list(["a", "b", "c"]), english_list([])
    ('a', 'a, b and c', '')
    """
    if not items:
        return ""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def dur(seconds: float) -> str:
    """A duration in the unit a reader wants for it.

    >>> dur(15), dur(125), dur(180), dur(7500)
    ('15 s', '2 min 5 s', '3 min', '2 h 5 min')
    """
    s = int(round(seconds))
    if s < 120:
        return f"{s} s"
    if s < 7200:
        return f"{s // 60} min {s % 60} s" if s % 60 else f"{s // 60} min"
    return f"{s // 3600} h {s % 3600 // 60} min"


def episode_span(ep: Episode, days: bool = False) -> str:
    """`04:04:30–04:04:45 (15 s)`, or by line when the logs have no times (`lines 14–102`)."""
    if ep.timed and ep.start is not None and ep.end is not None:
        fmt = "%b %d %H:%M:%S" if days else "%H:%M:%S"
        return f"{ep.start:{fmt}}–{ep.end:{fmt}} ({dur((ep.end - ep.start).total_seconds())})"
    if ep.lines:
        return ", ".join(f"{n} lines {a}–{b}" if len(ep.lines) > 1 else f"lines {a}–{b}"
                         for n, (a, b) in ep.lines.items())
    return ""
