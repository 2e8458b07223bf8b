"""CEPH103 ceph-mon-clock-skew: the monitors' clocks disagree (MON_CLOCK_SKEW)."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts import ceph
from forewarn.facts.context import Context
from forewarn.model.findings import When
from forewarn.rules import Hit, note, rule, step


@rule(code="CEPH103", inputs=ceph.HEALTH_KEYS,
      fix=(step("ceph time-sync-status", on=None), step("chronyc tracking"), step("chronyc -n sources"),
           note("Point every monitor host at the same reachable NTP servers (ideally local ones) and let chrony "
                "step the clock (`chronyc makestep`); raising mon_clock_drift_allowed only hides the skew.")))
def ceph_mon_clock_skew(ctx: Context) -> Iterator[Hit]:
    seen = ceph.found(ctx, ("MON_CLOCK_SKEW",))
    for s in seen:
        yield Hit(f"ceph health MON_CLOCK_SKEW: `{s.summary}`{ceph.detail_lines(s)}: the monitors' clocks differ "
                  "by more than mon_clock_drift_allowed (0.05 s); Paxos leases and cephx tickets depend on them, "
                  "so monitors can drop out of quorum and clients can fail to authenticate",
                  nodes=s.nodes, evidence=s.evidence, when=When.NOW)
