"""A node's storages as the API reports them, parsed into the same `PvesmStatus` as `pvesm status`.

Two shapes are read, both real answers of the API:

- `GET /cluster/resources?type=storage` rows (what the collector stores, one node's rows per
  node): `{"storage": "local", "plugintype": "dir", "status": "available", "disk": ...,
  "maxdisk": ..., "node": "pve1", "shared": 0, ...}`. pvestatd fills them from each node's own
  storage status; `available` is what `pvesm status` prints as `active`, and a storage whose
  status the node did not report reads `unknown`;
- `GET /nodes/{node}/storage` rows (`pvesm status` prints these very rows):
  `{"storage": "local", "type": "dir", "active": 1, "enabled": 1, "total": ..., "used": ..., "avail": ...}`.

Sizes are in bytes (`unit` "B"), where the command prints KiB.
"""

from __future__ import annotations

from typing import Any

from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser
from forewarn.parse.pve._api_json import as_int, json_rows
from forewarn.parse.pve.pvesm_status import STATUSES, PvesmStatus, StorageStatus


def _status(row: dict[str, Any]) -> str:
    if "active" in row or "enabled" in row:  # /nodes/{node}/storage
        if as_int(row.get("enabled")) == 0:
            return "disabled"
        return "active" if as_int(row.get("active")) else "inactive"
    status = str(row.get("status") or "unknown")
    return "active" if status == "available" else status


def _row(line: int, row: dict[str, Any]) -> StorageStatus:
    nodes_shape = "active" in row or "enabled" in row
    total = as_int(row.get("total") if nodes_shape else row.get("maxdisk"))
    used = as_int(row.get("used") if nodes_shape else row.get("disk"))
    avail = as_int(row.get("avail")) if nodes_shape else None  # not reported there; total - used is not it (ZFS, thin pools)
    pct = round(used * 100 / total, 2) if total and used is not None else None
    return StorageStatus(str(row.get("storage")), str(row.get("plugintype") or row.get("type") or ""),
                         _status(row), total, used, avail, pct, line)


@parser("pve.api_storage_status")
def parse_api_storage_status(text: str) -> Parsed[PvesmStatus]:
    """Parse one node's storage rows from the API.

    >>> r = parse_api_storage_status('[{"storage": "nas", "plugintype": "nfs", "status": "unknown", '
    ...     '"node": "pve1", "type": "storage", "id": "storage/pve1/nas"}]')
    >>> [(s.name, s.type, s.status, s.active) for s in r.value.storages], r.value.unit, r.problems
    ([('nas', 'nfs', 'unknown', False)], 'B', [])
    """
    rows, problems = json_rows(text)
    if rows is None:
        return Parsed(None, problems)
    storages: list[StorageStatus] = []
    nodes: set[str] = set()
    for line, row in rows:
        if not row.get("storage") or row.get("type") in ("qemu", "lxc", "node", "sdn", "pool"):
            continue  # /cluster/resources without the type filter: guests and nodes are not storages
        s = _row(line, row)
        if s.status not in STATUSES:
            problems.append(ParseProblem(f"unknown storage status {s.status!r}", line))
        if row.get("node"):
            nodes.add(str(row["node"]))
        storages.append(s)
    if len(nodes) > 1:
        problems.append(ParseProblem(f"rows of {len(nodes)} nodes ({', '.join(sorted(nodes))}) in one node's answer"))
    if not storages and not rows:
        return Parsed(PvesmStatus([], [], "B", None), problems)  # the node has no storage
    if not storages:
        problems.insert(0, ParseProblem("no storage rows"))
        return Parsed(None, problems)
    return Parsed(PvesmStatus(storages, [], "B", None), problems)
