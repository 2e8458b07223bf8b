"""CEPH114 ceph-maintenance-flags: OSD map flags (noout, norebalance, pause, ...) left set."""

from __future__ import annotations

import re
from collections.abc import Iterator

from forewarn.facts import ceph
from forewarn.facts.context import Context
from forewarn.model.findings import Severity, When
from forewarn.rules import Hit, note, rule, step

# flags that stop Ceph from healing itself or stop client I/O; the scrub flags only postpone scrubs
HEALING = {"noout", "noup", "nodown", "noin", "pause", "pauserd", "pausewr", "norecover", "nobackfill", "norebalance"}
_FLAG = re.compile(r"\b(no[a-z-]+|pause(?:rd|wr)?)\b")


def flags_of(s: ceph.Seen) -> set[str]:
    """The flags a check names, in its summary (`noup,nodown flag(s) set`) or detail (`host kw5 has flags noout`).

    >>> sorted(flags_of(ceph.Seen("OSDMAP_FLAGS", "", "noup,nodown flag(s) set")))
    ['nodown', 'noup']
    """
    # OSD_FLAGS' summary lists every flag it could be ({NOUP,NODOWN,NOIN,NOOUT}); its detail says which are set
    text = " ".join(s.detail) if s.code == "OSD_FLAGS" and s.detail else s.summary
    return {m.group(1).lower() for m in _FLAG.finditer(text)} - {"nodes"}


@rule(code="CEPH114", inputs=ceph.HEALTH_KEYS,
      fix=(step("ceph osd dump | grep flags", on=None),
           note("If no maintenance or upgrade is under way (`ceph versions` shows one version per daemon type), "
                "unset each flag: `ceph osd unset <flag>`; per host or OSD `ceph osd unset-group <flag> <host>` "
                "(or `ceph osd rm-noout osd.<id>`).")))
def ceph_maintenance_flags(ctx: Context) -> Iterator[Hit]:
    seen = ceph.found(ctx, ("OSDMAP_FLAGS", "OSD_FLAGS"))
    for s in seen:
        flags = flags_of(s)
        healing = sorted(flags & HEALING)
        if healing:
            why = (f"{', '.join(healing)} keep{'s' if len(healing) == 1 else ''} Ceph from healing itself or from "
                   "serving I/O: with noout a failed disk is never marked out and its data never re-replicated, "
                   "with norecover/nobackfill/norebalance degraded PGs stay degraded, with pause clients block")
        elif flags & {"noscrub", "nodeep-scrub"}:
            why = "scrubs are postponed while the flag stays (latent errors stay hidden)"
        else:
            why = "the flags change how the OSDs behave"
        yield Hit(f"ceph health {s.code}: `{s.summary}`{ceph.detail_lines(s)}: {why}; such flags are set for "
                  "maintenance and are easily forgotten", nodes=s.nodes, evidence=s.evidence,
                  severity=None if healing else Severity.LOW, when=When.NOW)
