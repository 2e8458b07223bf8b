"""`docker info`: the daemon's storage driver, d_type support, cgroup driver and kernel.

    Server Version: 20.10.24+dfsg1
    Storage Driver: overlay2
     Backing Filesystem: xfs
     Supports d_type: true

Old Docker prints the server facts at the left margin; newer Docker indents them under a
`Server:` heading after a `Client:` block. Both are read; `WARNING:` lines are kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from forewarn.model.keys import Key
from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser
from forewarn.parse._text import lazy_compile

_KV = lazy_compile(r"^(?P<indent>\s*)(?P<key>[A-Za-z][\w ./()-]*?):\s?(?P<value>.*)$")
_WANTED = {
    "Server Version": "server_version", "Storage Driver": "storage_driver",
    "Backing Filesystem": "backing_filesystem", "Supports d_type": "supports_d_type",
    "Cgroup Driver": "cgroup_driver", "Cgroup Version": "cgroup_version",
    "Kernel Version": "kernel_version", "Docker Root Dir": "docker_root_dir",
    "Operating System": "operating_system", "Logging Driver": "logging_driver", "Name": "name",
    # devicemapper's thin pool (the storage driver reports its pool's space)
    "Data Space Available": "data_space_available", "Data Space Total": "data_space_total",
    "Metadata Space Available": "metadata_space_available",
    "Thin Pool Minimum Free Space": "thin_pool_minimum_free_space",
}


@dataclass(slots=True)
class DockerInfo:
    server_version: str | None = None
    storage_driver: str | None = None
    backing_filesystem: str | None = None
    supports_d_type: bool | None = None
    cgroup_driver: str | None = None
    cgroup_version: str | None = None
    kernel_version: str | None = None
    docker_root_dir: str | None = None
    operating_system: str | None = None
    logging_driver: str | None = None
    name: str | None = None
    data_space_available: str | None = None  # devicemapper: `0B`, `8.589GB` as printed
    data_space_total: str | None = None
    metadata_space_available: str | None = None
    thin_pool_minimum_free_space: str | None = None
    warnings: list[str] = field(default_factory=list)
    server_error: str | None = None  # "Cannot connect to the Docker daemon ..."
    lines: dict[str, int] = field(default_factory=dict)


DOCKER_INFO = Key("k8s.docker_info", DockerInfo)


@parser("k8s.docker_info")
def parse_docker_info(text: str) -> Parsed[DockerInfo]:
    """Parse `docker info`.

    >>> r = parse_docker_info("Server Version: 17.06.2-ce\\nStorage Driver: overlay\\n"
    ...                       " Backing Filesystem: xfs\\n Supports d_type: false\\n")
    >>> v = r.value
    >>> (v.storage_driver, v.backing_filesystem, v.supports_d_type, v.lines["supports_d_type"])
    ('overlay', 'xfs', False, 4)
    """
    out = DockerInfo()
    problems: list[ParseProblem] = []
    warning: list[str] = []
    for no, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip()
        if not line.strip():
            if warning:
                out.warnings.append(" ".join(warning))
                warning = []
            continue
        s = line.strip()
        if s.startswith("WARNING:"):
            if warning:
                out.warnings.append(" ".join(warning))
            warning = [s]
            out.lines.setdefault("warning", no)
            continue
        if warning and line[:1].isspace() and ":" not in s[:20]:
            warning.append(s)
            continue
        if warning:
            out.warnings.append(" ".join(warning))
            warning = []
        if s.startswith(("Cannot connect to the Docker daemon", "Error response from daemon",
                         "permission denied while trying to connect")):
            out.server_error = s
            out.lines["server_error"] = no
            continue
        m = _KV.match(line)
        if not m:
            continue
        key, value = m.group("key").strip(), m.group("value").strip()
        attr = _WANTED.get(key)
        if attr is None or attr in out.lines:
            continue
        out.lines[attr] = no
        if attr == "supports_d_type":
            low = value.lower()
            out.supports_d_type = True if low == "true" else False if low == "false" else None
        else:
            setattr(out, attr, value or None)
    if warning:
        out.warnings.append(" ".join(warning))
    found = [a for a in _WANTED.values() if a in out.lines]
    if not found and out.server_error is None:
        return Parsed(None, [ParseProblem("no docker info fields found")])
    if out.server_error and not found:
        problems.append(ParseProblem("docker info has no server part: " + out.server_error[:80],
                                     out.lines.get("server_error")))
    return Parsed(out, problems)
