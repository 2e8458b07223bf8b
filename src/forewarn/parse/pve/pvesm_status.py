"""`pvesm status`: every storage of this node, its type and whether it is active.

    Name             Type     Status           Total            Used       Available        %
    local             dir     active        98559220        12345678        81181542   12.53%
    backup            nfs   inactive               0               0               0    0.00%

PVE 9 writes the sizes' unit into the header (`Total (KiB)`). Storages that cannot be reached
also make pvesm print messages (to stderr, which a collector may keep in the same text), such as
`storage 'backup' is not online` or `mount error: mount.nfs: Connection timed out`; those are
evidence, kept with their line numbers, not junk.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from forewarn.model.keys import Key
from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser
from forewarn.parse._text import lazy_compile

STATUSES = ("active", "inactive", "disabled", "unknown")

_HEADER = lazy_compile(r"^\s*Name\s+Type\s+Status\s+Total\b")
_ROW = lazy_compile(r"^\s*(?P<name>[A-Za-z][\w\-.]*)\s+(?P<type>[a-z][\w\-]*)\s+(?P<status>[a-z]+)\s+"
                    r"(?P<total>-?\d+)\s+(?P<used>-?\d+)\s+(?P<avail>-?\d+)\s+(?P<pct>-?[\d.]+)%?\s*$")
# Messages pvesm (or a storage plugin) prints around the table.
_MESSAGES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("not_online", lazy_compile(r"storage '(?P<storage>[^']+)' is not online")),
    ("mount_error", lazy_compile(r"^\s*(?:\S+:\s+)?mount error: (?P<msg>.*?)\s*$")),
    ("activate_error", lazy_compile(r"could not activate storage '(?P<storage>[^']+)',?\s*(?P<msg>.*?)\s*$")),
    ("timeout", lazy_compile(r"\bgot timeout\b")),
    ("command_failed", lazy_compile(r"command '.*' failed: (?P<msg>.*?)\s*$")),
    ("zfs_error", lazy_compile(r"zfs error: (?P<msg>.*?)\s*$")),
    ("skip_section", lazy_compile(r"file (?P<file>\S+) line \d+ \(skip section '(?P<storage>[^']+)'\): (?P<msg>.*?)\s*$")),
    ("plugin_warning", lazy_compile(r"^Plugin \"[^\"]+\" is implementing an older storage API")),
    ("error", lazy_compile(r"^\s*(?:\S+:\s+)?(?:error|unable to|failed)\b.*", re.I)),
)


@dataclass(frozen=True, slots=True)
class StorageStatus:
    name: str
    type: str
    status: str  # active | inactive | disabled | unknown (as printed)
    total: int | None  # in the unit of the header (KiB for every known version)
    used: int | None
    available: int | None
    percent: float | None
    line: int

    @property
    def active(self) -> bool:
        return self.status == "active"


@dataclass(frozen=True, slots=True)
class PvesmMessage:
    kind: str  # not_online | mount_error | activate_error | timeout | ... | error
    text: str
    line: int
    storage: str | None = None


@dataclass(slots=True)
class PvesmStatus:
    storages: list[StorageStatus]
    messages: list[PvesmMessage] = field(default_factory=list)
    unit: str = "KiB"
    header_line: int | None = None

    def get(self, name: str) -> StorageStatus | None:
        return next((s for s in self.storages if s.name == name), None)

    def messages_for(self, name: str) -> list[PvesmMessage]:
        return [m for m in self.messages if m.storage == name]


def _num(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


# the API's storage rows (parse/pve/api_storage_status.py) give the same PvesmStatus
PVESM_STATUS = Key("pve.pvesm_status", PvesmStatus, alternatives=("pve.api_storage_status",))


@parser("pve.pvesm_status")
def parse_pvesm_status(text: str) -> Parsed[PvesmStatus]:
    """Parse `pvesm status` (its table and the messages printed around it).

    >>> r = parse_pvesm_status(
    ...     "storage 'backup' is not online\\n"
    ...     "Name             Type     Status           Total            Used       Available        %\\n"
    ...     "backup            nfs   inactive               0               0               0    0.00%\\n")
    >>> s = r.value.storages[0]
    >>> (s.name, s.type, s.status, s.line, r.value.messages[0].storage, r.problems)
    ('backup', 'nfs', 'inactive', 3, 'backup', [])
    """
    storages: list[StorageStatus] = []
    messages: list[PvesmMessage] = []
    problems: list[ParseProblem] = []
    unit = "KiB"
    header: int | None = None
    for no, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#") or re.match(r"^\S+@\S+[:~ ].*[#$]\s*pvesm\b", line) or line.startswith("pvesm "):
            continue  # blank, comment or the prompt line of a paste
        if _HEADER.match(raw):
            header = header or no
            m = re.search(r"Total \(([^)]+)\)", raw)
            if m:
                unit = m.group(1)
            continue
        m = _ROW.match(raw)
        if m:
            pct = m.group("pct")
            try:
                percent: float | None = float(pct)
            except ValueError:
                percent = None
            storages.append(StorageStatus(m.group("name"), m.group("type"), m.group("status"),
                                          _num(m.group("total")), _num(m.group("used")),
                                          _num(m.group("avail")), percent, no))
            if m.group("status") not in STATUSES:
                problems.append(ParseProblem(f"unknown storage status {m.group('status')!r}", no, raw))
            continue
        for kind, rx in _MESSAGES:
            mm = rx.search(line)
            if mm:
                storage = mm.groupdict().get("storage")
                messages.append(PvesmMessage(kind, line, no, storage))
                break
        else:
            problems.append(ParseProblem("not a `pvesm status` row or message", no, raw))
    if not storages and not messages:
        if header is not None:  # a header and nothing else: no storage on this node
            return Parsed(PvesmStatus([], [], unit, header), problems)
        problems.insert(0, ParseProblem("no `pvesm status` table found"))
        return Parsed(None, problems)
    # `storage 'x' is not online` often comes without the storage's own row; attach the rest by name
    return Parsed(PvesmStatus(storages, messages, unit, header), problems)
