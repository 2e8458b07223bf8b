"""CNI network configuration (`/etc/cni/net.d/*.conf`, `*.conflist`) and the plugin binaries in
`/opt/cni/bin` (`ls -l /opt/cni/bin`).

The container runtime runs each plugin of the first configuration (in file-name order) by its
`type`, an executable of that name in the CNI bin directory; an `ipam` block names another one.
A plugin missing from the directory fails every pod's network setup (`failed to find plugin
"portmap" in path [/opt/cni/bin]`), and kubelet keeps the node NotReady.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from forewarn.model.keys import Key
from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser
from forewarn.parse._text import lazy_compile

_TYPE = lazy_compile(r'"type"\s*:\s*"(?P<type>[^"]+)"')


@dataclass(frozen=True, slots=True)
class CniPlugin:
    type: str  # the executable the runtime looks for in the CNI bin directory
    line: int
    ipam: bool = False  # named in an `ipam` block


@dataclass(slots=True)
class CniConf:
    name: str | None = None
    conflist: bool = False  # a `plugins` list, not a single plugin
    plugins: list[CniPlugin] = field(default_factory=list)

    @property
    def binaries(self) -> list[str]:
        return list(dict.fromkeys(p.type for p in self.plugins))


def _line_of(lines: list[str], kind: str, start: int) -> tuple[int, int]:
    """Line (1-based) of the next `"type": "<kind>"` from `start`, and where to search next."""
    for i in range(start, len(lines)):
        m = _TYPE.search(lines[i])
        if m and m.group("type") == kind:
            return i + 1, i + 1
    return 0, start


def _plugins(conf: dict[str, Any]) -> list[tuple[str, bool]]:
    out: list[tuple[str, bool]] = []
    plugins = conf.get("plugins")
    entries: list[Any] = plugins if isinstance(plugins, list) else [conf]
    for p in entries:
        if not isinstance(p, dict):
            continue
        if isinstance(p.get("type"), str) and p["type"]:
            out.append((p["type"], False))
        ipam = p.get("ipam")
        if isinstance(ipam, dict) and isinstance(ipam.get("type"), str) and ipam["type"]:
            out.append((ipam["type"], True))
        # `policy`, `kubernetes`, `capabilities` blocks also carry "type" keys that are no executables
    return out


CNI_CONF = Key("k8s.cni_conf", CniConf)


@parser("k8s.cni_conf")
def parse_cni_conf(text: str) -> Parsed[CniConf]:
    """Parse one CNI network configuration (JSON), listing the plugin executables it needs.

    >>> r = parse_cni_conf('{"name": "k8s", "plugins": [{"type": "calico", "ipam": {"type": "calico-ipam"},'
    ...                    ' "policy": {"type": "k8s"}}, {"type": "portmap"}]}')
    >>> (r.value.name, r.value.binaries, r.problems)
    ('k8s', ['calico', 'calico-ipam', 'portmap'], [])
    """
    try:
        conf = json.loads(text)
    except ValueError as e:
        return Parsed(None, [ParseProblem(f"not a CNI configuration (JSON): {e}")])
    if not isinstance(conf, dict):
        return Parsed(None, [ParseProblem("not a CNI configuration (a JSON object)")])
    found = _plugins(conf)
    if not found:
        return Parsed(None, [ParseProblem("no plugin `type` in the CNI configuration")])
    lines = text.splitlines()
    out = CniConf(name=conf.get("name") if isinstance(conf.get("name"), str) else None,
                  conflist=isinstance(conf.get("plugins"), list))
    pos = 0
    for kind, ipam in found:
        line, pos = _line_of(lines, kind, pos)
        out.plugins.append(CniPlugin(kind, line, ipam))
    return Parsed(out, [])


# `ls -l` rows: mode, links, owner, group, size, a date in any locale (3 or more words), name
_LS_LONG = lazy_compile(r"^(?P<mode>[-lbcdps][-rwxsStT]{9})[.+@]?\s+\d+\s+\S+\s+\S+\s+[\d,]+\s+(?P<rest>.+)$")
_TIME = lazy_compile(r"\s(?:\d{1,2}:\d\d|\d{4})\s+(?P<name>\S.*)$")
_TOTAL = lazy_compile(r"^\S+\s+\d+[KMG]?$")  # `total 70556`, `总用量 70556`, `insgesamt 12`
_PROMPT = lazy_compile(r"^\S*[#$]\s")


@dataclass(frozen=True, slots=True)
class BinEntry:
    name: str
    line: int
    executable: bool | None  # None: a plain `ls` that does not show the mode


@dataclass(slots=True)
class CniBin:
    entries: list[BinEntry] = field(default_factory=list)
    missing_line: int = 0  # `ls: cannot access '/opt/cni/bin': No such file or directory`

    def has(self, name: str) -> bool:
        return any(e.name == name and e.executable is not False for e in self.entries)


CNI_BIN = Key("k8s.cni_bin", CniBin)


@parser("k8s.cni_bin")
def parse_cni_bin(text: str) -> Parsed[CniBin]:
    """Parse `ls -l /opt/cni/bin` (or a plain `ls`): the plugin executables present.

    >>> r = parse_cni_bin("total 8\\n-rwxr-xr-x 1 root root 36573184 Jul 14 17:20 calico\\n"
    ...                   "lrwxrwxrwx 1 root root 6 Jul 14 17:20 calico-ipam -> calico\\n")
    >>> [(e.name, e.executable) for e in r.value.entries]
    [('calico', True), ('calico-ipam', True)]
    """
    out = CniBin()
    problems: list[ParseProblem] = []
    for no, raw in enumerate(text.splitlines(), 1):
        s = raw.strip()
        if not s or _TOTAL.match(s) or _PROMPT.match(s):
            continue
        if "No such file or directory" in s:
            out.missing_line = no
            continue
        m = _LS_LONG.match(s)
        if m:
            if m.group("mode")[0] == "d":
                continue
            t = _TIME.search(" " + m.group("rest"))
            if t is None:
                problems.append(ParseProblem("no date before the file name", no, raw))
                continue
            name = t.group("name").split(" -> ")[0].strip()
            mode = m.group("mode")
            out.entries.append(BinEntry(name, no, mode[0] == "l" or "x" in mode[1:]))
        elif re.fullmatch(r"[\w.+@-]+(?:\s+[\w.+@-]+)*", s):
            out.entries.extend(BinEntry(w, no, None) for w in s.split())
        else:
            problems.append(ParseProblem("not an `ls` row", no, raw))
    if not out.entries and not out.missing_line and problems:
        return Parsed(None, problems[:10])
    return Parsed(out, problems[:20])
