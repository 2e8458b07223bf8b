"""CEPH125 ceph-objects-unfound: objects whose newest copy no OSD that is up holds (I/O to them blocks)."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts import ceph
from forewarn.facts.context import Context
from forewarn.model.findings import When
from forewarn.rules import Hit, note, rule, step


@rule(code="CEPH125", inputs=ceph.HEALTH_KEYS,
      fix=(step("ceph health detail", on=None),
           step("ceph pg <pgid> list_unfound", on=None),
           step("ceph pg <pgid> query", on=None),
           note("Bring back every down OSD that may hold the newest copy (the query's `might_have_unfound` lists them); "
                "only when none can return is `ceph pg <pgid> mark_unfound_lost revert` (older copy) or `delete` "
                "the last resort: it loses those writes.")))
def ceph_objects_unfound(ctx: Context) -> Iterator[Hit]:
    seen = ceph.found(ctx, ("OBJECT_UNFOUND",))
    for s in seen:
        yield Hit(f"ceph health {s.code}: `{s.summary}`{ceph.detail_lines(s)}: the OSDs know a newer copy of these "
                  "objects exists but no OSD that is up has it; every read or write to them blocks (the VM or "
                  "client hangs) until an OSD holding them returns, or they are given up as lost",
                  nodes=s.nodes, evidence=s.evidence, when=When.NOW)
