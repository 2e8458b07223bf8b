"""CEPH105 ceph-pgs-inactive: placement groups not active (inactive, incomplete, down, stale): I/O to them blocks."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts import ceph
from forewarn.facts.context import Context
from forewarn.model.findings import When
from forewarn.rules import Hit, note, rule, step


@rule(code="CEPH105", inputs=ceph.HEALTH_KEYS,
      fix=(step("ceph health detail", on=None), step("ceph pg dump_stuck inactive", on=None),
           step("ceph osd tree", on=None),
           note("Bring back the OSDs the PGs wait for (`ceph pg <pgid> query` says which: `blocked_by`, "
                "`down_osds_we_would_probe`); a pool whose size is larger than the number of hosts (or OSDs, for "
                "an osd failure domain) can never go active; all `unknown` usually means no OSD or no manager "
                "reports them."),
           note("Lowering a pool's min_size to get PGs active risks losing the last writes: only as a last resort, "
                "and back afterwards.")))
def ceph_pgs_inactive(ctx: Context) -> Iterator[Hit]:
    seen = ceph.found(ctx, ("PG_AVAILABILITY",))
    states = ceph.pg_states(ctx, "inactive")
    if not seen and not states:
        return
    parts = [f"`{s.summary}`{ceph.detail_lines(s)}" for s in seen]
    evidence = [r for s in seen for r in s.evidence]
    nodes = list(dict.fromkeys(n for s in seen for n in s.nodes))
    if states:
        total = sum(n for _, n, _ in states)
        f = states[0][2]
        parts.append(f"{total} PG(s) not active in `ceph -s` (" + ", ".join(f"{n} {st}" for st, n, _ in states) + ")")
        evidence.append(f.ref([f.value.pgs_line]) if f.value.pgs_line else f.ref())
        nodes = nodes or [f.node]
    yield Hit("ceph: " + "; ".join(parts) + ": reads and writes to these placement groups block until they are "
              "active again, so every VM disk or file with data in them hangs",
              nodes=nodes, evidence=evidence, when=When.NOW, details={"states": {st: n for st, n, _ in states}})
