"""`hostname`: the host name the node runs under (kubelet's default node name).

    BJ-M8-HADOOP-105-145

A paste may carry the prompt line (`$ hostname`) before it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser

_PROMPT = re.compile(r"^\s*(\S+@\S+.*?[#$]|\[[^\]]*\][#$]|\$|#)\s*(hostname|hostnamectl)\b")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,252}$")


@dataclass(frozen=True, slots=True)
class Hostname:
    name: str
    line: int

    @property
    def short(self) -> str:
        return self.name.split(".", 1)[0]

    @property
    def has_upper(self) -> bool:
        return self.name != self.name.lower()


@parser("host.hostname")
def parse_hostname(text: str) -> Parsed[Hostname]:
    """Parse `hostname` output.

    >>> r = parse_hostname("$ hostname\\nBJ-M8-HADOOP-105-145\\n")
    >>> (r.value.name, r.value.line, r.value.has_upper, r.problems)
    ('BJ-M8-HADOOP-105-145', 2, True, [])
    """
    problems: list[ParseProblem] = []
    found: Hostname | None = None
    for no, raw in enumerate(text.splitlines(), 1):
        s = raw.strip()
        if not s or _PROMPT.match(raw):
            continue
        if found is None and _NAME.match(s):
            found = Hostname(s, no)
        else:
            problems.append(ParseProblem("not a host name" if found is None else "more than one line; the first is used",
                                         no, raw[:200]))
    if found is None:
        return Parsed(None, problems[:5] or [ParseProblem("empty")])
    return Parsed(found, problems[:10])
