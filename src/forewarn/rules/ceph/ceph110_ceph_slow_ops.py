"""CEPH110 ceph-slow-ops: operations blocked on OSDs or monitors (SLOW_OPS, REQUEST_SLOW)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from forewarn.facts import ceph
from forewarn.facts.context import Context
from forewarn.model.findings import Severity, When
from forewarn.rules import Hit, note, rule, step

_OLDEST = re.compile(r"(?:oldest one blocked for|blocked >) (?P<s>\d+(?:\.\d+)?) sec")
_DAEMONS = re.compile(r"\b(?:osd|mon|mds)\.\w+")


@rule(code="CEPH110", inputs=ceph.READS,
      fix=(step("ceph health detail", on=None), step("ceph daemon {daemon} dump_ops_in_flight"),
           note("Check the named daemon's disk (`smartctl`, kernel I/O errors, `ceph osd perf` latency) and network "
                "(errors, MTU mismatches on the cluster network); blocked PGs (inactive, incomplete) also show as "
                "slow ops: fix those first (CEPH105).")))
def ceph_slow_ops(ctx: Context) -> Iterator[Hit]:
    seen = ceph.found(ctx, ("SLOW_OPS", "REQUEST_SLOW", "REQUEST_STUCK"), cluster_log=True)
    for s in seen:
        m = _OLDEST.search(s.summary)
        secs = float(m.group("s")) if m else None
        daemons = list(dict.fromkeys(_DAEMONS.findall(s.summary + " " + " ".join(s.detail))))
        long = secs is not None and secs > 30
        src = "the cluster log leaves raised" if s.from_logs else "ceph health"
        yield Hit(f"{src} {s.code}: `{s.summary}`{ceph.detail_lines(s)}: client I/O through "
                  + (", ".join(daemons) if daemons else "these daemons") + " waits"
                  + (f" (the oldest for {secs:.0f} s): VMs on the pools see I/O stalls and hung tasks" if secs else ""),
                  nodes=s.nodes, evidence=s.evidence, severity=Severity.HIGH if long else Severity.MEDIUM,
                  params={"daemon": daemons[0] if daemons else "osd.<id>"}, when=When.PAST if s.from_logs else When.NOW)
