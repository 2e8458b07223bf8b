"""CEPH106 ceph-pgs-degraded: placement groups degraded or undersized (fewer copies than the pool wants)."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts import ceph
from forewarn.facts.context import Context
from forewarn.model.findings import Severity, When
from forewarn.rules import Hit, note, rule, step

RECOVERING = ("recovering", "recovery_wait", "backfilling", "backfill_wait")


@rule(code="CEPH106", inputs=ceph.HEALTH_KEYS,
      fix=(step("ceph health detail", on=None), step("ceph osd tree", on=None), step("ceph -s", on=None),
           note("Bring the down OSDs or hosts back (or mark a dead OSD out so its data is rebuilt elsewhere); a pool "
                "whose size exceeds the hosts the CRUSH rule can choose stays undersized for ever.")))
def ceph_pgs_degraded(ctx: Context) -> Iterator[Hit]:
    seen = ceph.found(ctx, ("PG_DEGRADED", "PG_DEGRADED_FULL"))
    recovering = [st for want in RECOVERING for st, _, _ in ceph.pg_states(ctx, want)]
    undersized = ceph.pg_states(ctx, "undersized")
    for s in seen:
        stuck = bool(undersized) and not recovering
        why = ("fewer copies of some objects exist than the pools ask for, so one more disk or host failure can make "
               "data unavailable or lose it")
        if stuck:
            why += ("; no PG is recovering or backfilling, so nothing is rebuilding the missing copies (an OSD or "
                    "host is down, or the CRUSH rule cannot place them)")
        elif recovering:
            why += "; recovery is under way (" + ", ".join(sorted(set(recovering))) + ")"
        yield Hit(f"ceph health {s.code}: `{s.summary}`{ceph.detail_lines(s)}: {why}", nodes=s.nodes,
                  evidence=s.evidence, severity=Severity.HIGH if stuck or s.code == "PG_DEGRADED_FULL" else None,
                  when=When.NOW)
