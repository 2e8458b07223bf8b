"""Ceph: cluster health, PG states and pool replication, as the ceph CLI reports them.

Live collection asks for JSON (stable keys; the text layout changes between releases); a loose
file may be either, the parsers read both. `--connect-timeout` keeps the CLI from waiting for
monitors that cannot be reached far longer than the spec's own timeout.
"""

from forewarn.specs._base import spec

spec("ceph.status", "command", "ceph --connect-timeout 10 status -f json",
     "cluster status: health checks (summaries), PG states, manager (`ceph -s`, text or JSON)",
     names=("ceph-s*", "ceph_s*", "ceph-status*", "ceph_status*"),
     sniff=(r"^\s*health: HEALTH_(OK|WARN|ERR)\s*$", r"^\s*pgs:\s+\d+ [a-z]+(\+[a-z_]+)*\s*$",
            r'"pgs_by_state"\s*:'),
     sniff_weight=10, merge_stderr=False, timeout=20)
spec("ceph.health_detail", "command", "ceph --connect-timeout 10 health detail -f json",
     "every health check with its code, severity and detail lines (`ceph health detail`, text or JSON)",
     names=("ceph-health*", "ceph_health*"),
     sniff=(r"^HEALTH_(OK|WARN|ERR)\b", r"^\[(WRN|ERR)\] [A-Z][A-Z0-9_]+: ",
            r'"checks"\s*:\s*\{\s*"[A-Z][A-Z0-9_]+"\s*:\s*\{\s*"severity"'),
     sniff_weight=9, merge_stderr=False, timeout=20)
spec("ceph.osd_pool_ls_detail", "command", "ceph --connect-timeout 10 osd pool ls detail -f json",
     "pools with their replication (size, min_size) and type",
     names=("ceph-osd-pool-ls-detail*", "ceph_osd_pool_ls_detail*", "pool-ls-detail*"),
     sniff=(r"^pool \d+ '[^']*' (replicated|erasure) ", r'"pool_name"\s*:.*\n(.*\n){0,12}?\s*"min_size"'),
     sniff_weight=10, merge_stderr=False, timeout=20, data=True)
spec("ceph.versions", "command", "ceph --connect-timeout 10 versions -f json",
     "the Ceph release each running daemon type reports (`ceph versions`)",
     names=("ceph-versions*", "ceph_versions*"),
     sniff=(r'"overall"\s*:\s*\{\s*"ceph version ',),
     sniff_weight=10, merge_stderr=False, timeout=20, data=True)
