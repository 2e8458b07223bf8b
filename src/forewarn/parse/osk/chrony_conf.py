"""`chrony.conf`: one directive per line (`server ADDRESS [options]`, `allow all`, `makestep 3 3`).

Kolla renders it at `/etc/kolla/chrony/chrony.conf`; on computes its `server` lines point at the
controllers' chrony, so a wrong controller address shows here too (seed 003 §3.5).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from forewarn.model.keys import Key
from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser
from forewarn.parse._text import lazy_compile

_DIRECTIVE = lazy_compile(r"^[a-z][a-z0-9_]*$")
# chrony.conf(5) directives; anything else is reported, so prose is not taken for a config.
KNOWN = frozenset("""
acquisitionport allow authselectmode bindacqaddress bindacqdevice bindaddress bindcmdaddress
bindcmddevice binddevice broadcast clientloglimit clockprecision cmdallow cmddeny cmdport
cmdratelimit combinelimit commandkey confdir corrtimeratio deny dscp driftfile dumpdir dumponexit
fallbackdrift generatecommandkey hwclockfile hwtimestamp hwtsinterval include initstepslew
keyfile leapsecmode leapsectz linux_freq_scale linux_hz local lock_all log logbanner logchange
logdir mailonchange makestep manual maxchange maxclockerror maxdistance maxdrift maxjitter
maxntsconnections maxsamples maxslewrate maxupdateskew minsamples minsources noclientlog
nocerttimecheck ntpsigndsocket ntsdumpdir ntsntpserver ntsport ntsprocesses ntsrefresh
ntsrotate ntsservercert ntsserverkey ntstrustedcerts peer pidfile pool port ptpport ratelimit
refclock refresh reselectdist rtcautotrim rtcdevice rtcfile rtconutc rtcsync sched_priority server
smoothtime sourcedir stratumweight tempcomp user
""".split())
_SOURCES = ("server", "pool", "peer")


@dataclass(frozen=True, slots=True)
class ChronyDirective:
    name: str
    args: tuple[str, ...]
    line: int


@dataclass(slots=True)
class ChronyConf:
    directives: list[ChronyDirective] = field(default_factory=list)

    def sources(self) -> list[ChronyDirective]:
        """`server`, `pool` and `peer` lines, in file order."""
        return [d for d in self.directives if d.name in _SOURCES and d.args]

    def get(self, name: str) -> list[ChronyDirective]:
        return [d for d in self.directives if d.name == name]


CHRONY_CONF = Key("osk.chrony_conf", ChronyConf)


@parser("osk.chrony_conf")
def parse_chrony_conf(text: str) -> Parsed[ChronyConf]:
    """`/etc/kolla/chrony/chrony.conf` (or any chrony.conf).

    >>> r = parse_chrony_conf("server 192.168.56.120 iburst\\n# comment\\nmakestep 3 3\\nbindaddress 192.168.56.110\\n")
    >>> [(d.name, d.args, d.line) for d in r.value.sources()], r.value.get("bindaddress")[0].args
    ([('server', ('192.168.56.120', 'iburst'), 1)], ('192.168.56.110',))
    """
    conf = ChronyConf()
    problems: list[ParseProblem] = []
    for no, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line[0] in "#!;%":
            continue
        parts = line.split()
        name = parts[0].lower()
        if not _DIRECTIVE.match(name) or name not in KNOWN:
            problems.append(ParseProblem("not a chrony directive", no, raw))
            continue
        conf.directives.append(ChronyDirective(name, tuple(parts[1:]), no))
    if not conf.directives:
        problems.insert(0, ParseProblem("no chrony directives found"))
        return Parsed(None, problems)
    if len(problems) > max(3, len(conf.directives)):
        problems.insert(0, ParseProblem("mostly unreadable: not a chrony.conf"))
        return Parsed(None, problems)
    return Parsed(conf, problems)
