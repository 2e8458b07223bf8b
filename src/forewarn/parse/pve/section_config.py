"""Proxmox's section-config format: storage.cfg, ha/resources.cfg, ha/groups.cfg, ha/rules.cfg,
replication.cfg.

    zfspool: local-zfs
    	pool rpool/data
    	content images,rootdir
    	sparse

A section starts with `type: id` at column 0; its properties are indented `key value` lines (a
key alone is a flag, worth "1"); a blank line or the next header ends it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from forewarn.model.keys import Key
from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser
from forewarn.parse._text import lazy_compile

_HEADER = lazy_compile(r"^(?P<type>[a-z][a-z0-9\-_]*):\s+(?P<id>\S+)\s*$")


@dataclass(slots=True)
class Section:
    type: str
    id: str
    line: int
    props: dict[str, str] = field(default_factory=dict)
    prop_lines: dict[str, int] = field(default_factory=dict)

    def get(self, key: str, default: str | None = None) -> str | None:
        return self.props.get(key, default)

    def flag(self, key: str) -> bool:
        return self.props.get(key, "0") not in ("0", "", "no", "false")

    def lines(self) -> list[int]:
        return [self.line, *self.prop_lines.values()]

    def list(self, key: str) -> list[str]:  # defined last: below it, `list` in this class is this method
        raw = self.props.get(key, "")
        return [p.strip() for p in re.split(r"[,;\s]+", raw) if p.strip()]


@dataclass(slots=True)
class SectionConfig:
    sections: list[Section]

    def by_type(self, *types: str) -> list[Section]:
        return [s for s in self.sections if s.type in types]

    def get(self, sid: str, type_: str | None = None) -> Section | None:
        return next((s for s in self.sections if s.id == sid and (type_ is None or s.type == type_)), None)


STORAGE_CFG = Key("pve.storage_cfg", SectionConfig, alternatives=("pve.api_storage_config",))
HA_RESOURCES_CFG = Key("pve.ha_resources_cfg", SectionConfig)
HA_GROUPS_CFG = Key("pve.ha_groups_cfg", SectionConfig)
HA_RULES_CFG = Key("pve.ha_rules_cfg", SectionConfig)
REPLICATION_CFG = Key("pve.replication_cfg", SectionConfig)


@parser("pve.storage_cfg", "pve.ha_resources_cfg", "pve.ha_groups_cfg", "pve.ha_rules_cfg",
        "pve.replication_cfg")
def parse_section_config(text: str) -> Parsed[SectionConfig]:
    """Parse a Proxmox section-config file.

    >>> r = parse_section_config("dir: local\\n\\tpath /var/lib/vz\\n\\tcontent iso,backup\\n\\n"
    ...                          "zfspool: local-zfs\\n\\tpool rpool/data\\n\\tsparse\\n")
    >>> [(s.type, s.id, s.props) for s in r.value.sections]
    [('dir', 'local', {'path': '/var/lib/vz', 'content': 'iso,backup'}), ('zfspool', 'local-zfs', {'pool': 'rpool/data', 'sparse': '1'})]
    """
    sections: list[Section] = []
    problems: list[ParseProblem] = []
    cur: Section | None = None
    for no, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            cur = None
            continue
        if raw.lstrip().startswith("#"):
            continue
        if raw[0] not in " \t":
            m = _HEADER.match(raw)
            if m:
                cur = Section(m.group("type"), m.group("id"), no)
                sections.append(cur)
            else:
                cur = None
                problems.append(ParseProblem("not a section header (`type: id`)", no, raw))
            continue
        if cur is None:
            problems.append(ParseProblem("property outside a section", no, raw))
            continue
        key, _, value = raw.strip().partition(" ")
        if not re.match(r"^[A-Za-z][\w\-]*$", key):
            problems.append(ParseProblem("not a `key value` property", no, raw))
            continue
        cur.props[key] = value.strip() if value.strip() else "1"
        cur.prop_lines[key] = no
    if not sections:
        if not any(ln.strip() and not ln.lstrip().startswith("#") for ln in text.splitlines()):
            return Parsed(SectionConfig([]), [])  # an empty config (no HA resources yet) is a state
        problems.insert(0, ParseProblem("no sections found"))
        return Parsed(None, problems)
    return Parsed(SectionConfig(sections), problems)
