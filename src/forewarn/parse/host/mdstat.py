"""Linux software RAID: `/proc/mdstat` (host.mdstat) and `mdadm --detail` (host.mdadm_detail).

/proc/mdstat (linux drivers/md/md.c, md_seq_show and each personality's status function):

    md0 : active raid1 sdb1[1] sda1[0](F)
          12581816 blocks super 1.2 [2/1] [_U]
          [=>...................]  recovery =  5.0% (...) finish=80.1min speed=100000K/sec

`[n/m]` is raid disks / working disks and `[U_]` one letter per slot (`_` = missing); members
carry `(F)` faulty, `(S)` spare, `(W)` write-mostly, `(R)` replacement. RAID0 and linear arrays
print no `[n/m]`: they have no redundancy to lose, which is not "degraded".

`mdadm --detail /dev/mdX` (mdadm Detail.c): `Key : Value` lines (`State : clean, degraded`), then
the member table (`Number Major Minor RaidDevice State` and rows like `1 8 19 1 active sync
/dev/sdb3`, `- 0 0 0 removed`, `0 8 3 - faulty /dev/sda3`). Several arrays may follow each other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from forewarn.model.keys import Key
from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser
from forewarn.parse._text import lazy_compile, to_int

_ARRAY = lazy_compile(r"^(?P<name>md[\w/]+)\s*:\s*(?P<state>active|inactive)(?:\s+\((?P<ro>[\w-]+)\))?"
                      r"(?:\s+(?P<rest>.*))?$")
_MEMBER = lazy_compile(r"^(?P<dev>[^\s\[]+)\[(?P<slot>\d+)\](?P<flags>(?:\([A-Z]\))*)$")
_STATUS = lazy_compile(r"\[(?P<n>\d+)/(?P<m>\d+)\]\s+\[(?P<map>[U_]+)\]")
_SYNC = lazy_compile(r"\b(?P<action>recovery|resync|reshape|check|repair)\s*=\s*(?P<pct>\d+(?:\.\d+)?)%")
_DELAYED = lazy_compile(r"\b(?P<action>resync|recovery|reshape|check)=(?P<what>DELAYED|PENDING)\b")
_LEVELS = lazy_compile(r"^(raid\d+|linear|multipath|faulty|raid10)$")


@dataclass(slots=True)
class MdMember:
    device: str
    slot: int
    flags: str  # "F" faulty, "S" spare, "W" write-mostly, "R" replacement (several possible)

    @property
    def faulty(self) -> bool:
        return "F" in self.flags


@dataclass(slots=True)
class MdArray:
    name: str  # md0
    active: bool
    level: str | None  # raid1, raid5, raid0, linear ... (None for an inactive array that names none)
    members: list[MdMember]
    line: int
    read_only: str | None = None  # `auto-read-only`, `read-only`
    raid_disks: int | None = None  # n of [n/m]
    working: int | None = None  # m of [n/m]
    slots: str | None = None  # `U_`
    status_line: int | None = None
    sync_action: str | None = None  # recovery | resync | reshape | check | repair (running or DELAYED)
    sync_percent: float | None = None
    sync_line: int | None = None

    @property
    def degraded(self) -> bool:
        """Fewer working disks than raid disks (`[2/1] [_U]`); RAID0/linear never are."""
        if self.raid_disks is not None and self.working is not None and self.working < self.raid_disks:
            return True
        return bool(self.slots and "_" in self.slots)

    @property
    def faulty(self) -> list[str]:
        return [m.device for m in self.members if m.faulty]


@dataclass(slots=True)
class MdStat:
    personalities: list[str]
    arrays: list[MdArray]

    def get(self, name: str) -> MdArray | None:
        return next((a for a in self.arrays if a.name == name), None)


MDSTAT = Key("host.mdstat", MdStat)


@parser("host.mdstat")
def parse_mdstat(text: str) -> Parsed[MdStat]:
    """Parse /proc/mdstat.

    >>> r = parse_mdstat('''Personalities : [raid1]
    ... md0 : active raid1 sdb1[1] sda1[0](F)
    ...       12581816 blocks super 1.2 [2/1] [_U]
    ...
    ... unused devices: <none>''')
    >>> a = r.value.arrays[0]
    >>> (a.name, a.level, a.degraded, a.faulty, a.raid_disks, a.working, a.slots, r.problems)
    ('md0', 'raid1', True, ['sda1'], 2, 1, '_U', [])
    """
    arrays: list[MdArray] = []
    problems: list[ParseProblem] = []
    personalities: list[str] = []
    seen_header = False
    cur: MdArray | None = None
    for no, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            cur = None
            continue
        if line.startswith("Personalities"):
            seen_header = True
            personalities = re.findall(r"\[([\w-]+)\]", line)
            continue
        if line.startswith("unused devices"):
            seen_header = True
            cur = None
            continue
        m = _ARRAY.match(line)
        if m:
            words = (m.group("rest") or "").split()
            level = words[0] if words and _LEVELS.match(words[0]) else None
            members: list[MdMember] = []
            for w in words[1:] if level else words:
                mm = _MEMBER.match(w)
                if mm:
                    members.append(MdMember(mm.group("dev"), int(mm.group("slot")),
                                            "".join(re.findall(r"\(([A-Z])\)", mm.group("flags")))))
                else:
                    problems.append(ParseProblem(f"not an md member: {w[:40]}", no, raw))
            cur = MdArray(m.group("name"), m.group("state") == "active", level, members, no,
                          read_only=m.group("ro"))
            arrays.append(cur)
            continue
        if cur is not None and raw[:1].isspace():
            s = _STATUS.search(line)
            if s:
                cur.raid_disks, cur.working, cur.slots = int(s.group("n")), int(s.group("m")), s.group("map")
                cur.status_line = no
            y = _SYNC.search(line)
            if y:
                cur.sync_action, cur.sync_percent, cur.sync_line = y.group("action"), float(y.group("pct")), no
            d = _DELAYED.search(line)
            if d and cur.sync_action is None:
                cur.sync_action, cur.sync_line = d.group("action"), no
            continue  # blocks, bitmap and other detail lines
        problems.append(ParseProblem("not a /proc/mdstat line", no, raw[:200]))
    if not arrays and not seen_header:
        return Parsed(None, [ParseProblem("no /proc/mdstat content (Personalities, mdN : ...)")] + problems[:5])
    return Parsed(MdStat(personalities, arrays), problems[:20])


# -- mdadm --detail -----------------------------------------------------------------------------
_DEV_HEADER = lazy_compile(r"^(?P<dev>/dev/\S+):$")
_KV = lazy_compile(r"^\s*(?P<key>[A-Z][\w ]*?)\s+:\s?(?P<value>.*?)\s*$")
_TABLE = lazy_compile(r"^\s*Number\s+Major\s+Minor\s+RaidDevice\s+State\s*$")
_ROW = lazy_compile(r"^\s*(?P<number>\d+|-)\s+(?P<major>\d+)\s+(?P<minor>\d+)\s+(?P<raid>\d+|-)\s+"
                    r"(?P<state>.*?)(?:\s+(?P<dev>/dev/\S+))?\s*$")


@dataclass(slots=True)
class MdDevice:
    number: int | None
    raid_device: int | None  # None: not in a slot (`-`: faulty or spare)
    state: str  # `active sync`, `removed`, `faulty`, `spare rebuilding`, `spare`
    device: str | None
    line: int


@dataclass(slots=True)
class MdDetail:
    device: str  # /dev/md1
    line: int
    fields: dict[str, str] = field(default_factory=dict)  # `Raid Level` -> `raid1`
    lines: dict[str, int] = field(default_factory=dict)
    devices: list[MdDevice] = field(default_factory=list)

    @property
    def level(self) -> str | None:
        return self.fields.get("Raid Level")

    @property
    def state(self) -> list[str]:
        """`State : clean, degraded, recovering` -> ['clean', 'degraded', 'recovering']."""
        return [w.strip() for w in self.fields.get("State", "").split(",") if w.strip()]

    @property
    def degraded(self) -> bool:
        return "degraded" in self.state

    @property
    def failed(self) -> bool:
        """mdadm says `FAILED` (too few devices to run) or `inactive`."""
        return any(w in ("FAILED", "inactive") for w in self.state)

    def count(self, key: str) -> int | None:
        v = self.fields.get(key, "")
        return to_int(v, signed=False)


@dataclass(slots=True)
class MdadmDetail:
    arrays: list[MdDetail]
    errors: list[tuple[int, str]] = field(default_factory=list)  # `mdadm: cannot open /dev/md9: ...`


MDADM_DETAIL = Key("host.mdadm_detail", MdadmDetail)


@parser("host.mdadm_detail")
def parse_mdadm_detail(text: str) -> Parsed[MdadmDetail]:
    """Parse `mdadm --detail /dev/mdX [...]`.

    >>> r = parse_mdadm_detail('''/dev/md1:
    ...         Raid Level : raid1
    ...              State : active, degraded
    ...     Number   Major   Minor   RaidDevice State
    ...        -       0        0        0      removed
    ...        1       8       19        1      active sync   /dev/sdb3
    ...        0       8        3        -      faulty   /dev/sda3''')
    >>> a = r.value.arrays[0]
    >>> (a.device, a.level, a.state, a.degraded, [(d.state, d.device) for d in a.devices])
    ('/dev/md1', 'raid1', ['active', 'degraded'], True, [('removed', None), ('active sync', '/dev/sdb3'), ('faulty', '/dev/sda3')])
    """
    arrays: list[MdDetail] = []
    errors: list[tuple[int, str]] = []
    problems: list[ParseProblem] = []
    cur: MdDetail | None = None
    in_table = False
    for no, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        h = _DEV_HEADER.match(line)
        if h:
            cur, in_table = MdDetail(h.group("dev"), no), False
            arrays.append(cur)
            continue
        if line.startswith("mdadm:"):
            errors.append((no, line))
            continue
        if cur is None:
            problems.append(ParseProblem("not part of `mdadm --detail` output", no, raw[:200]))
            continue
        if _TABLE.match(raw):
            in_table = True
            continue
        if in_table:
            r = _ROW.match(raw)
            if r:
                num, slot = r.group("number"), r.group("raid")
                cur.devices.append(MdDevice(to_int(num, signed=False),
                                            to_int(slot, signed=False),
                                            r.group("state").strip(), r.group("dev"), no))
                continue
        kv = _KV.match(raw)
        if kv and not in_table:
            cur.fields.setdefault(kv.group("key").strip(), kv.group("value"))
            cur.lines.setdefault(kv.group("key").strip(), no)
            continue
        problems.append(ParseProblem("not an `mdadm --detail` line", no, raw[:200]))
    if not arrays:
        if errors:
            return Parsed(MdadmDetail([], errors), problems[:5])
        return Parsed(None, [ParseProblem("no `/dev/mdX:` array in it")] + problems[:5])
    return Parsed(MdadmDetail(arrays, errors), problems[:20])
