"""`dpkg -l`: the packages dpkg knows, with their state.

    Desired=Unknown/Install/Remove/Purge/Hold
    | Status=Not/Inst/Conf-files/Unpacked/halF-conf/Half-inst/trig-aWait/Trig-pend
    |/ Err?=(none)/Reinst-required (Status,Err: uppercase=bad)
    ||/ Name           Version         Architecture Description
    +++-==============-===============-============-=================================
    ii  corosync       3.1.7-1+deb12u2 amd64        cluster engine daemon and utilities
    rc  corosync-qnetd 3.0.3-1         amd64        cluster engine quorum device network daemon

The first three characters are the desired action (u i h r p), the package status (n i c u f h w
t) and the error flag (space, or R: reinstall required). `ii` is installed; `rc` removed with its
configuration files left. Names may carry `:arch` (`libknet1:amd64`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from forewarn.model.keys import Key
from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser
from forewarn.parse._text import lazy_compile

_ROW = lazy_compile(r"^(?P<desired>[uihrp])(?P<status>[nicufhwtUFHWT])(?P<err>[ R])\s+(?P<name>\S+)\s+"
                    r"(?P<version>\S+)\s+(?P<arch>\S+)(?:\s+(?P<desc>.*?))?\s*$")
_HEADER = lazy_compile(r"^(Desired=|\| Status=|\|/ Err\?=|\|\|/ Name|\+\+\+-)")
_NOT_FOUND = lazy_compile(r"^dpkg-query: no packages found matching (?P<name>\S+)")


@dataclass(frozen=True, slots=True)
class DpkgPackage:
    status: str  # the two letters: "ii", "rc", "iU", "hi", ...
    name: str  # without ":arch"
    version: str
    arch: str
    description: str
    line: int
    reinstall_required: bool = False
    qualified_name: str = ""  # as printed, with ":arch" when dpkg showed it

    @property
    def installed(self) -> bool:
        """Installed and configured (`ii`, or `hi` for a held package)."""
        return self.status[1] == "i"


@dataclass(slots=True)
class Dpkg:
    packages: dict[str, DpkgPackage] = field(default_factory=dict)  # by name (first listed wins)
    not_found: list[str] = field(default_factory=list)  # `dpkg -l NAME` for an unknown NAME

    def version(self, name: str) -> str | None:
        """The installed version of a package, None when it is not installed."""
        p = self.packages.get(name)
        return p.version if p is not None and p.installed else None


DPKG = Key("host.dpkg", Dpkg)


@parser("host.dpkg")
def parse_dpkg(text: str) -> Parsed[Dpkg]:
    """Parse `dpkg -l`.

    >>> r = parse_dpkg("ii  corosync       3.1.7-1+deb12u2 amd64        cluster engine daemon and utilities\\n"
    ...                "rc  corosync-qnetd 3.0.3-1         amd64        cluster engine quorum device network daemon\\n")
    >>> [(p.status, p.name, p.version, p.installed) for p in r.value.packages.values()]
    [('ii', 'corosync', '3.1.7-1+deb12u2', True), ('rc', 'corosync-qnetd', '3.0.3-1', False)]
    """
    problems: list[ParseProblem] = []
    out = Dpkg()
    header = False
    for no, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip()
        if not line.strip():
            continue
        if _HEADER.match(line):
            header = True
            continue
        m = _NOT_FOUND.match(line.strip())
        if m:
            out.not_found.append(m.group("name"))
            continue
        m = _ROW.match(line)
        if not m:
            problems.append(ParseProblem("not a dpkg -l row", no, raw))
            continue
        qualified = m.group("name")
        name = qualified.split(":", 1)[0]
        pkg = DpkgPackage(m.group("desired") + m.group("status"), name, m.group("version"), m.group("arch"),
                          m.group("desc") or "", no, m.group("err") == "R", qualified)
        out.packages.setdefault(name, pkg)
    if not out.packages and not out.not_found and not header:
        problems.insert(0, ParseProblem("no dpkg -l rows found"))
        return Parsed(None, problems)
    return Parsed(out, problems)
