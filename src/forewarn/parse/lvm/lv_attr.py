"""The `lv_attr` column of `lvs`: ten characters, each a property of the logical volume (lvs(8),
"The lv_attr bits are"), decoded into words."""

from __future__ import annotations

import re
from dataclasses import dataclass

_STATE = {"a": "active", "h": "historical", "s": "suspended", "I": "invalid snapshot",
          "S": "invalid suspended snapshot", "m": "snapshot merge failed",
          "M": "suspended snapshot merge failed", "d": "mapped device present without tables",
          "i": "mapped device present with inactive table", "c": "thin-pool check needed",
          "C": "suspended thin-pool check needed", "X": "unknown", "-": "inactive"}
_TYPE = {"C": "cache", "m": "mirrored", "M": "mirrored without initial sync", "o": "origin",
         "O": "origin with merging snapshot", "r": "raid", "R": "raid without initial sync",
         "s": "snapshot", "S": "merging snapshot", "p": "pvmove", "v": "virtual",
         "i": "mirror or raid image", "I": "mirror or raid image out-of-sync",
         "l": "mirror log device", "c": "under conversion", "V": "thin volume", "t": "thin pool",
         "T": "thin pool data", "d": "vdo pool", "D": "vdo pool data",
         "e": "raid or pool metadata", "-": "plain"}
_PERM = {"w": "writeable", "r": "read-only", "R": "read-only activation", "-": "unknown"}
_ALLOC = {"a": "anywhere", "c": "contiguous", "i": "inherited", "l": "cling", "n": "normal"}
_TARGET = {"C": "cache", "m": "mirror", "r": "raid", "s": "snapshot", "t": "thin", "u": "unknown",
           "v": "virtual", "-": "none"}
_HEALTH = {"p": "partial", "X": "unknown", "r": "refresh needed", "m": "mismatches exist",
           "w": "writemostly", "s": "reshaping", "R": "remove after reshape", "F": "failed",
           "D": "out of data space", "M": "metadata read only", "E": "error", "-": "ok"}


@dataclass(frozen=True, slots=True)
class LvAttr:
    """The ten `lv_attr` characters, decoded (lvs(8), "The lv_attr bits are")."""

    raw: str
    type: str  # 1: plain, thin pool, thin volume, ...
    permissions: str  # 2: writeable, read-only, ...
    allocation: str  # 3: inherited, normal, ... (" (locked)" when capitalised)
    fixed_minor: bool  # 4: m
    state: str  # 5: active, inactive, suspended, ...
    open: bool  # 6: o = the device is open (mounted, used by a guest)
    target: str  # 7: thin, snapshot, ...
    zero: bool  # 8: z
    health: str  # 9: ok, partial, failed, ...
    skip_activation: bool  # 10: k

    @property
    def active(self) -> bool:
        return self.raw[4:5] == "a"

    @classmethod
    def parse(cls, raw: str | None) -> "LvAttr | None":
        if not raw or not re.fullmatch(r"[A-Za-z\-]{6,10}", raw):
            return None
        c = (raw + "-" * 10)[:10]
        alloc = _ALLOC.get(c[2].lower(), "unknown")
        if c[2].isupper():
            alloc += " (locked)"
        return cls(raw=raw, type=_TYPE.get(c[0], "unknown"), permissions=_PERM.get(c[1], "unknown"),
                   allocation=alloc, fixed_minor=c[3] == "m", state=_STATE.get(c[4], "unknown"),
                   open=c[5] == "o", target=_TARGET.get(c[6], "unknown"), zero=c[7] == "z",
                   health=_HEALTH.get(c[8], "unknown"), skip_activation=c[9] == "k")
