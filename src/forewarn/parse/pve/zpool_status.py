"""`zpool status` (pve.zpool_status): each pool, its state, its messages and its vdev tree.

Read from `zpool status -P` (the spec), plain `zpool status`, `zpool status -x` (only the pools
with a problem, or `all pools are healthy`) and `-v` (the files with permanent errors). The tree
is read by indentation: raidz1/2/3, mirror, draid, or plain disks, and the classes (logs, cache,
spares, special, dedup). Every line of the tree is also kept as a `Member` with its state, its
READ/WRITE/CKSUM counters and the note after them (`too many errors`, `was /dev/sdb1`), so rules
can name the disk. `no pools available` is a valid, empty answer.

The `status:`, `action:` and `see:` texts are OpenZFS's own (cmd/zpool/zpool_main.c); `see:` ends
in the message id (ZFS-8000-9P, ZFS-8000-EY, ...), which rules use instead of the wording.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from forewarn.model.keys import Key
from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser
from forewarn.parse._text import lazy_compile

_GROUP = lazy_compile(r"^(?P<kind>raidz[123]?|mirror|draid[123]?|replacing|spare|indirect)(?:[-:].*)?$")
_CLASSES = ("logs", "cache", "spares", "special", "dedup")
_DEV_LINE = lazy_compile(r"^(?P<indent>\s*)(?P<name>\S+)(?:\s+(?P<state>[A-Z]+)(?:\s+(?P<rest>.*))?)?\s*$")
_COUNT = lazy_compile(r"^(?P<num>\d+(?:\.\d+)?)(?P<unit>[KMGTPE]?)$")
_MSG_ID = lazy_compile(r"\b(ZFS-8000-[0-9A-Z]{2})\b")
_HEALTHY_X = lazy_compile(r"^(?:all pools are healthy|pool '(?P<pool>[^']+)' is healthy)$")
_FIELD = lazy_compile(r"^(pool|state|status|action|see|scan|remove|config|errors):\s*(.*)$")
_UNITS = {"": 1, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15, "E": 10**18}


def count(value: str | None) -> int | None:
    """An error counter as zpool prints it: `0`, `126`, `1.30K` (rounded) -> int; else None."""
    m = _COUNT.match(value or "")
    if not m:
        return None
    return int(round(float(m.group("num")) * _UNITS[m.group("unit")]))


@dataclass(slots=True)
class Vdev:
    name: str
    kind: str  # raidz1 | raidz2 | raidz3 | mirror | draid1.. | disk | replacing | spare
    state: str | None
    line: int
    devices: list[str] = field(default_factory=list)
    vclass: str = "data"  # data | logs | cache | spares | special | dedup


@dataclass(slots=True)
class Member:
    """One line of the config tree below the pool: a group (raidz1-0, mirror-1) or a device."""

    name: str
    kind: str  # as Vdev.kind; `disk` for a device
    state: str | None  # ONLINE DEGRADED FAULTED UNAVAIL OFFLINE REMOVED AVAIL INUSE (spares) ...
    read: int | None
    write: int | None
    cksum: int | None
    note: str  # what follows the counters: `too many errors`, `was /dev/sdb1`, `(resilvering)`
    line: int
    vclass: str = "data"
    parent: str | None = None  # the group it belongs to (None: directly under the pool or class)

    @property
    def errors(self) -> int:
        return sum(c for c in (self.read, self.write, self.cksum) if c)


@dataclass(slots=True)
class Pool:
    name: str
    state: str | None
    line: int
    vdevs: list[Vdev] = field(default_factory=list)
    state_line: int | None = None
    status: str = ""
    errors: str | None = None
    status_line: int | None = None
    action: str = ""
    see: str | None = None
    see_line: int | None = None
    scan: str | None = None
    scan_line: int | None = None
    errors_line: int | None = None
    error_files: list[str] = field(default_factory=list)  # `zpool status -v`: files with permanent errors
    members: list[Member] = field(default_factory=list)
    root: Member | None = None  # the pool's own line of the tree (its state and counters)

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

    @property
    def msg_id(self) -> str | None:
        """The OpenZFS message id of the `see:` line (`ZFS-8000-9P`), if any."""
        m = _MSG_ID.search(self.see or "")
        return m.group(1) if m else None

    @property
    def devices(self) -> list[Member]:
        return [m for m in self.members if m.kind == "disk"]

    @property
    def permanent_errors(self) -> bool:
        """`errors: Permanent errors have been detected ...` or `errors: N data errors, ...`."""
        e = (self.errors or "").lower()
        return "permanent errors" in e or bool(re.match(r"^\d+ data errors", e))


@dataclass(slots=True)
class ZpoolStatus:
    pools: list[Pool]
    no_pools: bool = False  # the command said `no pools available`
    no_pools_line: int | None = None
    all_healthy_line: int | None = None  # `zpool status -x`: `all pools are healthy`

    def get(self, name: str) -> Pool | None:
        return next((p for p in self.pools if p.name == name), None)

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.pools]


ZPOOL_STATUS = Key("pve.zpool_status", ZpoolStatus)


def _kind(name: str) -> str:
    m = _GROUP.match(name)
    if not m:
        return "disk"
    k = m.group("kind")
    return {"raidz": "raidz1", "draid": "draid1"}.get(k, k)


def _member(name: str, kind: str, state: str | None, rest: str | None, no: int, vclass: str,
            parent: str | None) -> Member:
    toks = (rest or "").split()
    counts = [count(t) for t in toks[:3]]
    if len(toks) >= 3 and all(c is not None for c in counts):
        return Member(name, kind, state, counts[0], counts[1], counts[2], " ".join(toks[3:]), no, vclass, parent)
    return Member(name, kind, state, None, None, None, " ".join(toks), no, vclass, parent)


@parser("pve.zpool_status")
def parse_zpool_status(text: str) -> Parsed[ZpoolStatus]:
    """Parse `zpool status [-P] [-x] [-v]`.

    >>> out = ("  pool: tank\\n state: ONLINE\\nconfig:\\n\\n"
    ...        "\\tNAME        STATE     READ WRITE CKSUM\\n\\ttank        ONLINE       0     0     0\\n"
    ...        "\\t  raidz2-0  ONLINE       0     0     0\\n\\t    /dev/sda1  ONLINE   0 0 0\\n"
    ...        "\\t    /dev/sdb1  FAULTED  8 126 0  too many errors\\n\\nerrors: No known data errors\\n")
    >>> p = parse_zpool_status(out).value.pools[0]
    >>> (p.name, p.state, p.layout, p.is_raidz, p.vdevs[0].devices, p.errors)
    ('tank', 'ONLINE', 'raidz2', True, ['/dev/sda1', '/dev/sdb1'], 'No known data errors')
    >>> d = p.members[-1]
    >>> (d.name, d.state, d.read, d.write, d.cksum, d.note, d.parent)
    ('/dev/sdb1', 'FAULTED', 8, 126, 0, 'too many errors', 'raidz2-0')
    >>> parse_zpool_status("all pools are healthy\\n").value.all_healthy_line
    1
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
    healthy_line: int | None = None
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
        if _HEALTHY_X.match(line):
            healthy_line = no
            continue
        m = _FIELD.match(line)
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
                cur.status, cur.status_line = value, no
            elif key == "action":
                cur.action = value
            elif key == "see":
                cur.see, cur.see_line = value, no
            elif key == "scan":
                cur.scan, cur.scan_line = value, no
            elif key == "config":
                in_config = True
            elif key == "errors":
                cur.errors, cur.errors_line = value, no
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
                cur.root = _member(cur.name, "pool", dm.group("state"), dm.group("rest"), no, "data", None)
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
                elif last_key == "action":
                    cur.action = (cur.action + " " + line).strip()
                continue  # continuation of a multi-line field
            if last_key == "errors" and cur.permanent_errors and expanded[:1].isspace():
                cur.error_files.append(line)  # `zpool status -v`: one damaged file (or object) a line
                continue
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
            cur.root = _member(name, "pool", dm.group("state"), dm.group("rest"), no, "data", None)
            continue
        if indent <= pool_indent:
            if name in _CLASSES:
                vclass, group = name, None
            else:
                problems.append(ParseProblem("vdev line at the pool's indentation", no, raw))
            continue
        if group is not None and indent > group_indent:
            group.devices.append(name)
            cur.members.append(_member(name, _kind(name) if _GROUP.match(name) else "disk", dm.group("state"),
                                       dm.group("rest"), no, vclass, group.name))
            continue
        kind = _kind(name)
        v = Vdev(name, kind, dm.group("state"), no, vclass=vclass)
        cur.vdevs.append(v)
        cur.members.append(_member(name, kind, dm.group("state"), dm.group("rest"), no, vclass, None))
        if kind != "disk":
            group, group_indent = v, indent
        else:
            v.devices.append(name)
            group = None
    if not pools and no_pools_line is None and healthy_line is None:
        problems.insert(0, ParseProblem("no pool found"))
        return Parsed(None, problems)
    return Parsed(ZpoolStatus(pools, no_pools=no_pools_line is not None and not pools,
                              no_pools_line=no_pools_line, all_healthy_line=healthy_line), problems)
