"""`stat -c '%Y %s %n' /etc/lvm/lvm.conf /boot/initrd.img-*`: when lvm.conf and each initramfs
image were last written.

    1795326966 111934 /etc/lvm/lvm.conf
    1795326961 34503750 /boot/initrd.img-6.1.0-56-amd64

Each line is the modification time (seconds since the epoch), the size in bytes and the path.
stat's complaints (`stat: cannot statx '/boot/initrd.img-*': No such file or directory`) are kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from forewarn.model.keys import Key
from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser
from forewarn.parse._text import lazy_compile

_LINE = lazy_compile(r"^(?P<mtime>\d{1,12}) (?P<size>\d+) (?P<path>/\S.*?)\s*$")
_STAT_ERR = lazy_compile(r"^\s*stat: ")
_INITRD = lazy_compile(r"/boot/initrd\.img-(?P<kernel>\S+)$")


@dataclass(frozen=True, slots=True)
class BootFile:
    mtime: int  # seconds since the epoch
    size: int
    path: str
    line: int

    @property
    def kernel(self) -> str | None:
        """The kernel version of an initramfs image, None for other files."""
        m = _INITRD.search(self.path)
        return m.group("kernel") if m else None


@dataclass(slots=True)
class BootFiles:
    files: list[BootFile]
    errors: list[tuple[int, str]] = field(default_factory=list)  # stat's own error lines

    @property
    def lvm_conf(self) -> BootFile | None:
        return next((f for f in self.files if f.path.endswith("/etc/lvm/lvm.conf")), None)

    @property
    def initrds(self) -> list[BootFile]:
        return [f for f in self.files if f.kernel is not None]

    @property
    def newest_initrd(self) -> BootFile | None:
        return max(self.initrds, key=lambda f: f.mtime, default=None)


BOOT_FILES = Key("lvm.boot_files", BootFiles)


@parser("lvm.boot_files")
def parse_boot_files(text: str) -> Parsed[BootFiles]:
    """Parse `stat -c '%Y %s %n'` lines.

    >>> r = parse_boot_files("1795326966 111934 /etc/lvm/lvm.conf\\n"
    ...                      "1795326961 34503750 /boot/initrd.img-6.1.0-56-amd64\\n")
    >>> v = r.value
    >>> (v.lvm_conf.mtime, v.newest_initrd.kernel, v.newest_initrd.line, r.problems)
    (1795326966, '6.1.0-56-amd64', 2, [])
    """
    files: list[BootFile] = []
    errors: list[tuple[int, str]] = []
    problems: list[ParseProblem] = []
    for no, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        m = _LINE.match(raw.strip())
        if m:
            files.append(BootFile(int(m.group("mtime")), int(m.group("size")), m.group("path"), no))
        elif _STAT_ERR.match(raw):
            errors.append((no, raw.strip()))
        elif len(problems) < 20:
            problems.append(ParseProblem("not a `%Y %s %n` line", no, raw[:200]))
    if not files and not errors:
        problems.insert(0, ParseProblem("no `stat -c '%Y %s %n'` line in it"))
        return Parsed(None, problems)
    return Parsed(BootFiles(files, errors), problems)
