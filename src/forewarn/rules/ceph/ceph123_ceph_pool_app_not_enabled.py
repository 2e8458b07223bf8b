"""CEPH123 ceph-pool-app-not-enabled: a pool holds data but is not tagged with the application using it."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts import ceph
from forewarn.facts.context import Context
from forewarn.model.findings import When
from forewarn.rules import Hit, note, rule, step


@rule(code="CEPH123", inputs=ceph.HEALTH_KEYS,
      fix=(step("ceph osd pool ls detail", on=None),
           step("ceph osd pool application enable <pool> <rbd|cephfs|rgw|mgr>", on=None),
           note("Tag each pool with what uses it (PVE's RBD pools: rbd; the built-in .mgr pool: mgr).")))
def ceph_pool_app_not_enabled(ctx: Context) -> Iterator[Hit]:
    seen = ceph.found(ctx, ("POOL_APP_NOT_ENABLED",))
    for s in seen:
        yield Hit(f"ceph health {s.code}: `{s.summary}`{ceph.detail_lines(s, 2)}: harmless for the data, but it keeps "
                  "the cluster in HEALTH_WARN, where a new, serious warning goes unnoticed", nodes=s.nodes,
                  evidence=s.evidence, when=When.NOW)
