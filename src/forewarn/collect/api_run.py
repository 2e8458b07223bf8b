"""Collect a Proxmox VE cluster through its API into a bundle (`--api`; sources/api.py speaks HTTPS).

The bundle is the one every other collection writes (manifest, one folder per node, FW908 for a
node that could not be collected), with each answer under `<node>/api/<spec>.json`; cluster-wide
answers belong to the node that gave them. Answers are redacted like every other artifact.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from forewarn.collect.bundle import Bundle
from forewarn.collect.plan import Plan
from forewarn.collect.redact import Redactor
from forewarn.collect.run import NodeOutcome, _bundle, _iso, _Writer, safe_node_name
from forewarn.collect.sources.api import (MAX_FAILED_TASKS, MAX_GUESTS, MAX_TASK_LOGS, Answer, ApiClient,
                                          dump_rows, nodes_of, sha256)
from forewarn.model.evidence import EvidenceRecord

CLUSTER_WIDE = (("pve.api_cluster_status", "/cluster/status"), ("pve.api_cluster_resources", "/cluster/resources"),
                ("pve.api_ha_status", "/cluster/ha/status/current"), ("pve.api_storage_config", "/storage"),
                ("pve.api_corosync_nodes", "/cluster/config/nodes"),
                ("pve.api_corosync_totem", "/cluster/config/totem"))
_SAFE = re.compile(r"[^A-Za-z0-9._@-]")


def _now() -> datetime:
    return datetime.now(timezone.utc)


class _Api:
    def __init__(self, client: ApiClient, where: str, redactor: Redactor, writer: _Writer | None,
                 echo: Callable[[str], None]) -> None:
        self.client, self.where, self.redactor, self.writer, self.echo = client, where, redactor, writer, echo

    def record(self, out: NodeOutcome, spec: str, ans: Answer, data: Any = None, name: str = "") -> None:
        tail = spec.split(".", 1)[1].removeprefix("api_")
        artifact = f"{out.node}/api/{tail}/{name}.json" if name else f"{out.node}/api/{tail}.json"
        payload = ans.data if data is None else data
        raw = dump_rows(payload) if ans.error is None else None
        redacted = 0
        if raw is not None:
            r = self.redactor.redact_bytes(raw)
            raw, redacted = r.data, r.count
        ended = ans.ended or _now()
        rec = EvidenceRecord(spec=spec, node=out.node, artifact=artifact, source=f"GET {ans.path}", kind="api",
                             rc=0 if ans.error is None else None, started=_iso(ans.started), ended=_iso(ended),
                             duration=round((ended - ans.started).total_seconds(), 3), error=ans.error,
                             redacted=redacted, data=raw)
        if raw is not None:
            rec.sha256, rec.size = sha256(raw), len(raw)
        out.records.append(((len(out.records),), rec))
        if self.writer is not None:
            self.writer.write(rec)

    def node(self, out: NodeOutcome, node: str, resources: Answer) -> None:
        c = self.client
        status = c.get(f"/nodes/{node}/status")
        if status.unreachable:
            out.error = f"{node}: {status.error} (asked through {self.where})"
            return
        self.record(out, "pve.api_node_status", status)
        if resources.error is None and isinstance(resources.data, list):
            rows = [r for r in resources.data if isinstance(r, dict) and r.get("type") == "storage"
                    and r.get("node") == node]
            self.record(out, "pve.api_storage_status", Answer(f"{resources.path}?type=storage (node {node})",
                                                              started=resources.started, ended=resources.ended),
                        data=rows)
        self.record(out, "pve.api_version", c.get(f"/nodes/{node}/version"))
        self.record(out, "pve.api_apt_versions", c.get(f"/nodes/{node}/apt/versions"))
        self.record(out, "pve.api_replication_status", c.get(f"/nodes/{node}/replication"))
        tasks = c.get(f"/nodes/{node}/tasks", errors=1, limit=MAX_FAILED_TASKS)
        self.record(out, "pve.api_tasks_failed", tasks)
        if tasks.error is None and isinstance(tasks.data, list):
            for t in [t for t in tasks.data if isinstance(t, dict) and t.get("upid")][:MAX_TASK_LOGS]:
                upid = str(t["upid"])
                self.record(out, "pve.api_task_log", c.get(f"/nodes/{node}/tasks/{upid}/log", limit=1000),
                            name=_SAFE.sub("_", upid)[:120])
        if resources.error is None and isinstance(resources.data, list):
            guests = [r for r in resources.data if isinstance(r, dict) and r.get("type") in ("qemu", "lxc")
                      and r.get("node") == node and str(r.get("vmid", "")).isdigit()]
            for g in guests[:MAX_GUESTS]:
                self.record(out, "pve.api_guest_config", c.get(f"/nodes/{node}/{g['type']}/{g['vmid']}/config"),
                            name=f"{g['type']}-{g['vmid']}")


def collect_api(client: ApiClient, where: str, *, out_dir: Path | None = None,
                echo: Callable[[str], None] = lambda s: None, host: str = "api") -> Bundle:
    """Read the cluster behind `client`; never raises for a node's failure (FW908)."""
    writer = _Writer(out_dir) if out_dir is not None else None
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    run = _Api(client, where, Redactor(), writer, echo)
    started = _now()
    first = client.get("/cluster/status")
    specs = [s for s, _ in CLUSTER_WIDE] + ["pve.api_node_status", "pve.api_storage_status", "pve.api_version",
                                            "pve.api_apt_versions", "pve.api_replication_status", "pve.api_tasks_failed",
                                            "pve.api_task_log", "pve.api_guest_config"]
    kw: dict[str, Any] = dict(out_dir=out_dir, budget=0.0, jobs=1, label=f"api: {where}", mode="api", specs=specs)
    if first.error is not None:
        dead = NodeOutcome(node=safe_node_name(host), where=where, started=started, ended=_now(),
                           error=f"{where}: {first.error}", named=True)
        return _bundle([dead], Plan(items=[]), **kw)
    local, nodes = nodes_of(first.data if isinstance(first.data, list) else [])
    local = local or (nodes[0][0] if nodes else host)
    if local not in [n for n, _ in nodes]:
        nodes.insert(0, (local, True))
    outs = {n: NodeOutcome(node=safe_node_name(n), where=f"{where} (API)", started=started, named=True)
            for n, _ in nodes}
    resources = client.get("/cluster/resources")
    head = outs[local]
    for spec, path in CLUSTER_WIDE:
        run.record(head, spec, first if spec == "pve.api_cluster_status" else resources if path == "/cluster/resources"
                   else client.get(path))
    for n, online in nodes:
        out = outs[n]
        if not online:
            out.error = f"{n}: the cluster reports it offline (GET /cluster/status through {where})"
        else:
            run.node(out, n, resources)
        out.ended = _now()
        echo(f"forewarn: {n}: {len(out.records)} API answer(s)" + (f"; {out.error}" if out.error else ""))
    return _bundle(list(outs.values()), Plan(items=[]), **kw)
