"""ZFS106 pool-scrub-overdue: a pool was never scrubbed, or not for months (latent errors stay hidden)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timezone

from forewarn.facts.context import Context
from forewarn.facts.zpools import no_pools, node_pools
from forewarn.model.findings import Severity, When
from forewarn.parse.pve.zpool_status import ZPOOL_STATUS
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import CouldNotCheck, NotApplicable

# Debian's zfsutils-linux cron scrubs every pool on the second Sunday of the month: at most ~35 days apart
DUE_DAYS, LATE_DAYS = 35, 90
_DONE = re.compile(r"^scrub repaired .* on (?P<when>\w{3} \w{3}\s+\d{1,2} \d{1,2}:\d\d:\d\d \d{4})\s*$")


def scrubbed_at(scan: str) -> datetime | None:
    """When the last completed scrub ended, from the `scan:` line (zpool prints local time; read as UTC).

    >>> scrubbed_at("scrub repaired 0B in 00:00:12 with 0 errors on Sun Apr 12 00:24:13 2026")
    datetime.datetime(2026, 4, 12, 0, 24, 13, tzinfo=datetime.timezone.utc)
    >>> scrubbed_at("resilvered 17.5M in 00:00:08 with 7 errors on Thu Jan 15 06:47:57 2026") is None
    True
    """
    m = _DONE.match(scan.strip())
    if not m:
        return None
    try:
        return datetime.strptime(" ".join(m.group("when").split()), "%a %b %d %H:%M:%S %Y").replace(tzinfo=timezone.utc)
    except ValueError:
        return None


@rule(code="ZFS106", inputs=(ZPOOL_STATUS,),
      fix=(step("zpool scrub {pool}"),
           note("Keep the monthly scrub: Debian's zfsutils-linux ships /etc/cron.d/zfsutils-linux (second Sunday of "
                "the month); OpenZFS 2.2+ also has `systemctl enable --now zfs-scrub-monthly@{pool}.timer`. A scrub "
                "reads every block and repairs from redundancy what it can, while the redundancy is still there.")))
def pool_scrub_overdue(ctx: Context) -> Iterator[Hit]:
    if no_pools(ctx):
        raise NotApplicable("zpool status: no pools available")
    judged = 0
    for np in node_pools(ctx):
        p, scan = np.pool, (np.pool.scan or "").strip()
        ref = np.fact.ref([n for n in (p.line, p.scan_line) if n])
        if scan == "none requested":
            judged += 1
            yield Hit(f"{np.node}: pool {p.name} `scan: none requested`: it was never scrubbed (since it was created or "
                      "imported), so nobody has read all its data back to check it; low, because a new pool has "
                      "not had its first monthly scrub yet", nodes=np.node, evidence=[ref], severity=Severity.LOW,
                      when=When.NOW, params={"pool": p.name})
            continue
        at = scrubbed_at(scan)
        if at is None:
            continue  # a scrub or resilver in progress, or a resilver last: the last scrub's date is not shown
        judged += 1
        days = (ctx.now - at).days
        if days <= DUE_DAYS:
            continue
        late = days > LATE_DAYS
        yield Hit(f"{np.node}: pool {p.name} was last scrubbed {days} days ago (`scan: {scan}`): "
                  + ("more than three monthly scrubs were missed, so errors on a disk that is rarely read (old "
                     "snapshots, cold data) stay unseen until a resilver needs that data and fails"
                     if late else "the monthly scrub did not run (the cron job or timer is off)"),
                  nodes=np.node, evidence=[ref], severity=Severity.MEDIUM if late else Severity.LOW,
                  when=When.NOW, params={"pool": p.name})
    if not judged:
        if not ctx.by_node(ZPOOL_STATUS):
            raise CouldNotCheck("needs `zpool status`")
        raise CouldNotCheck("no pool's `scan:` line shows a finished scrub or `none requested` (a resilver or scrub "
                            "is the last scan, or `zpool status -x` printed no pool)")
