"""Mounted file systems: `/proc/mounts` (host.mounts) and the answers of `stat -f` on each network
mount point (host.stat_mounts).

`/proc/mounts` has six fields: device, mount point, type, options, 0, 0. Spaces, tabs, newlines and
backslashes in paths are written as octal escapes (`\\040`, `\\011`, `\\012`, `\\134`). Pasted
`mount` output (`dev on /path type fs (opts)`) is read too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from forewarn.model.keys import Key
from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser
from forewarn.parse._text import lazy_compile

NETWORK_FSTYPES = ("nfs", "nfs4", "cifs", "smb3", "smbfs", "glusterfs", "fuse.glusterfs", "ceph",
                   "fuse.ceph", "fuse.ceph-fuse", "9p", "fuse.sshfs")

_OCTAL = lazy_compile(r"\\([0-7]{3})")
_MOUNT_CMD = lazy_compile(r"^(?P<dev>\S+)\s+on\s+(?P<mp>/.*?)\s+type\s+(?P<type>\S+)(?:\s+\((?P<opts>.*)\))?\s*$")


def unescape(field_: str) -> str:
    """Undo the kernel's octal escapes: `/mnt/my\\040disk` -> `/mnt/my disk`."""
    return _OCTAL.sub(lambda m: chr(int(m.group(1), 8)), field_)


@dataclass(frozen=True, slots=True)
class Mount:
    device: str
    mountpoint: str
    fstype: str
    options: tuple[str, ...]
    line: int

    @property
    def is_network(self) -> bool:
        return self.fstype in NETWORK_FSTYPES

    def option(self, name: str) -> str | None:
        for o in self.options:
            k, _, v = o.partition("=")
            if k == name:
                return v or "1"
        return None


@dataclass(slots=True)
class Mounts:
    entries: list[Mount]

    def at(self, path: str) -> Mount | None:
        """The mount on top at exactly `path` (the last one mounted there), if any."""
        path = path.rstrip("/") or "/"
        found = [m for m in self.entries if m.mountpoint == path]
        return found[-1] if found else None

    def is_mountpoint(self, path: str) -> bool:
        return self.at(path) is not None

    def containing(self, path: str) -> Mount | None:
        """The mount that holds `path` (longest mount point prefix, last mounted wins)."""
        path = path.rstrip("/") or "/"
        best: Mount | None = None
        for m in self.entries:
            mp = m.mountpoint
            if path == mp or path.startswith(mp.rstrip("/") + "/"):
                if best is None or len(mp) >= len(best.mountpoint):
                    best = m
        return best

    def network(self) -> list[Mount]:
        return [m for m in self.entries if m.is_network]


MOUNTS = Key("host.mounts", Mounts)


@parser("host.mounts")
def parse_mounts(text: str) -> Parsed[Mounts]:
    """Parse `/proc/mounts` (or pasted `mount` output).

    >>> r = parse_mounts("/dev/sda1 / ext4 rw,relatime 0 0\\n"
    ...                  "10.0.0.5:/srv/backup /mnt/pve/nas\\\\040backup nfs4 rw,hard,timeo=600 0 0\\n")
    >>> m = r.value.entries[1]
    >>> (m.mountpoint, m.fstype, m.is_network, m.option("timeo"), r.value.is_mountpoint("/mnt/pve/nas backup"))
    ('/mnt/pve/nas backup', 'nfs4', True, '600', True)
    """
    entries: list[Mount] = []
    problems: list[ParseProblem] = []
    for no, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        m = _MOUNT_CMD.match(line)
        if m:
            opts = tuple(o for o in (m.group("opts") or "").split(",") if o)
            entries.append(Mount(m.group("dev"), m.group("mp"), m.group("type"), opts, no))
            continue
        parts = line.split()
        if len(parts) in (4, 6) and parts[1].startswith("/") and (
                len(parts) == 4 or (parts[4].isdigit() and parts[5].isdigit())):
            entries.append(Mount(unescape(parts[0]), unescape(parts[1]), parts[2],
                                 tuple(o for o in parts[3].split(",") if o), no))
            continue
        problems.append(ParseProblem("not a mount line (device mountpoint type options 0 0)", no, raw))
    if not entries:
        problems.insert(0, ParseProblem("no mounts found"))
        return Parsed(None, problems)
    return Parsed(Mounts(entries), problems)


@dataclass(frozen=True, slots=True)
class StatAnswer:
    fstype: str
    path: str
    line: int


@dataclass(frozen=True, slots=True)
class StatError:
    path: str | None
    message: str
    line: int


@dataclass(slots=True)
class StatMounts:
    answered: list[StatAnswer]
    errors: list[StatError] = field(default_factory=list)

    def answered_paths(self) -> set[str]:
        return {a.path for a in self.answered}


_STAT_ERR = lazy_compile(r"^stat: (?:cannot (?:read file system information for|statfs) )?"
                         r"['‘\"]?(?P<path>/[^'’\"]*?)['’\"]?: (?P<msg>.*)$")
_STAT_OK = lazy_compile(r"^(?P<type>[\w.\-/]+)\s+(?P<path>/.*)$")


STAT_MOUNTS = Key("host.stat_mounts", StatMounts)


@parser("host.stat_mounts")
def parse_stat_mounts(text: str) -> Parsed[StatMounts]:
    """Parse the output of `stat -f -c '%T %n' <mount point>...` (one line per mount that answered).

    A mount point that hangs prints nothing; the collector then records a timeout, and the mount
    points missing from this output are the ones that did not answer.

    >>> r = parse_stat_mounts("nfs /mnt/pve/iso\\nstat: cannot read file system information for "
    ...                       "'/mnt/pve/bak': Stale file handle\\n")
    >>> ([a.path for a in r.value.answered], r.value.errors[0].path, r.value.errors[0].message)
    (['/mnt/pve/iso'], '/mnt/pve/bak', 'Stale file handle')
    """
    answered: list[StatAnswer] = []
    errors: list[StatError] = []
    problems: list[ParseProblem] = []
    for no, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        m = _STAT_ERR.match(line)
        if m:
            errors.append(StatError(m.group("path"), m.group("msg"), no))
            continue
        m = _STAT_OK.match(line)
        if m:
            answered.append(StatAnswer(m.group("type"), unescape(m.group("path")), no))
            continue
        problems.append(ParseProblem("not a `stat -f -c '%T %n'` line", no, raw))
    if not answered and not errors and text.strip():
        problems.insert(0, ParseProblem("no stat answers found"))
        return Parsed(None, problems)
    return Parsed(StatMounts(answered, errors), problems)
