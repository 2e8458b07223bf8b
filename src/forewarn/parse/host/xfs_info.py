"""`xfs_info <mount point|device|image>`: the geometry of an XFS file system.

    meta-data=/dev/loop0             isize=512    agcount=4, agsize=32768 blks
             =                       sectsz=512   attr=2, projid32bit=1
             =                       crc=1        finobt=1, sparse=1, rmapbt=0
    naming   =version 2              bsize=4096   ascii-ci=0, ftype=1

`ftype=1` means directory entries carry the file type (d_type), which overlayfs needs.
`ftype=0` is only possible on old V4 (crc=0) file systems. Several outputs in one text (one
per file system) give several entries; a cut-short paste keeps what it has (ftype None).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from forewarn.model.keys import Key
from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser
from forewarn.parse._text import lazy_compile, to_int

_META = lazy_compile(r"^\s*meta-data=(?P<dev>\S+)\s")
_SECTION = lazy_compile(r"^\s*(?P<sec>meta-data|data|naming|log|realtime|)\s*=")
_KV = lazy_compile(r"(?P<key>[a-z][\w-]*)=(?P<value>[^\s,]+)")
_NAMING = lazy_compile(r"^\s*naming\s*=\s*version\s+(?P<version>\d+)")


@dataclass(slots=True)
class XfsFs:
    device: str
    line: int
    ftype: int | None = None
    ftype_line: int | None = None
    crc: int | None = None
    isize: int | None = None
    bsize: int | None = None
    values: dict[str, str] = field(default_factory=dict)  # "<section>.<key>" -> value


@dataclass(slots=True)
class XfsInfo:
    filesystems: list[XfsFs] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # "xfs_info: /dev/x is invalid ..."


XFS_INFO = Key("host.xfs_info", XfsInfo)


@parser("host.xfs_info")
def parse_xfs_info(text: str) -> Parsed[XfsInfo]:
    """Parse `xfs_info` output.

    >>> r = parse_xfs_info("meta-data=ft0.img                isize=256    agcount=4, agsize=32768 blks\\n"
    ...                    "         =                       crc=0        finobt=0, sparse=0, rmapbt=0\\n"
    ...                    "naming   =version 2              bsize=4096   ascii-ci=0, ftype=0\\n")
    >>> fs = r.value.filesystems[0]
    >>> (fs.device, fs.ftype, fs.ftype_line, fs.crc, fs.isize, r.problems)
    ('ft0.img', 0, 3, 0, 256, [])
    """
    out = XfsInfo()
    problems: list[ParseProblem] = []
    cur: XfsFs | None = None
    section = ""
    for no, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        if raw.lstrip().startswith("xfs_info:"):
            out.errors.append(raw.strip())
            continue
        m = _META.match(raw)
        if m:
            cur = XfsFs(m.group("dev"), no)
            out.filesystems.append(cur)
        s = _SECTION.match(raw)
        if not s or cur is None:
            if raw.strip() and not re.match(r"^\s*(\S+@\S+|\$|#|\[)", raw):
                problems.append(ParseProblem("not xfs_info output", no, raw[:200]))
            continue
        if s.group("sec"):
            section = s.group("sec")
        for kv in _KV.finditer(raw[s.end():]):
            key, value = kv.group("key"), kv.group("value")
            cur.values[f"{section}.{key}"] = value
            if key == "ftype" and section == "naming":
                cur.ftype, cur.ftype_line = to_int(value, signed=False), no
            elif key == "crc":
                cur.crc = to_int(value, signed=False)
            elif key == "isize":
                cur.isize = to_int(value, signed=False)
            elif key == "bsize" and section == "data":
                cur.bsize = to_int(value, signed=False)
    if not out.filesystems:
        if out.errors:
            return Parsed(None, [ParseProblem("xfs_info failed: " + out.errors[0][:120])])
        return Parsed(None, [ParseProblem("no xfs_info meta-data line found"), *problems[:5]])
    return Parsed(out, problems[:20])
