"""`lvs`, `vgs` and `pvs`: LVM's reports, as JSON (`--reportformat json`) or the default table.

    {
      "report": [
          {
              "lv": [
                  {"lv_name":"vm-100-disk-0", "vg_name":"user-data", "lv_attr":"-wi-a-----", ...}
              ]
          }
      ]
    }

or the text table, columns found by their headers (empty cells are common: Pool, Origin, ...):

      LV            VG        Attr       LSize   Pool Origin Data%  Meta%  Move Log Cpy%Sync Convert
      vm-100-disk-0 user-data -wi-a----- 256.00m

What LVM prints besides the report (`  WARNING: ...`, `  /dev/sdc: open failed: No medium
found`, `  Volume group "pve" not found`) is kept as messages with their line numbers: those
lines are evidence too (LVM101).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from forewarn.model.keys import Key
from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser
from forewarn.parse._text import to_int
from forewarn.parse.lvm.lv_attr import LvAttr
from forewarn.parse.lvm.report_layout import LvmMessage, parse_report


@dataclass(frozen=True, slots=True)
class LogicalVolume:
    name: str
    vg: str
    attr: LvAttr | None
    size: str | None
    pool: str | None
    origin: str | None
    active: bool | None  # lv_active when reported, else lv_attr's state; None: not known
    tags: tuple[str, ...]
    line: int
    fields: dict[str, str] = field(default_factory=dict)

    @property
    def full_name(self) -> str:
        return f"{self.vg}/{self.name}"

    @property
    def open(self) -> bool | None:
        return self.attr.open if self.attr else None

    @property
    def data_percent(self) -> float | None:
        """Data% of a thin pool (or thin volume, snapshot): None when not reported."""
        return _percent(self.fields.get("data_percent"))

    @property
    def metadata_percent(self) -> float | None:
        """Meta% of a thin pool: None when not reported."""
        return _percent(self.fields.get("metadata_percent"))

    @property
    def is_thin_pool(self) -> bool:
        return self.attr is not None and self.attr.type == "thin pool"


@dataclass(frozen=True, slots=True)
class VolumeGroup:
    name: str
    attr: str | None
    size: str | None
    free: str | None
    pv_count: int | None
    lv_count: int | None
    shared: bool | None  # vg_shared (lvmlockd), or attr char 6 `s`; None: not reported
    tags: tuple[str, ...]
    line: int
    fields: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PhysicalVolume:
    name: str
    vg: str | None
    fmt: str | None
    attr: str | None
    size: str | None
    free: str | None
    dev_size: str | None
    line: int
    fields: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class Lvs:
    format: str  # "json" | "text" | "messages" (only LVM's messages, no report)
    lvs: list[LogicalVolume]
    messages: list[LvmMessage]

    def get(self, vg: str, name: str) -> LogicalVolume | None:
        return next((lv for lv in self.lvs if lv.vg == vg and lv.name == name), None)


@dataclass(slots=True)
class Vgs:
    format: str
    vgs: list[VolumeGroup]
    messages: list[LvmMessage]

    @property
    def names(self) -> list[str]:
        return [vg.name for vg in self.vgs]


@dataclass(slots=True)
class Pvs:
    format: str
    pvs: list[PhysicalVolume]
    messages: list[LvmMessage]


def _percent(v: str | None) -> float | None:
    """`97.33` (or `97,33` in a comma locale) -> 97.33; empty or anything else -> None."""
    m = re.fullmatch(r"\s*(\d{1,3}(?:[.,]\d+)?)\s*%?\s*", v or "")
    return float(m.group(1).replace(",", ".")) if m else None


def _tags(v: str | None) -> tuple[str, ...]:
    return tuple(t for t in (v or "").split(",") if t)


def _opt(v: str | None) -> str | None:
    return v if v else None


def _lv(f: dict[str, str], no: int) -> LogicalVolume:
    attr = LvAttr.parse(f.get("lv_attr"))
    if "lv_active" in f:
        active: bool | None = f["lv_active"].strip() not in ("", "inactive") and "not" not in f["lv_active"]
    else:
        active = attr.active if attr else None
    return LogicalVolume(name=f.get("lv_name", ""), vg=f.get("vg_name", ""), attr=attr,
                         size=_opt(f.get("lv_size")), pool=_opt(f.get("pool_lv")),
                         origin=_opt(f.get("origin")), active=active, tags=_tags(f.get("lv_tags")),
                         line=no, fields=f)


def _vg(f: dict[str, str], no: int) -> VolumeGroup:
    attr = f.get("vg_attr")
    shared: bool | None = None
    if "vg_shared" in f:
        shared = f["vg_shared"].strip() not in ("", "0", "no")
    elif attr and len(attr) >= 6:
        shared = attr[5] == "s"
    return VolumeGroup(name=f.get("vg_name", ""), attr=_opt(attr), size=_opt(f.get("vg_size")),
                       free=_opt(f.get("vg_free")), pv_count=to_int(f.get("pv_count"), signed=False),
                       lv_count=to_int(f.get("lv_count"), signed=False), shared=shared, tags=_tags(f.get("vg_tags")),
                       line=no, fields=f)


def _pv(f: dict[str, str], no: int) -> PhysicalVolume:
    return PhysicalVolume(name=f.get("pv_name", ""), vg=_opt(f.get("vg_name")), fmt=_opt(f.get("pv_fmt")),
                          attr=_opt(f.get("pv_attr")), size=_opt(f.get("pv_size")),
                          free=_opt(f.get("pv_free")), dev_size=_opt(f.get("dev_size")), line=no, fields=f)


def _not_report(kind: str) -> ParseProblem:
    return ParseProblem(f"no `{kind}s` report (JSON or table) and no LVM message in it")


LVS = Key("lvm.lvs", Lvs)


@parser("lvm.lvs")
def parse_lvs(text: str) -> Parsed[Lvs]:
    """`lvs` (JSON or table): logical volumes with their decoded attributes.

    >>> r = parse_lvs('''  LV            VG        Attr       LSize   Pool Origin Data%  Meta%
    ...   vm-100-disk-0 user-data -wi-ao---- 256.00m
    ...   data          pve       twi-aotz--   1.00g             0.00   11.04''')
    >>> lv = r.value.lvs[0]
    >>> (lv.full_name, lv.active, lv.open, lv.attr.type, r.value.lvs[1].attr.type, r.problems)
    ('user-data/vm-100-disk-0', True, True, 'plain', 'thin pool', [])
    """
    got = parse_report(text, "lv")
    if got is None:
        return Parsed(None, [_not_report("lv")])
    fmt, rows, messages, problems = got
    lvs = [_lv(f, no) for f, no in rows if f.get("lv_name")]
    return Parsed(Lvs(fmt, lvs, messages), problems)


VGS = Key("lvm.vgs", Vgs)


@parser("lvm.vgs")
def parse_vgs(text: str) -> Parsed[Vgs]:
    """`vgs` (JSON or table): volume groups.

    >>> r = parse_vgs('''  VG         #PV #LV #SN Attr   VSize   VFree
    ...   lvm_vg       1   0   0 wz--n- <30.00g <30.00g
    ...   pve          1   4   0 wz--n- <99.50g <12.38g''')
    >>> [(v.name, v.lv_count, v.attr) for v in r.value.vgs]
    [('lvm_vg', 0, 'wz--n-'), ('pve', 4, 'wz--n-')]
    """
    got = parse_report(text, "vg")
    if got is None:
        return Parsed(None, [_not_report("vg")])
    fmt, rows, messages, problems = got
    return Parsed(Vgs(fmt, [_vg(f, no) for f, no in rows if f.get("vg_name")], messages), problems)


PVS = Key("lvm.pvs", Pvs)


@parser("lvm.pvs")
def parse_pvs(text: str) -> Parsed[Pvs]:
    """`pvs` (JSON or table): physical volumes and the VG each belongs to.

    >>> r = parse_pvs('''  /dev/sdc: open failed: No medium found
    ...   PV         VG        Fmt  Attr PSize  PFree
    ...   /dev/sda   pve       lvm2 a--  <3.00g 2.12g''')
    >>> (r.value.pvs[0].name, r.value.pvs[0].vg, r.value.messages[0].kind, r.value.messages[0].device)
    ('/dev/sda', 'pve', 'no_medium', '/dev/sdc')
    """
    got = parse_report(text, "pv")
    if got is None:
        return Parsed(None, [_not_report("pv")])
    fmt, rows, messages, problems = got
    return Parsed(Pvs(fmt, [_pv(f, no) for f, no in rows if f.get("pv_name")], messages), problems)
