"""`hostname`: the host name the node runs under (kubelet's default node name).

    BJ-M8-HADOOP-105-145

A paste may carry the prompt line (`$ hostname`) before it.
"""

from __future__ import annotations

from dataclasses import dataclass

from forewarn.model.keys import Key
from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser
from forewarn.parse._text import lazy_compile

_PROMPT = lazy_compile(r"^\s*(\S+@\S+.*?[#$]|\[[^\]]*\][#$]|\$|#)\s*(hostname|hostnamectl)\b")
_NAME = lazy_compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,252}$")


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


HOSTNAME = Key("host.hostname", Hostname)


@parser("host.hostname")
def parse_hostname(text: str) -> Parsed[Hostname]:
    """Parse `hostname` output.

    >>> r = parse_hostname("$ hostname\\nBJ-M8-HADOOP-105-145\\n")
    >>> (r.value.name, r.value.line, r.value.has_upper, r.problems)
    ('BJ-M8-HADOOP-105-145', 2, True, [])
    """
    problems: list[ParseProblem] = []
    lines = [(no, raw) for no, raw in enumerate(text.splitlines(), 1) if raw.strip() and not _PROMPT.match(raw)]
    if not lines:
        return Parsed(None, [ParseProblem("empty")])
    if len(lines) > 2:  # `hostname` prints one line; this is some other output
        return Parsed(None, [ParseProblem("not `hostname` output (more than one line)", lines[0][0], lines[0][1][:200])])
    no, raw = lines[0]
    if not _NAME.match(raw.strip()):
        return Parsed(None, [ParseProblem("not a host name", no, raw[:200])])
    for extra_no, extra in lines[1:]:
        problems.append(ParseProblem("more than one line; the first is used", extra_no, extra[:200]))
    return Parsed(Hostname(raw.strip(), no), problems)
