"""CEPH102 ceph-mon-down: a monitor is out of quorum; with no spare left, one more loss stops the cluster."""

from __future__ import annotations

import re
from collections.abc import Iterator

from forewarn.facts import ceph
from forewarn.facts.context import Context
from forewarn.model.findings import Severity, When
from forewarn.rules import Hit, note, rule, step

_COUNT = re.compile(r"(?P<down>\d+)/(?P<total>\d+) mons down")


def spare(summary: str) -> int | None:
    """How many more monitors may fail before quorum is lost (None when the summary does not say).

    >>> spare("1/3 mons down, quorum g,i"), spare("1/5 mons down, quorum a,b,c,d"), spare("mon down")
    (0, 1, None)
    """
    m = _COUNT.search(summary)
    if not m:
        return None
    down, total = int(m.group("down")), int(m.group("total"))
    return (total - down) - (total // 2 + 1)


@rule(code="CEPH102", inputs=ceph.READS,
      fix=(step("ceph quorum_status -f json-pretty", on=None),
           step("systemctl status ceph-mon@<id>"),
           note("On the monitor's host check why it left: `journalctl -u ceph-mon@<id>`, its disk (the store under "
                "/var/lib/ceph/mon, CEPH121), the network to the other monitors and the clock (CEPH103); then start "
                "it again (`systemctl start ceph-mon@<id>`) or replace it (`pveceph mon destroy` / `create`).")))
def ceph_mon_down(ctx: Context) -> Iterator[Hit]:
    seen = ceph.found(ctx, ("MON_DOWN",), cluster_log=True)
    for s in seen:
        left = spare(s.summary)
        if left is not None and left <= 0:
            why, sev = ("the monitors left are exactly a majority: if one more fails or is cut off, the cluster has no "
                        "quorum and every client I/O stops"), Severity.CRITICAL
        else:
            why, sev = ("the cluster still has quorum, but with fewer monitors it tolerates fewer further losses"
                        + (f" ({left} more)" if left is not None else "")), Severity.HIGH
        src = "the cluster log leaves raised" if s.from_logs else "ceph health"
        yield Hit(f"{src} {s.code}: `{s.summary}`{ceph.detail_lines(s)}: {why}", nodes=s.nodes,
                  evidence=s.evidence, severity=sev, when=When.PAST if s.from_logs else When.NOW)
