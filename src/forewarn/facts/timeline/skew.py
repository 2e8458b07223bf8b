"""Clock skew between nodes, from the membership rings several nodes logged."""

from __future__ import annotations

from datetime import datetime
from statistics import median_low

from forewarn.facts.timeline.model import SKEW_MIN_SECONDS, Skew
from forewarn.facts.words import nat


# -- skew -------------------------------------------------------------------------------------
def estimate_skew(anchors: dict[str, dict[str, datetime]]) -> list[Skew]:
    """Clock offset of each node from the rings several nodes logged (`A new membership (R) was
    formed`, logged by every member within about a second). Offsets are relative to the node most
    others agree with: the median node has offset 0."""
    nodes = sorted((n for n, a in anchors.items() if a), key=nat)
    if len(nodes) < 2:
        return []
    ref = nodes[0]
    placed: dict[str, tuple[float, int, float]] = {ref: (0.0, 0, 0.0)}
    todo = [n for n in nodes if n != ref]
    while todo:
        best: tuple[int, str, list[float]] | None = None
        for n in todo:
            diffs = [(anchors[n][r] - anchors[m][r]).total_seconds() + placed[m][0]
                     for m in placed for r in anchors[n].keys() & anchors[m].keys()]
            if diffs and (best is None or len(diffs) > best[0]):
                best = (len(diffs), n, diffs)
        if best is None:
            break
        _, n, diffs = best
        placed[n] = (float(median_low(diffs)), len(diffs), max(diffs) - min(diffs))
        todo.remove(n)
    base = median_low(sorted(v[0] for v in placed.values()))
    out: list[Skew] = []
    for n in nodes:
        if n in placed:
            off, cnt, spread = placed[n]
            off -= base
            cnt = cnt or max((len(anchors[n].keys() & anchors[m].keys()) for m in placed if m != n), default=0)
            out.append(Skew(n, off, cnt, spread, "", abs(off) >= SKEW_MIN_SECONDS))
        else:
            out.append(Skew(n, None, 0, 0.0, "", False))
    zero = [s.node for s in out if s.offset is not None and abs(s.offset) < SKEW_MIN_SECONDS]
    for s in out:
        s.reference = ", ".join(x for x in zero if x != s.node) or ref
    return out


