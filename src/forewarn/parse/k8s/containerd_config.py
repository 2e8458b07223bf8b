"""`/etc/containerd/config.toml` (what `containerd config default` prints), read with tomllib.

    version = 2
    root = "/var/lib/containerd"
    [plugins."io.containerd.grpc.v1.cri"]
      sandbox_image = "registry.k8s.io/pause:3.6"
      [plugins."io.containerd.grpc.v1.cri".containerd]
        snapshotter = "overlayfs"

Version 2 and 3 files name the CRI plugin differently; both are searched. When the TOML does
not load (a paste cut short), the few keys that matter are still read line by line.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from typing import Any

from forewarn.model.keys import Key
from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser
from forewarn.parse._text import int_value, lazy_compile

_KEY = lazy_compile(r"^\s*(?P<key>sandbox_image|snapshotter|SystemdCgroup|root|version)\s*=\s*(?P<value>.+?)\s*$")


@dataclass(slots=True)
class ContainerdConfig:
    version: int | None = None
    root: str | None = None
    sandbox_image: str | None = None
    snapshotter: str | None = None
    systemd_cgroup: bool | None = None
    lines: dict[str, int] = field(default_factory=dict)


def _find(obj: Any, key: str) -> Any:
    """The first value of `key` anywhere below `obj` (depth first, file order)."""
    if isinstance(obj, dict):
        if key in obj:
            return obj[key]
        for v in obj.values():
            found = _find(v, key)
            if found is not None:
                return found
    return None


def _scalar(raw: str) -> str | bool | int:
    raw = raw.split("#", 1)[0].strip() if not raw.strip().startswith('"') else raw.strip()
    if raw in ("true", "false"):
        return raw == "true"
    if raw.isdigit():
        return int(raw)
    return raw.strip('"').strip("'")


CONTAINERD_CONFIG = Key("k8s.containerd_config", ContainerdConfig)


@parser("k8s.containerd_config")
def parse_containerd_config(text: str) -> Parsed[ContainerdConfig]:
    """Parse containerd's config.toml.

    >>> r = parse_containerd_config('version = 2\\n[plugins."io.containerd.grpc.v1.cri"]\\n'
    ...                             '  sandbox_image = "registry.k8s.io/pause:3.6"\\n')
    >>> (r.value.version, r.value.sandbox_image, r.value.lines["sandbox_image"], r.problems)
    (2, 'registry.k8s.io/pause:3.6', 3, [])
    """
    problems: list[ParseProblem] = []
    out = ContainerdConfig()
    seen: dict[str, Any] = {}
    for no, raw in enumerate(text.splitlines(), 1):
        m = _KEY.match(raw)
        if m and m.group("key") not in out.lines:
            out.lines[m.group("key")] = no
            seen[m.group("key")] = _scalar(m.group("value"))
    data: dict[str, Any] | None = None
    try:
        data = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, ValueError) as exc:
        problems.append(ParseProblem(f"TOML error: {str(exc)[:120]}"))
    if data is not None:
        for key in ("version", "root"):
            if key in data:
                seen[key] = data[key]
        for key in ("sandbox_image", "snapshotter", "SystemdCgroup"):
            v = _find(data.get("plugins", {}), key)
            if v is not None:
                seen[key] = v
    elif not seen:
        return Parsed(None, problems)
    if not seen and not (data or {}).get("plugins"):
        return Parsed(None, [ParseProblem("no containerd settings found"), *problems])
    v = seen.get("version")
    out.version = int_value(v)
    for key, attr in (("root", "root"), ("sandbox_image", "sandbox_image"), ("snapshotter", "snapshotter")):
        if isinstance(seen.get(key), str):
            setattr(out, attr, seen[key])
    if isinstance(seen.get("SystemdCgroup"), bool):
        out.systemd_cgroup = seen["SystemdCgroup"]
    return Parsed(out, problems)
