"""`pvesr status`: the state of the storage-replication jobs whose source is this node.

    JobID      Enabled    Target                           LastSync             NextSync   Duration  FailCount State
    100-0      Yes        local/pve1            2024-12-18_06:00:00  2024-12-19_06:00:00  13.768198          0 OK

pve-guest-common prints it with `%-10s %-10s %-20s %20s %20s %10s %10s %s` (PVE/CLI/pvesr.pm):
JobID is `<vmid>-<n>`; Target is `local/<node>`; LastSync is `-` or `YYYY-MM-DD_HH:MM:SS`;
NextSync is a time, `pending` or `-`; Duration is seconds or `-`; State is `OK`, `SYNCING` or
the job's last error text, which may contain spaces. Only jobs whose source is this node are
listed, so a cluster needs the output of every node.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from forewarn.model.keys import Key
from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser
from forewarn.parse._text import lazy_compile

_HEADER = lazy_compile(r"^\s*JobID\s+Enabled\s+Target\s+LastSync\s+NextSync\s+Duration\s+FailCount\s+State\s*$")
_ROW = lazy_compile(
    r"^\s*(?P<id>(?P<guest>\d+)-(?P<num>\d+))\s+(?P<enabled>Yes|No)\s+(?P<target>\S+)\s+"
    r"(?P<last>\S+)\s+(?P<next>\S+)\s+(?P<duration>\S+)\s+(?P<fail>\d+)\s+(?P<state>\S.*?)\s*$")
_PROMPT = lazy_compile(r"^(\S+@\S+[:~#$\s].*?)?[#$]\s*pvesr\b")


@dataclass(frozen=True, slots=True)
class ReplicationJob:
    """One row of `pvesr status`."""

    id: str  # "100-0"
    guest: int  # 100
    job_num: int  # 0
    enabled: bool
    target: str  # as printed: "local/pve1"
    target_node: str  # "pve1"
    last_sync: str | None  # "2024-12-18_06:00:00"; None for "-" (never synced)
    next_sync: str | None  # a time, "pending"; None for "-"
    duration: float | None  # seconds of the last run
    fail_count: int
    state: str  # "OK", "SYNCING" or the error text
    line: int

    @property
    def ok(self) -> bool:
        return self.state == "OK" and self.fail_count == 0

    @property
    def syncing(self) -> bool:
        return self.state == "SYNCING"

    @property
    def failing(self) -> bool:
        return self.fail_count > 0 or self.state not in ("OK", "SYNCING")


@dataclass(slots=True)
class PvesrStatus:
    jobs: list[ReplicationJob] = field(default_factory=list)
    header_line: int | None = None

    def job(self, job_id: str) -> ReplicationJob | None:
        return next((j for j in self.jobs if j.id == job_id), None)

    def for_guest(self, vmid: int) -> list[ReplicationJob]:
        return [j for j in self.jobs if j.guest == vmid]


def _dash(v: str) -> str | None:
    return None if v == "-" else v


def _float(v: str) -> float | None:
    try:
        return float(v)
    except ValueError:
        return None


PVESR_STATUS = Key("pve.pvesr_status", PvesrStatus, alternatives=("pve.api_replication_status",))


@parser("pve.pvesr_status")
def parse_pvesr_status(text: str) -> Parsed[PvesrStatus]:
    """Parse `pvesr status`.

    >>> r = parse_pvesr_status(
    ...  "JobID      Enabled    Target                           LastSync             NextSync   Duration  FailCount State\\n"
    ...  "100-0      Yes        local/pve2            2025-12-27_21:11:16  2025-12-27_21:15:00   3.554485          0 OK\\n"
    ...  "101-1      Yes        local/pve3                              -              pending          -          3 "
    ...  "command 'zfs snapshot rpool/data/vm-101-disk-0@__replicate_101-1_1700000000__' failed: exit code 1\\n")
    >>> [(j.id, j.guest, j.target_node, j.last_sync, j.duration, j.fail_count, j.failing) for j in r.value.jobs]
    [('100-0', 100, 'pve2', '2025-12-27_21:11:16', 3.554485, 0, False), ('101-1', 101, 'pve3', None, None, 3, True)]
    >>> r.value.jobs[1].state[:22], r.problems
    ("command 'zfs snapshot ", [])
    """
    problems: list[ParseProblem] = []
    st = PvesrStatus()
    seen_any = False
    for no, raw in enumerate(text.splitlines(), 1):
        if not raw.strip() or _PROMPT.match(raw.strip()):
            continue
        if _HEADER.match(raw):
            st.header_line = st.header_line or no
            seen_any = True
            continue
        m = _ROW.match(raw)
        if not m:
            problems.append(ParseProblem("not a `pvesr status` row", no, raw))
            continue
        seen_any = True
        target = m.group("target")
        st.jobs.append(ReplicationJob(
            id=m.group("id"), guest=int(m.group("guest")), job_num=int(m.group("num")),
            enabled=m.group("enabled") == "Yes", target=target,
            target_node=target.split("/", 1)[1] if "/" in target else target,
            last_sync=_dash(m.group("last")), next_sync=_dash(m.group("next")),
            duration=_float(m.group("duration")), fail_count=int(m.group("fail")),
            state=m.group("state"), line=no))
    if not seen_any:
        if not text.strip():
            # the header is printed even without jobs: an empty capture says nothing
            return Parsed(None, [ParseProblem("empty output (no header, no job)")])
        problems.insert(0, ParseProblem("no `pvesr status` header or job row"))
        return Parsed(None, problems)
    return Parsed(st, problems)
