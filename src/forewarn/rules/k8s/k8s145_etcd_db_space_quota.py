"""K8S145 etcd-db-space-quota: an etcd member's database is at or near its space quota (2 GiB by
default), or etcd already refuses writes with `mvcc: database space exceeded` (NOSPACE alarm)."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts import logs
from forewarn.facts.context import Context
from forewarn.model.findings import Severity, When
from forewarn.parse.k8s.etcd_endpoint_status import ETCD_STATUS, EtcdMember
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import CouldNotCheck, NotApplicable

QUOTA = 2 * 1024**3  # etcd's DefaultQuotaBytes (--quota-backend-bytes not set)
NEAR, WARN = 0.95, 0.80

FIX = (
    step("etcdctl endpoint status -w table"),
    step("etcdctl alarm list"),
    note("Free the space inside the database, then give it back to the file system, one member at a time: "
         "compact to the current revision (`etcdctl compact <revision>`, the revision from "
         "`etcdctl endpoint status -w json`), then `etcdctl defrag` per member (the member blocks "
         "while it runs: never all at once), then `etcdctl alarm disarm`."),
    note("If the cluster legitimately holds more data, raise `--quota-backend-bytes` (etcd recommends at most "
         "8 GiB) in the etcd manifest, and keep auto-compaction on (`--auto-compaction-retention`)."),
)


def _pct(m: EtcdMember) -> float:
    return (m.db_bytes or 0) / QUOTA


@rule(code="K8S145", inputs=(ETCD_STATUS, *logs.LOG_SPECS), platform="linux", fix=FIX)
def etcd_db_space_quota(ctx: Context) -> Iterator[Hit]:
    facts = ctx.by_node(ETCD_STATUS)
    checked = bool(facts)
    for node, f in sorted(facts.items()):
        for m in f.value.members:
            nospace = "NOSPACE" in m.errors.upper()
            if m.db_bytes is None and not nospace:
                continue
            pct = _pct(m)
            what = (f"etcd member {m.endpoint} ({m.id}, {m.version}): database {m.db_size}, "
                    f"{pct:.0%} of etcd's default space quota of 2 GiB")
            if nospace:
                sev, why = Severity.CRITICAL, f"etcd raised the NOSPACE alarm ({m.errors}): it accepts only reads and deletes"
            elif pct >= 1:
                sev, why = Severity.CRITICAL, ("over the default quota: unless --quota-backend-bytes was raised, etcd "
                                               "has raised the NOSPACE alarm and refuses every write")
            elif pct >= NEAR:
                sev, why = Severity.HIGH, ("at the quota (the printed size is rounded): at 100 % etcd raises the NOSPACE "
                                           "alarm and refuses every write (the API server can no longer change anything)")
            elif pct >= WARN:
                sev, why = Severity.MEDIUM, "nearing the quota: compact and defragment before etcd refuses writes"
            else:
                continue
            yield Hit(f"{node}: {what}; {why}", nodes=node, evidence=[f.ref([m.line])], severity=sev,
                      details={"endpoint": m.endpoint, "db_bytes": m.db_bytes, "quota": QUOTA, "errors": m.errors})
    by_node: dict[str, list[logs.NodeEvent]] = {}
    for e in logs.events(ctx, None, ("etcd_space_exceeded",)):
        by_node.setdefault(e.node, []).append(e)
    for node, evs in sorted(by_node.items()):
        checked = True
        yield Hit(f"{node}: etcd refused writes with `mvcc: database space exceeded` ({len(evs)} time(s)): its database "
                  "reached the space quota and the NOSPACE alarm is raised; only reads and deletes work until it is "
                  "compacted, defragmented and the alarm disarmed", nodes=node, evidence=logs.refs(evs, limit=3),
                  severity=Severity.CRITICAL, when=When.PAST)
    if not checked:
        raise NotApplicable("no etcd status and no etcd space error here")
    if not by_node and not any(m.db_bytes is not None or m.errors for f in facts.values() for m in f.value.members):
        raise CouldNotCheck("the etcd status shows no readable database size")
