"""Ceph's health as `ceph -s` / `ceph status`, `ceph health [detail]` print it, text or JSON.

    health: HEALTH_ERR                               (ceph -s: summaries only, no codes)
            1 full osd(s)
    HEALTH_WARN mons are allowing insecure global_id reclaim          (ceph health [detail])
    [WRN] AUTH_INSECURE_GLOBAL_ID_RECLAIM_ALLOWED: mons are allowing insecure global_id reclaim
        mon.a has auth_allow_insecure_global_id_reclaim set to true

Each health check has a code (docs.ceph.com rados/operations/health-checks) and a one-line
summary the monitor or manager writes. `ceph health detail` and the JSON forms name the code;
`ceph -s` text shows only the summary, so the code is recovered from the summary's wording
(`SUMMARIES`, the messages of ceph's src/mon and src/mgr). `ceph -s` also gives the PG states
(`pgs: 462 active+clean / 1 active+clean+inconsistent`) and whether a manager is active.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from forewarn.model.keys import Key
from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser
from forewarn.parse._text import int_value, lazy_compile


@dataclass(frozen=True, slots=True)
class HealthCheck:
    code: str  # "OSD_FULL"; "" when a `ceph -s` summary matches no known wording
    severity: str  # "HEALTH_WARN" | "HEALTH_ERR" | "" (ceph -s text does not say per check)
    summary: str
    detail: tuple[str, ...] = ()
    count: int | None = None
    muted: bool = False
    line: int = 0  # 0 in JSON


@dataclass(slots=True)
class CephHealth:
    status: str = ""  # HEALTH_OK | HEALTH_WARN | HEALTH_ERR
    status_line: int = 0
    checks: list[HealthCheck] = field(default_factory=list)
    pgs_by_state: dict[str, int] = field(default_factory=dict)  # "active+clean" -> 462
    pgs_line: int = 0
    num_pgs: int | None = None
    mgr_available: bool | None = None  # False: no active manager
    mgr_line: int = 0
    num_mons: int | None = None  # monitors in the monmap (`mon: 3 daemons, quorum a,b`), in quorum or not
    mons_line: int = 0

    def check(self, code: str) -> HealthCheck | None:
        return next((c for c in self.checks if c.code == code), None)


STATUS = Key("ceph.status", CephHealth)
HEALTH_DETAIL = Key("ceph.health_detail", CephHealth)

# (code, wording) of the summaries ceph writes, most specific first
SUMMARIES: tuple[tuple[str, re.Pattern[str]], ...] = tuple((c, lazy_compile(p, re.I)) for c, p in (
    ("OSD_NEARFULL", r"\d+ nearfull osd\(s\)"),
    ("OSD_BACKFILLFULL", r"\d+ backfillfull osd\(s\)"),
    ("OSD_FULL", r"\d+ full osd\(s\)"),
    ("POOL_NEARFULL", r"pool\(s\) nearfull"),
    ("POOL_BACKFILLFULL", r"pool\(s\) backfillfull"),
    ("POOL_FULL", r"pool\(s\) full"),
    ("OSD_SCRUB_ERRORS", r"\d+ scrub errors?"),
    ("PG_DAMAGED", r"Possible data damage"),
    ("OSD_TOO_MANY_REPAIRS", r"Too many repaired reads"),
    ("PG_AVAILABILITY", r"Reduced data availability"),
    ("PG_DEGRADED", r"Degraded data redundancy(?!.*storage)"),
    ("PG_RECOVERY_FULL", r"Degraded data redundancy \(low space\)"),
    ("AUTH_INSECURE_GLOBAL_ID_RECLAIM_ALLOWED", r"mons? (?:is|are) allowing insecure global_id reclaim"),
    ("AUTH_INSECURE_GLOBAL_ID_RECLAIM", r"(?:client|clients) (?:is|are) using insecure global_id reclaim"),
    ("MON_DISK_CRIT", r"(?:is|are) very low on available space"),
    ("MON_DISK_LOW", r"(?:is|are) low on available space"),
    ("MON_CLOCK_SKEW", r"clock skew detected"),  # also the old `Monitor clock skew detected`
    ("MGR_DOWN", r"no active mgr"),
    ("MON_DOWN", r"\d+/\d+ mons down"),
    ("OSD_HOST_DOWN", r"\d+ hosts? \(\d+ osds\) down"),
    ("OSD_DOWN", r"\d+ osds down"),
    ("SLOW_OPS", r"slow ops, oldest one blocked"),
    ("RECENT_MGR_MODULE_CRASH", r"mgr modules? ha(?:s|ve) recently crashed"),
    ("RECENT_CRASH", r"recently crashed"),
    ("OSD_FLAGS", r"have \{[A-Z,-]+\} flags set"),
    ("OSDMAP_FLAGS", r"flag\(s\) set"),
    ("POOL_NO_REDUNDANCY", r"pool\(s\) have no replicas configured"),
    ("TOO_FEW_OSDS", r"OSD count \d+ < osd_pool_default_size"),
    ("TOO_MANY_PGS", r"too many PGs per OSD"),
    ("TOO_FEW_PGS", r"too few PGs per OSD"),
    ("POOL_TOO_FEW_PGS", r"pools? ha(?:s|ve) too few placement groups"),
    ("POOL_TOO_MANY_PGS", r"pools? ha(?:s|ve) too many placement groups"),
    ("POOL_APP_NOT_ENABLED", r"application not enabled on|do(?:es)? not have an application enabled"),
    ("PG_NOT_DEEP_SCRUBBED", r"pgs not deep-scrubbed in time"),
    ("PG_NOT_SCRUBBED", r"pgs not scrubbed in time"),
    ("BLUEFS_SPILLOVER", r"experiencing BlueFS spillover|BlueFS spillover detected"),
    ("OLD_CRUSH_STRAW_CALC_VERSION", r"crush map has straw_calc_version=0"),
    ("OBJECT_UNFOUND", r"\d+/\d+ objects unfound"),
    ("MDS_ALL_DOWN", r"filesystems? (?:is|are) offline"),
    ("MDS_UP_LESS_THAN_MAX", r"online with fewer MDS than max_mds"),
    ("FS_DEGRADED", r"filesystems? (?:is|are) degraded"),
    ("FS_WITH_FAILED_MDS", r"ha(?:s|ve) a failed mds daemon"),
    ("MDS_DAMAGE", r"MDSs? report damaged metadata"),
    ("MDS_SLOW_METADATA_IO", r"MDSs? report slow metadata IOs"),
))

# `health: HEALTH_WARN` (Luminous on), `health HEALTH_WARN` (before), `HEALTH_WARN a; b` (ceph health)
_STATUS = lazy_compile(r"^(?:health:?\s*)?(?P<s>HEALTH_(?:OK|WARN|ERR))\b\s*(?P<rest>.*)$")
_DETAIL = lazy_compile(r"^(?:\[(?P<sev>WRN|ERR|INF)\]\s+)?(?P<code>[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+):?\s+(?P<summary>\S.*)$")
_KEYED = lazy_compile(r"^\s*[a-z][\w ]*:(\s|$)")  # `services:`, `mon: 3 daemons`: not a wrapped summary
_PGS_FIRST = lazy_compile(r"^\s*pgs:\s+(?P<rest>.*)$")
_PG_STATE = lazy_compile(r"^\s*(?P<n>\d+)\s+(?P<state>[a-z_]+(?:\+[a-z_]+)*)\s*$")
_MGR = lazy_compile(r"^\s*mgr:\s*(?P<v>.*)$")
# `mon: 3 daemons, quorum a,b,c` (Luminous on), `monmap e5: 5 mons at {...}` (before)
_MONS = lazy_compile(r"^\s*(?:mon: (?P<n>\d+) daemons?\b|monmap e\d+: (?P<old>\d+) mons? at\b)")
_SEV = {"WRN": "HEALTH_WARN", "ERR": "HEALTH_ERR", "INF": "HEALTH_OK"}


def code_of(summary: str) -> str:
    """The health-check code a summary's wording names ("" when unknown).

    >>> code_of("1 full osd(s)"), code_of("mons swarm-node00 are low on available space")
    ('OSD_FULL', 'MON_DISK_LOW')
    """
    return next((c for c, rx in SUMMARIES if rx.search(summary)), "")


@parser("ceph.status", "ceph.health_detail")
def parse_ceph_health(text: str) -> Parsed[CephHealth]:
    """Parse `ceph -s`, `ceph health`, `ceph health detail` (text), or their `-f json` forms.

    >>> r = parse_ceph_health("    health: HEALTH_ERR\\n            1 full osd(s)\\n            13 pool(s) full\\n")
    >>> [(c.code, c.summary) for c in r.value.checks], r.value.status
    ([('OSD_FULL', '1 full osd(s)'), ('POOL_FULL', '13 pool(s) full')], 'HEALTH_ERR')
    """
    if text.lstrip().startswith("{"):
        return _parse_json(text)
    return _parse_text(text)


def _add(out: CephHealth, check: HealthCheck) -> None:
    """Keep one check per code (or per summary when the code is unknown): `ceph health` and
    `ceph status` in one paste say the same thing twice; the one with more detail wins."""
    for i, c in enumerate(out.checks):
        same = (c.code and c.code == check.code) or (not c.code and c.summary == check.summary)
        if same:
            if len(check.detail) > len(c.detail) or (check.severity and not c.severity) or (check.code and not c.code):
                out.checks[i] = HealthCheck(check.code or c.code, check.severity or c.severity, check.summary,
                                            check.detail or c.detail, check.count, check.muted, check.line or c.line)
            return
    out.checks.append(check)


def _parse_text(text: str) -> Parsed[CephHealth]:
    out = CephHealth()
    seen = False
    in_health = False  # inside `health:` of ceph -s: the indented lines below are summaries
    health_indent = 0
    detail_of: HealthCheck | None = None
    detail: list[str] = []
    in_pgs = False

    def flush() -> None:
        nonlocal detail_of, detail
        if detail_of is not None:
            _add(out, HealthCheck(detail_of.code, detail_of.severity, detail_of.summary, tuple(detail),
                                  None, False, detail_of.line))
        detail_of, detail = None, []

    lines = text.splitlines()
    for no, raw in enumerate(lines, 1):
        line = raw.rstrip()
        s = line.strip()
        indent = len(line) - len(line.lstrip())
        if not s:
            in_health = in_pgs = False
            continue
        if in_health and indent > health_indent and not s.endswith(":"):
            _add(out, HealthCheck(code_of(s), "", s, line=no))
            continue
        if in_health and out.checks and not _KEYED.match(line):
            # a summary wrapped by the terminal it was copied from (`89 pgs un` / `dersized`)
            last = out.checks.pop()
            summary = last.summary + s
            out.checks.append(HealthCheck(last.code or code_of(summary), last.severity, summary, line=last.line))
            continue
        in_health = False
        m = _STATUS.match(s)
        if m:
            flush()
            seen = True
            if not out.status:
                out.status, out.status_line = m.group("s"), no
            if s.startswith("health"):
                in_health, health_indent = True, indent
            for summary in filter(None, (x.strip() for x in m.group("rest").split("; "))):
                _add(out, HealthCheck(code_of(summary), m.group("s") if m.group("s") != "HEALTH_OK" else "",
                                      summary, line=no))
            continue
        m = _DETAIL.match(s)
        if m and indent == 0 and (m.group("sev") or code_of(m.group("summary")) == m.group("code")
                                  or m.group("code").isupper()):
            flush()
            seen = True
            sev = _SEV.get(m.group("sev") or "", "")
            detail_of = HealthCheck(m.group("code"), sev, m.group("summary").strip(), line=no)
            continue
        if detail_of is not None and indent > 0:
            detail.append(s)
            continue
        flush()
        m = _MONS.match(line)
        if m:
            out.num_mons, out.mons_line = int(m.group("n") or m.group("old")), no
            continue
        m = _MGR.match(line)
        if m:
            v = m.group("v")
            out.mgr_line = no
            out.mgr_available = not (v.startswith("no daemons active") or "active" not in v)
            continue
        m = _PGS_FIRST.match(line)
        if m:
            seen = True
            out.pgs_line = no
            in_pgs = True
            first = _PG_STATE.match(m.group("rest"))
            if first:
                out.pgs_by_state[first.group("state")] = out.pgs_by_state.get(first.group("state"), 0) + int(first.group("n"))
            continue
        if in_pgs:
            m2 = _PG_STATE.match(line)
            if m2:
                out.pgs_by_state[m2.group("state")] = out.pgs_by_state.get(m2.group("state"), 0) + int(m2.group("n"))
                continue
            if s.endswith(":"):
                in_pgs = False
    flush()
    if not seen:
        return Parsed(None, [ParseProblem("no HEALTH_OK/WARN/ERR status, health check or pgs line: not ceph health or status")])
    m = re.search(r"^\s*pools:\s+\d+ pools?, (\d+) pgs", text, re.M)
    if m:
        out.num_pgs = int(m.group(1))
    return Parsed(out, [])


def _parse_json(text: str) -> Parsed[CephHealth]:
    try:
        doc = json.loads(text)
    except ValueError as e:
        return Parsed(None, [ParseProblem(f"not JSON: {e}")])
    if not isinstance(doc, dict):
        return Parsed(None, [ParseProblem("JSON that is not an object: not ceph status or health")])
    out = CephHealth()
    health = doc.get("health") if isinstance(doc.get("health"), dict) else doc
    status = health.get("status") or health.get("overall_status")
    if isinstance(status, str):
        out.status = status
    checks = health.get("checks")
    for code, c in (checks.items() if isinstance(checks, dict) else []):
        if not isinstance(c, dict):
            continue
        summ = c.get("summary")
        # Luminous's first form put "message" and plain-string detail on the check itself
        message = summ.get("message") if isinstance(summ, dict) else c.get("message")
        count = summ.get("count") if isinstance(summ, dict) else None
        det = c.get("detail") if isinstance(c.get("detail"), list) else []
        lines = tuple(str(d.get("message")) if isinstance(d, dict) else str(d) for d in det)
        out.checks.append(HealthCheck(str(code), str(c.get("severity") or ""), str(message or ""), lines,
                                      int_value(count),
                                      c.get("muted") is True))
    pgmap = doc.get("pgmap")
    if isinstance(pgmap, dict):
        for st in pgmap.get("pgs_by_state") or []:
            if isinstance(st, dict) and isinstance(st.get("state_name"), str) and isinstance(st.get("count"), int):
                out.pgs_by_state[st["state_name"]] = st["count"]
        if isinstance(pgmap.get("num_pgs"), int):
            out.num_pgs = pgmap["num_pgs"]
    monmap = doc.get("monmap")
    if isinstance(monmap, dict):
        n = monmap.get("num_mons")
        mons = monmap.get("mons")
        if isinstance(n, int) and not isinstance(n, bool):
            out.num_mons = n
        elif isinstance(mons, list):  # before Octopus the status carried the whole monmap
            out.num_mons = len(mons)
    mgrmap = doc.get("mgrmap")
    if isinstance(mgrmap, dict) and isinstance(mgrmap.get("available"), bool):
        out.mgr_available = mgrmap["available"]
    if not out.status and not out.checks and not out.pgs_by_state:
        return Parsed(None, [ParseProblem("JSON without health status, checks or pgmap: not ceph status or health")])
    return Parsed(out, [])
