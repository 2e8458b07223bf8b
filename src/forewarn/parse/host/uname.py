"""`uname -a` (or `uname -r`): the running kernel.

    Linux ip-10-200-1-206.ap-southeast-1.compute.internal 3.10.0-1127.el7.x86_64 #1 SMP Tue Mar 31 23:36:51 UTC 2020 x86_64 x86_64 x86_64 GNU/Linux

A paste may carry the prompt (`$ uname -a`) before it; `uname -r` prints the release alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from forewarn.model.keys import Key
from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser
from forewarn.parse._text import lazy_compile

_PROMPT = lazy_compile(r"^\s*(\S+@\S+.*?[#$]|\[[^\]]*\][#$]|\$|#)\s*uname\b")
_A = lazy_compile(r"^\s*(?P<os>Linux|GNU/Linux)\s+(?P<host>\S+)\s+(?P<release>\d+\.\d+\S*)\s+(?P<rest>.*)$")
_R = lazy_compile(r"^\s*(?P<release>\d+\.\d+(?:\.\d+)?[\w.+~-]*)\s*$")
_VER = lazy_compile(r"^(\d+)\.(\d+)(?:\.(\d+))?")


@dataclass(frozen=True, slots=True)
class Uname:
    release: str
    line: int
    hostname: str | None = None
    machine: str | None = None

    @property
    def version(self) -> tuple[int, int, int]:
        """(3, 10, 0) from `3.10.0-1127.el7.x86_64`."""
        m = _VER.match(self.release)
        if not m:
            return (0, 0, 0)
        return (int(m.group(1)), int(m.group(2)), int(m.group(3) or 0))


UNAME = Key("host.uname", Uname)


@parser("host.uname")
def parse_uname(text: str) -> Parsed[Uname]:
    """Parse `uname -a` or `uname -r`.

    >>> r = parse_uname("$ uname -a\\nLinux ip-10-200-1-206 3.10.0-1127.el7.x86_64 #1 SMP Tue Mar 31 "
    ...                 "23:36:51 UTC 2020 x86_64 x86_64 x86_64 GNU/Linux\\n")
    >>> u = r.value
    >>> (u.release, u.version, u.hostname, u.machine, u.line, r.problems)
    ('3.10.0-1127.el7.x86_64', (3, 10, 0), 'ip-10-200-1-206', 'x86_64', 2, [])
    """
    problems: list[ParseProblem] = []
    found: Uname | None = None
    for no, raw in enumerate(text.splitlines(), 1):
        if not raw.strip() or _PROMPT.match(raw):
            continue
        m = _A.match(raw)
        if m:
            words = m.group("rest").split()
            machine = words[-2] if len(words) >= 2 and words[-1] in ("GNU/Linux", "Linux") else None
            cand = Uname(m.group("release"), no, m.group("host"), machine)
        else:
            m = _R.match(raw)
            cand = Uname(m.group("release"), no) if m else None
        if cand is None:
            problems.append(ParseProblem("not uname output", no, raw[:200]))
            continue
        if found is None:
            found = cand
        else:
            problems.append(ParseProblem("a second uname line; the first is used", no, raw[:200]))
    if found is None:
        return Parsed(None, problems[:5] or [ParseProblem("empty")])
    return Parsed(found, problems[:20])
