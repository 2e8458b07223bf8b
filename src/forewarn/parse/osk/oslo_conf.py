"""oslo.config-style INI files (`nova.conf`, `neutron.conf`, `placement.conf`, ...) and libvirt's
`libvirtd.conf`, read by one small tolerant reader.

Why not `configparser`: oslo options may be given several times (multi-valued options such as
`[DEFAULT] transport_url` in older releases or `[filter_scheduler] enabled_filters` overrides), and
a finding must cite the line a value came from. `configparser` keeps the last value of a repeated
key (or refuses it with `strict=True`) and forgets line numbers, so this reader keeps every
assignment with its section and line, in file order, the way oslo.config's own `iniparser` reads:

- `[section]` headers; assignments before any header belong to the section `""` (libvirtd.conf has
  no sections);
- `key = value` or `key: value`; a value wrapped in matching quotes loses them (as oslo does);
- lines starting with `#` or `;` are comments; a `#` later in a line is part of the value (oslo
  does not strip inline comments: `transport_url` passwords may contain `#`);
- a line that starts with whitespace continues the previous value (joined with a newline);
- keys are compared with `-` and `_` as the same character, and sections case-insensitively;
  assignments before any header count as `[DEFAULT]`;
- a `1 | ... |` line-number gutter (a code block pasted from a blog, as in seed 003) is dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from forewarn.model.keys import Key
from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser
from forewarn.parse._text import lazy_compile

_SECTION = lazy_compile(r"^\[(?P<name>[^\]]*)\]\s*(?:[#;].*)?$")
_GUTTER = lazy_compile(r"^\s*\d+\s+\|\s?")  # `1 | ` line-number gutter of a code block pasted from a blog
_ASSIGN = lazy_compile(r"^(?P<key>[A-Za-z0-9_.\-/]+)\s*(?P<sep>[=:])\s?(?P<value>.*)$")


def norm_key(key: str) -> str:
    return key.strip().replace("-", "_").lower()


def unquote(value: str) -> str:
    v = value.strip()
    if len(v) >= 2 and v[0] == v[-1] and v[0] in ("'", '"'):
        return v[1:-1]
    return v


@dataclass(frozen=True, slots=True)
class ConfValue:
    section: str  # as written; "" before the first section header
    key: str  # as written
    value: str  # unquoted, continuation lines joined with "\n"
    line: int  # line of the key


@dataclass(slots=True)
class OsloConf:
    values: list[ConfValue] = field(default_factory=list)  # every assignment, in file order
    sections: list[str] = field(default_factory=list)  # in order of first appearance

    def all(self, section: str, key: str) -> list[ConfValue]:
        """Every assignment of `key` in `section` (oslo multi-valued options keep them all)."""
        s, k = section.lower(), norm_key(key)
        same = ("default", "") if s in ("default", "") else (s,)
        return [v for v in self.values if v.section.lower() in same and norm_key(v.key) == k]

    def entry(self, section: str, key: str) -> ConfValue | None:
        """The assignment that wins for a single-valued option (the last one, as in oslo)."""
        found = self.all(section, key)
        return found[-1] if found else None

    def get(self, section: str, key: str, default: str | None = None) -> str | None:
        e = self.entry(section, key)
        return e.value if e is not None else default

    def has_section(self, section: str) -> bool:
        return any(s.lower() == section.lower() for s in self.sections)


def read_ini(text: str) -> Parsed[OsloConf]:
    """Read oslo-style INI text into every assignment with its section and line.

    >>> r = read_ini("[DEFAULT]\\ntransport_url = rabbit://a@10.0.0.1:5672//\\n"
    ...              "[libvirt]\\ncpu_mode = host-model\\ncpu_models = Haswell\\ncpu_models = Broadwell\\n")
    >>> c = r.value
    >>> (c.get("libvirt", "cpu_mode"), [v.value for v in c.all("libvirt", "cpu-models")], c.entry("DEFAULT", "transport_url").line)
    ('host-model', ['Haswell', 'Broadwell'], 2)
    """
    conf = OsloConf()
    problems: list[ParseProblem] = []
    section = ""
    cont: ConfValue | None = None  # the assignment a continuation line would extend
    colons = 0  # `key: value` assignments: many of them and no section means YAML, not INI
    for no, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip()
        if _GUTTER.match(line):
            line = re.sub(r"\s+\|$", "", _GUTTER.sub("", line, count=1))
        stripped = line.strip()
        if not stripped:
            cont = None
            continue
        if stripped[0] in "#;":
            continue
        if line[0] in " \t" and cont is not None:
            joined = ConfValue(cont.section, cont.key, (cont.value + "\n" + stripped).strip(), cont.line)
            conf.values[-1] = joined
            cont = joined
            continue
        m = _SECTION.match(stripped)
        if m:
            section = m.group("name").strip()
            if not any(s.lower() == section.lower() for s in conf.sections):
                conf.sections.append(section)
            cont = None
            continue
        m = _ASSIGN.match(stripped)
        if m:
            v = ConfValue(section, m.group("key"), unquote(m.group("value")), no)
            colons += m.group("sep") == ":"
            conf.values.append(v)
            cont = v
            continue
        problems.append(ParseProblem("not a section, an assignment or a comment", no, raw))
        cont = None
    if not conf.values:
        problems.insert(0, ParseProblem("no `key = value` assignments found"))
        return Parsed(None, problems)
    if not conf.sections and colons * 2 > len(conf.values):
        problems.insert(0, ParseProblem("`key: value` lines and no [section]: YAML, not an INI file"))
        return Parsed(None, problems)
    if len(problems) > max(5, len(conf.values)):
        # mostly prose or another format that happens to contain a few `a = b` lines
        problems.insert(0, ParseProblem("mostly not INI: more unreadable lines than assignments"))
        return Parsed(None, problems)
    return Parsed(conf, problems)


NOVA_CONF = Key("osk.nova_conf", OsloConf)
NEUTRON_CONF = Key("osk.neutron_conf", OsloConf)
PLACEMENT_CONF = Key("osk.placement_conf", OsloConf)
SERVICE_CONF = Key("osk.service_conf", OsloConf)


@parser("osk.nova_conf", "osk.neutron_conf", "osk.placement_conf", "osk.service_conf")
def parse_oslo_conf(text: str) -> Parsed[OsloConf]:
    """An oslo.config file such as `/etc/kolla/nova-compute/nova.conf` (`cat` of the file).

    >>> r = parse_oslo_conf("[DEFAULT]\\nmy_ip = 192.168.56.111\\n[placement]\\n"
    ...                     "auth_url = http://192.168.56.120:35357\\n")
    >>> (r.value.get("placement", "auth_url"), r.value.entry("DEFAULT", "my_ip").line, r.problems)
    ('http://192.168.56.120:35357', 2, [])
    """
    return read_ini(text)


@dataclass(slots=True)
class LibvirtdConf:
    conf: OsloConf

    def entry(self, key: str) -> ConfValue | None:
        return self.conf.entry("", key)

    def get(self, key: str) -> str | None:
        return self.conf.get("", key)

    def flag(self, key: str) -> bool | None:
        """An integer switch such as `listen_tcp`: True for non-zero, None when not set."""
        v = self.get(key)
        if v is None:
            return None
        try:
            return int(v, 0) != 0
        except ValueError:
            return None


LIBVIRTD_CONF = Key("osk.libvirtd_conf", LibvirtdConf)


@parser("osk.libvirtd_conf")
def parse_libvirtd_conf(text: str) -> Parsed[LibvirtdConf]:
    """`libvirtd.conf` (Kolla: `/etc/kolla/nova-libvirt/libvirtd.conf`). Commented settings are
    not settings: `#listen_tcp = 1` leaves libvirt's default (off).

    >>> r = parse_libvirtd_conf('listen_tcp = 1\\nlisten_tls = 0\\nlisten_addr = "192.168.226.80"\\n')
    >>> (r.value.flag("listen_tcp"), r.value.flag("listen_tls"), r.value.get("listen_addr"), r.value.flag("auth_tcp"))
    (True, False, '192.168.226.80', None)
    """
    r = read_ini(text)
    if r.value is None:
        # a file with nothing but comments is a valid libvirtd.conf: every setting at its default
        lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
        if lines and all(ln.startswith("#") for ln in lines):
            return Parsed(LibvirtdConf(OsloConf()), [])
        return Parsed(None, r.problems)
    return Parsed(LibvirtdConf(r.value), r.problems)
