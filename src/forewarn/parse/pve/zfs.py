"""ZFS as Proxmox uses it: snapshots (for replication), zvol sizes, and pool layouts.

- `zfs list -H -p -t snapshot -o name,guid,creation` (pve.zfs_snapshots): tab-separated, exact
  numbers. Pasted `zfs list -t snapshot` tables (NAME USED AVAIL REFER MOUNTPOINT) give names only.
- `zfs get -H -p -t volume -o name,property,value volblocksize,used,logicalused,refreservation`
  (pve.zfs_volumes). Pasted `zfs get` / `zfs get all` tables with human sizes (`20.3G`, `8K`) are
  read too; sizes become bytes.
- `zpool status -P` (pve.zpool_status): each pool, its state and its vdev tree (raidz1/2/3,
  mirror, draid, or plain disks), by indentation. `no pools available` is a valid, empty answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from forewarn.model.keys import Key
from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser

_REPLICATE = re.compile(r"^__replicate_(?P<job>\d+-\d+)_(?P<ts>\d+)__$")
_SIZE = re.compile(r"^(?P<num>\d+(?:[.,]\d+)?)(?P<unit>[BKMGTPE]?)(?:i?B)?$", re.I)
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
            creation = int(parts[2]) if parts[2].isdigit() else None
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


# -- pools ------------------------------------------------------------------------------------
_GROUP = re.compile(r"^(?P<kind>raidz[123]?|mirror|draid[123]?|replacing|spare|indirect)(?:[-:].*)?$")
_CLASSES = ("logs", "cache", "spares", "special", "dedup")
_DEV_LINE = re.compile(r"^(?P<indent>\s*)(?P<name>\S+)(?:\s+(?P<state>[A-Z]+)(?:\s+(?P<rest>.*))?)?\s*$")


@dataclass(slots=True)
class Vdev:
    name: str
    kind: str  # raidz1 | raidz2 | raidz3 | mirror | draid1.. | disk | replacing | spare
    state: str | None
    line: int
    devices: list[str] = field(default_factory=list)
    vclass: str = "data"  # data | logs | cache | spares | special | dedup


@dataclass(slots=True)
class Pool:
    name: str
    state: str | None
    line: int
    vdevs: list[Vdev] = field(default_factory=list)
    state_line: int | None = None
    status: str = ""
    errors: str | None = None

    @property
    def data_vdevs(self) -> list[Vdev]:
        return [v for v in self.vdevs if v.vclass == "data"]

    @property
    def layout(self) -> str:
        """`raidz2`, `mirror`, `disk` (a stripe of plain disks), or `raidz1+mirror` when mixed."""
        kinds = sorted({v.kind for v in self.data_vdevs})
        return "+".join(kinds) if kinds else "unknown"

    @property
    def is_raidz(self) -> bool:
        return any(v.kind.startswith(("raidz", "draid")) for v in self.data_vdevs)


@dataclass(slots=True)
class ZpoolStatus:
    pools: list[Pool]
    no_pools: bool = False  # the command said `no pools available`
    no_pools_line: int | None = None

    def get(self, name: str) -> Pool | None:
        return next((p for p in self.pools if p.name == name), None)

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.pools]


def _kind(name: str) -> str:
    m = _GROUP.match(name)
    if not m:
        return "disk"
    k = m.group("kind")
    return {"raidz": "raidz1", "draid": "draid1"}.get(k, k)


ZPOOL_STATUS = Key("pve.zpool_status", ZpoolStatus)


@parser("pve.zpool_status")
def parse_zpool_status(text: str) -> Parsed[ZpoolStatus]:
    """Parse `zpool status -P`.

    >>> out = ("  pool: tank\\n state: ONLINE\\nconfig:\\n\\n"
    ...        "\\tNAME        STATE     READ WRITE CKSUM\\n\\ttank        ONLINE       0     0     0\\n"
    ...        "\\t  raidz2-0  ONLINE       0     0     0\\n\\t    /dev/sda1  ONLINE   0 0 0\\n"
    ...        "\\t    /dev/sdb1  ONLINE   0 0 0\\n\\nerrors: No known data errors\\n")
    >>> p = parse_zpool_status(out).value.pools[0]
    >>> (p.name, p.state, p.layout, p.is_raidz, p.vdevs[0].devices, p.errors)
    ('tank', 'ONLINE', 'raidz2', True, ['/dev/sda1', '/dev/sdb1'], 'No known data errors')
    """
    pools: list[Pool] = []
    problems: list[ParseProblem] = []
    cur: Pool | None = None
    in_config = False
    pool_indent: int | None = None
    vclass = "data"
    group: Vdev | None = None
    group_indent = -1
    no_pools_line: int | None = None
    last_key: str | None = None
    pending_config = False
    for no, raw in enumerate(text.splitlines(), 1):
        expanded = raw.expandtabs(8)
        line = expanded.strip()
        if not line:
            continue
        if line == "no pools available":
            no_pools_line = no
            continue
        m = re.match(r"^(pool|state|status|action|see|scan|remove|config|errors):\s*(.*)$", line)
        if m and not (in_config and m.group(1) not in ("errors", "pool")):
            key, value = m.group(1), m.group(2)
            last_key = key
            if key == "pool":
                cur = Pool(value, None, no)
                pools.append(cur)
                in_config, pool_indent, vclass, group = False, None, "data", None
            elif cur is None:
                problems.append(ParseProblem(f"`{key}:` before any `pool:` line", no, raw))
            elif key == "state":
                cur.state, cur.state_line = value or None, no
            elif key == "status":
                cur.status = value
            elif key == "config":
                in_config = True
            elif key == "errors":
                cur.errors = value
                in_config = False
            continue
        if cur is None and re.match(r"^NAME\s+STATE\s+READ\s+WRITE\s+CKSUM", line):
            # a pasted config section without its `pool:` lines: the next line names the pool
            pending_config = True
            continue
        if cur is None and pending_config:
            dm = _DEV_LINE.match(expanded)
            if dm:
                cur = Pool(dm.group("name"), dm.group("state"), no)
                pools.append(cur)
                in_config, pool_indent, vclass, group = True, len(dm.group("indent")), "data", None
                continue
        if cur is None:
            problems.append(ParseProblem("not part of a `zpool status` pool", no, raw))
            continue
        if not in_config:
            if last_key in ("status", "action", "scan", "see") and expanded[:1].isspace():
                if last_key == "status":
                    cur.status = (cur.status + " " + line).strip()
                continue  # continuation of a multi-line field
            problems.append(ParseProblem("unexpected line outside the config section", no, raw))
            continue
        dm = _DEV_LINE.match(expanded)
        if not dm:
            problems.append(ParseProblem("not a vdev line", no, raw))
            continue
        name, indent = dm.group("name"), len(dm.group("indent"))
        if name == "NAME":
            continue
        if pool_indent is None:
            if name != cur.name:
                problems.append(ParseProblem(f"expected the pool's own line ({cur.name})", no, raw))
            pool_indent = indent
            if dm.group("state") and cur.state is None:
                cur.state = dm.group("state")
            continue
        if indent <= pool_indent:
            if name in _CLASSES:
                vclass, group = name, None
            else:
                problems.append(ParseProblem("vdev line at the pool's indentation", no, raw))
            continue
        if group is not None and indent > group_indent:
            group.devices.append(name)
            continue
        kind = _kind(name)
        v = Vdev(name, kind, dm.group("state"), no, vclass=vclass)
        cur.vdevs.append(v)
        if kind != "disk":
            group, group_indent = v, indent
        else:
            v.devices.append(name)
            group = None
    if not pools and no_pools_line is None:
        problems.insert(0, ParseProblem("no pool found"))
        return Parsed(None, problems)
    return Parsed(ZpoolStatus(pools, no_pools=no_pools_line is not None and not pools,
                              no_pools_line=no_pools_line), problems)
