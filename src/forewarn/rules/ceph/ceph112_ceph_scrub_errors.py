"""CEPH112 ceph-scrub-errors: deep scrub found inconsistent copies (possible data damage)."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts import ceph
from forewarn.facts.context import Context
from forewarn.model.findings import Severity, When
from forewarn.rules import Hit, note, rule, step

CODES = ("OSD_SCRUB_ERRORS", "PG_DAMAGED", "OSD_TOO_MANY_REPAIRS")


@rule(code="CEPH112", inputs=ceph.READS,
      fix=(step("ceph health detail", on=None),
           step("rados list-inconsistent-obj <pgid> --format=json-pretty", on=None),
           note("Find the OSD that holds the bad copy (the errors in `list-inconsistent-obj` name it) and check its "
                "disk first: `smartctl -a`, the kernel log (`I/O error`). A disk that keeps producing read errors "
                "needs replacing; repairing the PG on it only hides the next one."),
           step("ceph pg repair <pgid>", on=None, safe=False)))
def ceph_scrub_errors(ctx: Context) -> Iterator[Hit]:
    seen = ceph.found(ctx, CODES, ("ceph_pg_inconsistent",), "PG_DAMAGED", "scrub errors / inconsistent PGs",
                      missing="no `ceph -s` / `ceph health detail` output, and no log line about scrub errors")
    states = ceph.pg_states(ctx, "inconsistent")
    if not seen and not states:
        return
    parts = [f"`{s.summary}`{ceph.detail_lines(s)}" for s in seen]
    evidence = [r for s in seen for r in s.evidence]
    if states and not any(s.code == "PG_DAMAGED" for s in seen):
        parts.append(", ".join(f"{n} PG(s) {st}" for st, n, _ in states))
        evidence += [f.ref([f.value.pgs_line]) if f.value.pgs_line else f.ref() for _, _, f in states[:1]]
    nodes = list(dict.fromkeys(n for s in seen for n in s.nodes)) or [states[0][2].node]
    unfound = any("unfound" in s.summary for s in seen)
    yield Hit("ceph health: " + "; ".join(parts) + ": a deep scrub found replicas of objects that differ"
              + (" and objects whose every copy is lost (unfound)" if unfound else "")
              + "; Ceph does not repair them by itself (osd_scrub_auto_repair is off by default), and the usual "
              "cause is a failing disk under one OSD",
              nodes=nodes, evidence=evidence, severity=Severity.CRITICAL if unfound else None,
              when=When.PAST if seen and all(s.from_logs for s in seen) else When.NOW,
              details={"codes": [s.code for s in seen]})
