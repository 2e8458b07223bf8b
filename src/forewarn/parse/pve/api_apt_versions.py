"""`GET /nodes/{node}/apt/versions`: the Proxmox VE packages of a node, parsed into the same
`PveVersion` as `pveversion -v`.

`pveversion -v` prints exactly this list (pve-manager, bin/pveversion calls
PVE::API2::APT->versions), so a row is read the way it prints it:

    {"Package": "proxmox-ve", "OldVersion": "8.2.0", "Version": "8.2.0", "CurrentState": "Installed",
     "RunningKernel": "6.8.8-2-pve", ...}
    {"Package": "pve-manager", "OldVersion": "8.2.4", "CurrentState": "Installed", "ManagerVersion": "8.2.4", ...}

the installed version is `OldVersion` when `CurrentState` is `Installed` (`Version` is the
candidate an upgrade would bring), `residual config` for `ConfigFiles`, else `not correctly
installed`; `RunningKernel` rides on proxmox-ve's row, `ManagerVersion` (the running manager,
`8.2.4/faa83925c9641325` in real answers) on pve-manager's.
"""

from __future__ import annotations

from typing import Any

from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser
from forewarn.parse.pve._api_json import json_rows
from forewarn.parse.pve.pveversion import PveVersion


def _installed(row: dict[str, Any]) -> str:
    state = str(row.get("CurrentState") or "")
    old = row.get("OldVersion")
    if old and state == "Installed":
        return str(old)
    return "residual config" if state == "ConfigFiles" else "not correctly installed"


@parser("pve.api_apt_versions")
def parse_api_apt_versions(text: str) -> Parsed[PveVersion]:
    """Parse the JSON of `GET /nodes/{node}/apt/versions`.

    >>> r = parse_api_apt_versions('[{"Package": "proxmox-ve", "OldVersion": "8.2.0", "CurrentState": "Installed",'
    ...     ' "RunningKernel": "6.8.8-2-pve"},\\n{"Package": "pve-manager", "OldVersion": "8.2.4", "Version": "8.2.7",'
    ...     ' "CurrentState": "Installed", "ManagerVersion": "8.2.4"},\\n{"Package": "ceph", "Version": "18.2.2",'
    ...     ' "CurrentState": "NotInstalled"}]')
    >>> v = r.value
    >>> (v.major, v.manager_version, v.running_kernel, v.running_version, v.installed("ceph"), v.lines["pve-manager"])
    (8, '8.2.4', '6.8.8-2-pve', '8.2.4', False, 2)
    """
    rows, problems = json_rows(text)
    if rows is None:
        return Parsed(None, problems)
    out = PveVersion({})
    for line, row in rows:
        pkg = row.get("Package")
        if not isinstance(pkg, str) or not pkg:
            problems.append(ParseProblem("a row without Package", line, repr(row)[:120]))
            continue
        if pkg in out.packages:  # listed twice: the first wins, as in pveversion's own output
            continue
        out.packages[pkg] = _installed(row)
        out.lines[pkg] = line
        if row.get("RunningKernel"):
            out.running_kernel = out.running_kernel or str(row["RunningKernel"])
        if row.get("ManagerVersion"):
            out.running_version = out.running_version or str(row["ManagerVersion"])
    if not out.packages:
        problems.insert(0, ParseProblem("no package versions found"))
        return Parsed(None, problems)
    return Parsed(out, problems)
