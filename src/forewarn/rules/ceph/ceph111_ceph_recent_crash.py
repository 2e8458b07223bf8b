"""CEPH111 ceph-recent-crash: Ceph daemons (or mgr modules) crashed recently and nobody archived the reports."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts import ceph
from forewarn.facts.context import Context
from forewarn.model.findings import When
from forewarn.rules import Hit, note, rule, step


@rule(code="CEPH111", inputs=ceph.HEALTH_KEYS,
      fix=(step("ceph crash ls-new", on=None),
           step("ceph crash info <crash-id>", on=None),
           note("Read each crash's backtrace and the daemon's log around its time: a crashing OSD often sits on a "
                "failing disk (HW rules), a crashing mon on a full or slow store; once understood, "
                "`ceph crash archive <id>` (or `archive-all`) clears the warning.")))
def ceph_recent_crash(ctx: Context) -> Iterator[Hit]:
    seen = ceph.found(ctx, ("RECENT_CRASH", "RECENT_MGR_MODULE_CRASH"))
    for s in seen:
        what = "manager modules" if s.code == "RECENT_MGR_MODULE_CRASH" else "daemons"
        yield Hit(f"ceph health {s.code}: `{s.summary}`{ceph.detail_lines(s)}: these {what} crashed in the last two "
                  "weeks (mgr/crash/warn_recent_interval) and the reports are not archived; a crash that repeats "
                  "is a bug or a hardware fault under the daemon", nodes=s.nodes, evidence=s.evidence,
                  when=When.NOW)
