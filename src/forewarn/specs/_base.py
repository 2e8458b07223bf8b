"""The `Spec` record and the registry of every spec."""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from functools import lru_cache

from forewarn.model.lazyre import lazy_compile
from forewarn.specs._sniff import Sniffer

SPECS: dict[str, "Spec"] = {}


@dataclass(frozen=True, slots=True)
class Spec:
    name: str
    kind: str  # "command" | "file" | "log" | "api" (a Proxmox VE API path, read by `--api`)
    source: str  # command line, or absolute path (glob allowed for multi-instance files)
    description: str
    names: tuple[str, ...] = ()  # file-name globs that identify a loose file of this kind
    sniff: tuple[re.Pattern[str], ...] = ()  # content patterns (any) that identify it
    sniff_weight: int = 10
    multi: bool = False  # several instances per node (guest configs, rotated logs)
    timeout: float = 20.0
    redact: bool = False
    platform: str = field(default="")
    # -- live collection (collect/plan.py); the defaults fit most specs -----------------------
    applies_if: str = ""  # extra shell test run on the node first; `{root}` = path prefix (tests)
    max_bytes: int = 0  # cap on the bytes kept per artifact; 0 = the plan's default for the kind
    max_instances: int = 0  # multi specs: at most this many instances; 0 = the plan's default
    collect: str = ""  # the script to run when `source` only describes it (`<each mount>`)
    live: bool = True  # False: never collected live (evidence derived by other means)
    merge_stderr: bool = True  # keep stderr in the output, as sos does; False for JSON output
    recorded_as: str = ""  # record artifacts under this spec name (journal excerpts -> log.syslog)
    # its lines are settings, table rows or listings, not a program's messages: a word such as
    # `panic` or `error` in them (`kernel.panic = 0`, `ii liberror-perl`) is no unexplained error.
    # Every file but a log; a command that lists (`dpkg -l`, `sysctl -a`, `lvs`) says so.
    data: bool = False

    @property
    def tail(self) -> str:
        return self.name.split(".", 1)[1]

    def bundle_paths(self) -> tuple[str, ...]:
        """Where artifacts of this spec live under a node's folder of a bundle."""
        if self.kind == "command":
            return (f"cmd/{self.tail}.txt",)
        if self.kind == "api":
            return (f"api/{self.tail.removeprefix('api_')}.json",)
        return tuple(p.lstrip("/") for p in self.source.split("|"))

    def bundle_path_for(self, node_path: str | None = None) -> str:
        if self.kind == "command":
            return f"cmd/{self.tail}.txt"
        if self.kind == "api":
            return f"api/{self.tail.removeprefix('api_')}.json"
        return (node_path or self.source.split("|")[0]).lstrip("/")


def spec(
    name: str,
    kind: str,
    source: str,
    description: str,
    *,
    names: tuple[str, ...] = (),
    sniff: tuple[str, ...] = (),
    sniff_weight: int = 10,
    multi: bool = False,
    timeout: float = 20.0,
    redact: bool = False,
    applies_if: str = "",
    max_bytes: int = 0,
    max_instances: int = 0,
    collect: str = "",
    live: bool = True,
    merge_stderr: bool = True,
    recorded_as: str = "",
    data: bool | None = None,
) -> Spec:
    if name in SPECS:
        raise ValueError(f"spec {name} declared twice")
    s = Spec(
        name=name,
        kind=kind,
        source=source,
        description=description,
        names=names,
        sniff=tuple(lazy_compile(p, re.M) for p in sniff),  # most are searched by RE2 (_sniff.py)
        sniff_weight=sniff_weight,
        multi=multi,
        timeout=timeout,
        redact=redact,
        platform=name.split(".", 1)[0],
        applies_if=applies_if,
        max_bytes=max_bytes,
        max_instances=max_instances,
        collect=collect,
        live=live,
        merge_stderr=merge_stderr,
        recorded_as=recorded_as,
        data=kind == "file" if data is None else data,
    )
    SPECS[name] = s
    return s


def get(name: str) -> Spec:
    return SPECS[name]


def all_specs() -> list[Spec]:
    return list(SPECS.values())


def identify_by_path(rel_path: str) -> Spec | None:
    """The spec whose bundle path matches `rel_path` (a path under a node's folder)."""
    rel = rel_path.lstrip("/")
    for s in SPECS.values():
        for pattern in s.bundle_paths():
            if fnmatch.fnmatchcase(rel, pattern) or (
                s.multi and fnmatch.fnmatchcase(rel, pattern + ".*")
            ):
                return s
    return None


@lru_cache(maxsize=None)
def _glob_parts(pattern: str) -> tuple[str, ...] | None:
    """The literal parts between the `*`s of a glob that holds no other wildcard; None otherwise."""
    return None if "?" in pattern or "[" in pattern else tuple(pattern.split("*"))


def glob_matches(name: str, pattern: str) -> bool:
    """`fnmatch.fnmatchcase(name, pattern)`. A glob of literals and `*` (all but two of the specs'
    file-name globs) is matched by finding its parts in order: fnmatch compiles every pattern
    to a regex when first used (~0.2 ms each), and a loose file is scored against every spec's
    names at every start.

    >>> glob_matches("kube-apiserver-node1.log.1", "kube-apiserver*.log*"), glob_matches("ab", "a*b*b")
    (True, False)
    """
    parts = _glob_parts(pattern)
    if parts is None:
        return fnmatch.fnmatchcase(name, pattern)
    first, last = parts[0], parts[-1]
    if len(parts) == 1:
        return name == first
    if len(name) < len(first) + len(last) or not name.startswith(first) or not name.endswith(last):
        return False
    pos, end = len(first), len(name) - len(last)
    for part in parts[1:-1]:
        i = name.find(part, pos, end)
        if i < 0:
            return False
        pos = i + len(part)
    return True


_SNIFFER: tuple[int, list[tuple[Spec, int]], Sniffer] | None = None


def _sniffer() -> tuple[list[tuple[Spec, int]], Sniffer]:
    """Every spec with the index of its first sniff pattern, and the sniffer of them all (made
    again if a spec was registered since)."""
    global _SNIFFER
    if _SNIFFER is None or _SNIFFER[0] != len(SPECS):
        specs: list[tuple[Spec, int]] = []
        patterns: list[re.Pattern[str]] = []
        for s in SPECS.values():
            specs.append((s, len(patterns)))
            patterns.extend(s.sniff)
        _SNIFFER = (len(SPECS), specs, Sniffer(patterns))
    return _SNIFFER[1], _SNIFFER[2]


def sniff_content(file_name: str, head: str) -> list[tuple[int, Spec, str]]:
    """Score every spec for a loose file: by its name and by patterns in its first bytes.

    Returns (score, spec, why) best first; an empty list means nobody recognises it.
    """
    base = file_name.rsplit("/", 1)[-1].lower()
    specs, sniffer = _sniffer()
    matched = sniffer.matching(head)
    scored: list[tuple[int, Spec, str]] = []
    for s, first in specs:
        score = 0
        why: list[str] = []
        if any(glob_matches(base, g) for g in s.names):
            score += 5
            why.append("file name")
        hits = sum(1 for i in range(first, first + len(s.sniff)) if i in matched)
        if hits:
            score += s.sniff_weight + hits
            why.append("content")
        if score:
            scored.append((score, s, " and ".join(why)))
    scored.sort(key=lambda t: (-t[0], t[1].name))
    return scored
