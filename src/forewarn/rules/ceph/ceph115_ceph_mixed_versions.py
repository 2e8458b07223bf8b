"""CEPH115 ceph-mixed-versions: daemons of the cluster run different Ceph releases (an upgrade left half done)."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts import ceph
from forewarn.facts.context import Context
from forewarn.model.findings import Severity, When
from forewarn.parse.ceph.versions import VERSIONS
from forewarn.rules import Hit, note, rule, step


@rule(code="CEPH115", inputs=(VERSIONS,), reads=ceph.HEALTH_KEYS,
      fix=(step("ceph versions", on=None),
           note("Finish the upgrade in Ceph's order (monitors, managers, OSDs, then MDS, RGW and clients): on each "
                "node upgrade the packages and restart the daemons still on the old release (`systemctl restart "
                "ceph-<type>@<id>`, or `ceph orch upgrade status` with cephadm); pve8to9 / pve7to8 check the same.")))
def ceph_mixed_versions(ctx: Context) -> Iterator[Hit]:
    f = ctx.facts(VERSIONS)[0]  # the cluster answers the same on every node
    mixed = f.value.mixed()
    kinds = {v for vs in f.value.by_type.values() for v in vs}
    if not mixed and len(kinds) <= 1:
        return
    old = ceph.checks(ctx, ("DAEMON_OLD_VERSION",)) if ceph.have_health(ctx) else []
    parts = [f"{t}: " + ", ".join(f"{n}× {v}" for v, n in vs.items()) for t, vs in (mixed or f.value.by_type).items()]
    what = ("daemons of one type" if mixed else "daemon types") + " run different Ceph releases"
    if old:
        why = (f"Ceph itself raises DAEMON_OLD_VERSION (`{old[0].summary}`), which it does only after "
               "mon_warn_older_version_delay (a week): the upgrade was left unfinished")
    else:
        why = ("during an upgrade this is expected for a while; if none is under way, the daemons still on the old "
               "release were not restarted, and features and fixes of the new one stay off until they are")
    yield Hit(f"ceph versions: {what} ({'; '.join(parts)}): {why}", nodes=f.node, evidence=[f.ref()],
              severity=Severity.MEDIUM if old else None, when=When.NOW)
