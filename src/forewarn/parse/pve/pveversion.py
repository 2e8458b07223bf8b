"""`pveversion -v`: the versions of the Proxmox VE packages (and `pveversion`, its one-line form).

    proxmox-ve: 8.3.0 (running kernel: 6.8.12-5-pve)
    pve-manager: 8.3.2 (running version: 8.3.2/3e76eec21c4a14a7)
    corosync: 3.1.7-pve3
    ceph: not correctly installed

`pveversion` alone prints `pve-manager/8.3.2/3e76eec21c4a14a7 (running kernel: 6.8.12-5-pve)`.
A package can be listed twice (`proxmox-kernel-helper` is, in real output); the first wins.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from forewarn.model.keys import Key
from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser
from forewarn.parse._text import lazy_compile

# `package: version [(...)]` at column 0; a version starts with a digit (`1:2.3` epochs too)
_LINE = lazy_compile(r"^(?P<pkg>[a-z0-9][a-z0-9+.\-]*):\s+(?P<rest>(?:\d\S*|not correctly installed|not installed)"
                     r"(?:\s+\(.*\))?)\s*$")
_SHORT = lazy_compile(r"^pve-manager/(?P<version>[^/\s]+)/(?P<repoid>[0-9a-f]+)(?:\s+\(running kernel: (?P<kernel>[^)]+)\))?")
_RUNNING_KERNEL = lazy_compile(r"\(running kernel: (?P<kernel>[^)]+)\)")
_RUNNING_VERSION = lazy_compile(r"\(running version: (?P<version>[^)]+)\)")
_NOT_INSTALLED = ("not correctly installed", "not installed")


@dataclass(slots=True)
class PveVersion:
    packages: dict[str, str]  # package -> version, as printed ("not correctly installed" kept)
    lines: dict[str, int] = field(default_factory=dict)  # package -> line number
    running_kernel: str | None = None
    running_version: str | None = None  # pve-manager's "8.3.2/3e76eec21c4a14a7"

    @property
    def manager_version(self) -> str | None:
        """pve-manager's version ("8.3.2"), else proxmox-ve's."""
        return self.version("pve-manager") or self.version("proxmox-ve")

    @property
    def major(self) -> int | None:
        """The Proxmox VE major version (8 for 8.3.2), from pve-manager or proxmox-ve."""
        for pkg in ("pve-manager", "proxmox-ve"):
            v = self.version(pkg)
            if v and v.split(".", 1)[0].isdigit():
                return int(v.split(".", 1)[0])
        return None

    def version(self, package: str) -> str | None:
        """The installed version, or None when absent or not installed."""
        v = self.packages.get(package)
        if v is None or v in _NOT_INSTALLED:
            return None
        return v

    def installed(self, package: str) -> bool:
        return self.version(package) is not None


PVEVERSION = Key("pve.pveversion", PveVersion, alternatives=("pve.api_apt_versions",))


@parser("pve.pveversion")
def parse_pveversion(text: str) -> Parsed[PveVersion]:
    """Parse `pveversion -v` (or `pveversion`).

    >>> r = parse_pveversion("proxmox-ve: 8.3.0 (running kernel: 6.8.12-5-pve)\\n"
    ...                      "pve-manager: 8.3.2 (running version: 8.3.2/3e76eec21c4a14a7)\\n"
    ...                      "corosync: 3.1.7-pve3\\nceph: not correctly installed\\n")
    >>> v = r.value
    >>> (v.major, v.manager_version, v.running_kernel, v.version("corosync"), v.installed("ceph"))
    (8, '8.3.2', '6.8.12-5-pve', '3.1.7-pve3', False)
    """
    problems: list[ParseProblem] = []
    out = PveVersion({})
    for no, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip()
        if not line.strip():
            continue
        m = _SHORT.match(line)
        if m:
            out.packages.setdefault("pve-manager", m.group("version"))
            out.lines.setdefault("pve-manager", no)
            out.running_version = out.running_version or f"{m.group('version')}/{m.group('repoid')}"
            out.running_kernel = out.running_kernel or m.group("kernel")
            continue
        m = _LINE.match(line)
        if not m:
            problems.append(ParseProblem("not `package: version`", no, raw))
            continue
        pkg, rest = m.group("pkg"), m.group("rest")
        mk = _RUNNING_KERNEL.search(rest)
        if mk:
            out.running_kernel = out.running_kernel or mk.group("kernel")
        mv = _RUNNING_VERSION.search(rest)
        if mv:
            out.running_version = out.running_version or mv.group("version")
        version = rest if rest in _NOT_INSTALLED else rest.split(" (", 1)[0].strip()
        if pkg not in out.packages:
            out.packages[pkg] = version
            out.lines[pkg] = no
    if not out.packages:
        problems.insert(0, ParseProblem("no package versions found"))
        return Parsed(None, problems)
    return Parsed(out, problems)
