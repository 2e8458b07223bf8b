"""ZFS as Proxmox uses it: snapshots (for replication), zvol sizes, and pool layouts.

- `zfs list -H -p -t snapshot -o name,guid,creation` (pve.zfs_snapshots): tab-separated, exact
  numbers. Pasted `zfs list -t snapshot` tables (NAME USED AVAIL REFER MOUNTPOINT) give names only.
- `zfs get -H -p -t volume -o name,property,value volblocksize,used,logicalused,refreservation`
  (pve.zfs_volumes). Pasted `zfs get` / `zfs get all` tables with human sizes (`20.3G`, `8K`) are
  read too; sizes become bytes.
- `zpool status` (pve.zpool_status): parsed in zpool.py (re-exported here).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from forewarn.model.keys import Key
from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser
from forewarn.parse._text import lazy_compile, to_int

_REPLICATE = lazy_compile(r"^__replicate_(?P<job>\d+-\d+)_(?P<ts>\d+)__$")
_SIZE = lazy_compile(r"^(?P<num>\d+(?:[.,]\d+)?)(?P<unit>[BKMGTPE]?)(?:i?B)?$", re.I)
_UNITS = {"": 1, "B": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40, "P": 1 << 50, "E": 1 << 60}


def size_bytes(value: str | None) -> int | None:
    """`8K` -> 8192, `20.3G` -> 21797...; `-`/`none` -> None; exact numbers stay as they are."""
    if value is None:
        return None
    v = value.strip()
    if v in ("-", "none", ""):
        return None
    m = _SIZE.match(v)
    if not m:
        return None
    num = float(m.group("num").replace(",", "."))
    return int(round(num * _UNITS[m.group("unit").upper()]))


# -- snapshots --------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Snapshot:
    dataset: str  # rpool/data/vm-100-disk-0
    name: str  # __replicate_100-0_1703571544__
    guid: str | None
    creation: int | None  # seconds since the epoch (-p)
    line: int

    @property
    def full(self) -> str:
        return f"{self.dataset}@{self.name}"

    @property
    def replication_job(self) -> str | None:
        """`100-0` for a Proxmox replication snapshot, else None."""
        m = _REPLICATE.match(self.name)
        return m.group("job") if m else None

    @property
    def replication_time(self) -> int | None:
        m = _REPLICATE.match(self.name)
        return int(m.group("ts")) if m else None


@dataclass(slots=True)
class ZfsSnapshots:
    snapshots: list[Snapshot]

    def of(self, dataset: str) -> list[Snapshot]:
        return [s for s in self.snapshots if s.dataset == dataset]

    def replication(self, job: str | None = None) -> list[Snapshot]:
        return [s for s in self.snapshots if s.replication_job and (job is None or s.replication_job == job)]


ZFS_SNAPSHOTS = Key("pve.zfs_snapshots", ZfsSnapshots)


@parser("pve.zfs_snapshots")
def parse_zfs_snapshots(text: str) -> Parsed[ZfsSnapshots]:
    """Parse `zfs list -H -p -t snapshot -o name,guid,creation`.

    >>> r = parse_zfs_snapshots("rpool/data/vm-100-disk-0@__replicate_100-0_1703571544__\\t"
    ...                         "1234567890123\\t1703571546\\n")
    >>> s = r.value.snapshots[0]
    >>> (s.dataset, s.replication_job, s.replication_time, s.guid, s.creation)
    ('rpool/data/vm-100-disk-0', '100-0', 1703571544, '1234567890123', 1703571546)
    """
    snaps: list[Snapshot] = []
    problems: list[ParseProblem] = []
    empty_answer = False
    for no, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        if line == "no datasets available":
            empty_answer = True
            continue
        if re.match(r"^NAME\s+", line):
            continue  # header of a pasted table
        parts = raw.split("\t") if "\t" in raw else line.split()
        parts = [p.strip() for p in parts]
        name = parts[0]
        if "@" not in name or name.startswith("@") or name.endswith("@"):
            problems.append(ParseProblem("not a snapshot line (dataset@snapshot ...)", no, raw))
            continue
        dataset, _, snap = name.partition("@")
        guid = creation = None
        if len(parts) >= 3 and parts[1].isdigit():
            guid = parts[1]
            creation = to_int(parts[2], signed=False)
        snaps.append(Snapshot(dataset, snap, guid, creation, no))
    if not snaps and not empty_answer:
        problems.insert(0, ParseProblem("no snapshots found"))
        return Parsed(ZfsSnapshots([]) if not text.strip() else None, problems)
    return Parsed(ZfsSnapshots(snaps), problems)


# -- zvols ------------------------------------------------------------------------------------
_VOLUME_PROPS = ("volblocksize", "used", "logicalused", "refreservation", "volsize", "referenced",
                 "logicalreferenced", "usedbydataset", "usedbysnapshots", "usedbyrefreservation")


@dataclass(slots=True)
class Zvol:
    name: str
    props: dict[str, str] = field(default_factory=dict)  # property -> value as printed
    lines: dict[str, int] = field(default_factory=dict)

    def bytes(self, prop: str) -> int | None:
        return size_bytes(self.props.get(prop))

    @property
    def volblocksize(self) -> int | None:
        return self.bytes("volblocksize")

    @property
    def used(self) -> int | None:
        return self.bytes("used")

    @property
    def logicalused(self) -> int | None:
        return self.bytes("logicalused")

    @property
    def refreservation(self) -> int | None:
        return self.bytes("refreservation")

    @property
    def pool(self) -> str:
        return self.name.split("/", 1)[0]

    @property
    def is_volume(self) -> bool:
        return self.props.get("type", "volume") == "volume" and "volblocksize" in self.props


@dataclass(slots=True)
class ZfsVolumes:
    volumes: list[Zvol]

    def get(self, name: str) -> Zvol | None:
        return next((v for v in self.volumes if v.name == name), None)


ZFS_VOLUMES = Key("pve.zfs_volumes", ZfsVolumes)


@parser("pve.zfs_volumes")
def parse_zfs_volumes(text: str) -> Parsed[ZfsVolumes]:
    """Parse `zfs get -H -p -o name,property,value volblocksize,used,logicalused,refreservation`
    (or a pasted `zfs get` table).

    >>> r = parse_zfs_volumes("rpool/data/vm-100-disk-0\\tvolblocksize\\t8192\\n"
    ...                       "rpool/data/vm-100-disk-0\\tused\\t20.3G\\n")
    >>> v = r.value.volumes[0]
    >>> (v.name, v.volblocksize, v.used, v.lines)
    ('rpool/data/vm-100-disk-0', 8192, 21796959027, {'volblocksize': 1, 'used': 2})
    """
    vols: dict[str, Zvol] = {}
    problems: list[ParseProblem] = []
    has_source = True  # `zfs get` prints a SOURCE column unless `-o` leaves it out
    for no, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        if re.match(r"^NAME\s+PROPERTY\s+VALUE", line):
            has_source = "SOURCE" in line
            continue
        if "\t" in raw:
            parts = [p.strip() for p in raw.strip("\n").split("\t")]
            tokens = parts[2:3]
        else:
            # human table: NAME PROPERTY VALUE SOURCE; a value may contain spaces (creation
            # dates) and a source may be `inherited from <dataset>`
            parts = line.split()
            tokens = parts[2:]
            if len(tokens) >= 4 and tokens[-3:-1] == ["inherited", "from"]:
                tokens = tokens[:-3]
            elif has_source and len(tokens) >= 2:
                tokens = tokens[:-1]
        if len(parts) < 3 or not tokens or not re.match(r"^[A-Za-z0-9][\w\-.:/]*$", parts[0]) or \
                not re.match(r"^[a-z][\w:.\-@]*$", parts[1]):
            problems.append(ParseProblem("not a `name property value` line", no, raw))
            continue
        name, prop, value = parts[0], parts[1], " ".join(tokens)
        vol = vols.setdefault(name, Zvol(name))
        vol.props.setdefault(prop, value)
        vol.lines.setdefault(prop, no)
    if not vols:
        problems.insert(0, ParseProblem("no zvol properties found"))
        return Parsed(ZfsVolumes([]) if not text.strip() else None, problems)
    return Parsed(ZfsVolumes(list(vols.values())), problems)


# -- pools: `zpool status` lives in zpool.py; these names stay importable from here -----------
from forewarn.parse.pve.zpool_status import (  # noqa: E402,F401
    ZPOOL_STATUS, Member, Pool, Vdev, ZpoolStatus, parse_zpool_status,
)
