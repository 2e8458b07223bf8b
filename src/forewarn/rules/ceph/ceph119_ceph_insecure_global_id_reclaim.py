"""CEPH119 ceph-insecure-global-id-reclaim: monitors still allow insecure global_id reclaim."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts import ceph
from forewarn.facts.context import Context
from forewarn.model.findings import When
from forewarn.rules import Hit, note, rule, step

ALLOWED, USED = "AUTH_INSECURE_GLOBAL_ID_RECLAIM_ALLOWED", "AUTH_INSECURE_GLOBAL_ID_RECLAIM"


@rule(code="CEPH119", inputs=ceph.READS,
      fix=(note("Update every client first (librados/librbd of each PVE node and VM host, kernel RBD/CephFS "
                "clients): `ceph health detail` lists clients that still reclaim insecurely "
                "(AUTH_INSECURE_GLOBAL_ID_RECLAIM) — turning it off before they are updated locks them out."),
           step("ceph config set mon auth_allow_insecure_global_id_reclaim false", on=None)))
def ceph_insecure_global_id_reclaim(ctx: Context) -> Iterator[Hit]:
    seen = ceph.found(ctx, (ALLOWED, USED), ("ceph_insecure_global_id",), ALLOWED,
                      "mons are allowing insecure global_id reclaim",
                      missing="no `ceph -s` / `ceph health detail` output, and no log line about global_id reclaim")
    if not seen:
        return
    clients = next((s for s in seen if s.code == USED), None)
    head = "; ".join(f"`{s.summary}`" for s in seen)
    tail = (": clients still connect with the old reclaim, so update them before disallowing it" if clients else
            ": no connected client uses it now (AUTH_INSECURE_GLOBAL_ID_RECLAIM is not raised), so once clients that "
            "connect only now and then are updated too, the fallback can be turned off")
    yield Hit(f"ceph health: {head} (CVE-2021-20288 fallback){tail}",
              nodes=list(dict.fromkeys(n for s in seen for n in s.nodes)),
              evidence=[r for s in seen for r in s.evidence],
              when=When.PAST if all(s.from_logs for s in seen) else When.NOW)
