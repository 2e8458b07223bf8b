"""`GET /storage`: the cluster's storage definitions, parsed into the same `SectionConfig` as
/etc/pve/storage.cfg.

    [{"storage": "local-lvm", "type": "lvmthin", "vgname": "pve", "thinpool": "data",
      "content": "images,rootdir", "digest": "abcd..."}, ...]

Each row is one section of the file: `type: storage` with the other keys as its properties
(numbers and flags come as JSON numbers: `"shared": 1` is the file's `shared`). `digest` is the
file's checksum, not a property. Secrets (a CIFS password, a PBS key) are not part of the answer:
Proxmox keeps them under /etc/pve/priv.
"""

from __future__ import annotations

from typing import Any

from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser
from forewarn.parse.pve._api_json import json_rows
from forewarn.parse.pve.section_config import Section, SectionConfig

_NOT_PROPS = ("storage", "type", "digest")


def _text(value: Any) -> str | None:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (int, str)):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    return None


@parser("pve.api_storage_config")
def parse_api_storage_config(text: str) -> Parsed[SectionConfig]:
    """Parse the JSON of `GET /storage`.

    >>> r = parse_api_storage_config('[{"storage": "local", "type": "dir", "path": "/var/lib/vz", "shared": 0},\\n'
    ...     '{"storage": "nfs", "type": "nfs", "shared": 1, "nodes": "node1,node2", "digest": "ab"}]')
    >>> [(s.type, s.id, s.props, s.line, s.flag("shared")) for s in r.value.sections]
    [('dir', 'local', {'path': '/var/lib/vz', 'shared': '0'}, 1, False), ('nfs', 'nfs', {'shared': '1', 'nodes': 'node1,node2'}, 2, True)]
    """
    rows, problems = json_rows(text)
    if rows is None:
        return Parsed(None, problems)
    sections: list[Section] = []
    for line, row in rows:
        sid, kind = row.get("storage"), row.get("type")
        if not isinstance(sid, str) or not isinstance(kind, str) or not sid or not kind:
            problems.append(ParseProblem("a storage row without storage id or type", line, repr(row)[:120]))
            continue
        sec = Section(kind, sid, line)
        for key, value in row.items():
            if key in _NOT_PROPS:
                continue
            v = _text(value)
            if v is None:
                problems.append(ParseProblem(f"storage {sid}: property {key!r} is not a plain value", line))
                continue
            sec.props[key] = v
            sec.prop_lines[key] = line
        sections.append(sec)
    if not sections:
        problems.insert(0, ParseProblem("no storage definition found"))
        return Parsed(None, problems)
    return Parsed(SectionConfig(sections), problems)
