"""`GET /nodes/{node}/qemu/{vmid}/config` and `.../lxc/{vmid}/config`: a guest's configuration as
the API gives it, parsed into the same `GuestConfig` as the config file.

    {"boot": "order=scsi0;ide2;net0", "cores": 2, "digest": "3c5f...", "memory": 2048,
     "scsi0": "local-lvm:vm-100-disk-0,size=32G", "lock": "backup", ...}

The keys are the file's keys with their values (numbers come as JSON numbers); `digest` is the
file's checksum, not an option; `description` is the file's leading `#` lines. Snapshots and
pending changes are not part of this answer. Which guest and node it belongs to comes from the
request's path, in facts/guests.py.
"""

from __future__ import annotations

import json
import re
from typing import Any

from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser
from forewarn.parse.pve.guest_config import DISK_KEY, MP_KEY, GuestConfig, Volume, property_string

_NOT_OPTIONS = ("digest", "description")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _object(text: str) -> tuple[dict[str, Any] | None, int, ParseProblem | None]:
    """The config object (unwrapped from `{"data": ...}`) and the line it starts on."""
    for m in re.finditer(r"^[ \t]*\{", text, re.M):
        try:
            value, _ = json.JSONDecoder().raw_decode(text, m.end() - 1)
        except ValueError:
            continue
        if isinstance(value, dict) and isinstance(value.get("data"), dict):
            value = value["data"]
        if isinstance(value, dict):
            return value, text.count("\n", 0, m.start()) + 1, None
        break
    return None, 0, ParseProblem("no JSON object found")


def _key_lines(text: str, start: int) -> dict[str, int]:
    """Where each top-level key sits, when the answer is printed one key per line."""
    out: dict[str, int] = {}
    for no, line in enumerate(text.splitlines()[start - 1:], start):
        m = re.match(r'^\s*"(?P<key>[A-Za-z][\w\-]*)"\s*:', line)
        if m:
            out.setdefault(m.group("key"), no)
    return out


@parser("pve.api_guest_config")
def parse_api_guest_config(text: str) -> Parsed[GuestConfig]:
    """Parse the JSON of a guest's config.

    >>> r = parse_api_guest_config('{"data": {"cores": 2, "digest": "ab12", "lock": "backup",\\n'
    ...     '"scsi0": "local-lvm:vm-100-disk-0,discard=on,size=32G", "description": "web"}}')
    >>> c = r.value
    >>> (c.lock, c.options["cores"], "digest" in c.options, c.description, [(v.key, v.storage, v.opts) for v in c.volumes])
    ('backup', '2', False, 'web', [('scsi0', 'local-lvm', {'discard': 'on', 'size': '32G'})])
    """
    obj, start, problem = _object(text)
    if obj is None:
        return Parsed(None, [problem] if problem else [])
    lines = _key_lines(text, start)
    options: dict[str, str] = {}
    where: dict[str, int] = {}
    volumes: list[Volume] = []
    problems: list[ParseProblem] = []
    for key, value in obj.items():
        if key in _NOT_OPTIONS:
            continue
        if isinstance(value, (dict, list)) or value is None:
            problems.append(ParseProblem(f"option {key!r} is not a plain value", lines.get(key, start)))
            continue
        options[key] = _text(value)
        where[key] = lines.get(key, start)
        if DISK_KEY.match(key) or MP_KEY.match(key):
            ps = property_string(options[key])
            volumes.append(Volume(key, ps.pop("volume", ""), ps, where[key]))
    if not options:
        problems.insert(0, ParseProblem("no guest options found"))
        return Parsed(None, problems)
    desc = obj.get("description")
    return Parsed(GuestConfig(options, where, volumes, desc if isinstance(desc, str) else ""), problems)
