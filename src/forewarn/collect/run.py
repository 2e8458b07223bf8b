"""Run a collection plan on nodes: bounded, hang-proof, redacted, every command recorded.

`collect_nodes(sources, plan)` is the one entry point (the CLI's `collect` and live `scan`, for
this host or for SSH targets, all call it). Per node:

- the source is opened; a node that cannot be reached is recorded (FW908) and the others go on;
- the plan's items run through the source with at most `jobs` at once; each has its own timeout,
  and the node has a whole budget: nothing starts once less than a second of it is left, and a
  running command is given at most what is left (recorded as *not run* / *timed out*);
- a listing step (a multi-instance glob) adds one task per instance it found;
- once a file under /etc/pve times out, the other /etc/pve reads are not started (pmxcfs is hung;
  the budget is kept for the rest);
- each result becomes an `EvidenceRecord` (rc, started, ended, duration, timed_out, truncated,
  error, redacted) after redaction and never before: nothing unredacted is written or shown.
  A guard that said "not applicable" is a *skip*, not evidence. A timeout or failure is evidence
  and the rest goes on;
- if the source reports the connection lost, the rest is recorded as not run.

With `out_dir` every artifact is written as it arrives (`<out_dir>/<node>/<path>`, mode 0600)
and `manifest.json` at the end; otherwise the bundle stays in memory.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from forewarn import __version__
from forewarn.collect.bundle import FORMAT, FORMAT_VERSION, MANIFEST, Bundle
from forewarn.collect.defaults import DEFAULT_BUDGET, DEFAULT_JOBS, DEFAULT_NODE_JOBS
from forewarn.collect.outcome import collection_findings, collection_notes
from forewarn.collect.node_run import (NodeOutcome, Progress, ProgressFn, _iso, _now, _NodeRun, _Writer,
                                       _write_private, safe_node_name)
from forewarn.collect.plan import Plan
from forewarn.collect.redact import NEVER_COLLECT, Redactor
from forewarn.collect.sources.base import Source

__all__ = ["NodeOutcome", "Progress", "ProgressFn", "acollect_nodes", "collect_nodes", "safe_node_name"]


# -- many nodes ---------------------------------------------------------------------------------
async def acollect_nodes(sources: Sequence[Source], plan: Plan, *, out_dir: Path | None = None,
                         budget: float = DEFAULT_BUDGET, jobs: int = DEFAULT_JOBS,
                         node_jobs: int = DEFAULT_NODE_JOBS, progress: ProgressFn | None = None,
                         redactor: Redactor | None = None, label: str | None = None) -> Bundle:
    """Collect `plan` from every source, `node_jobs` nodes at once; return the bundle.

    With `out_dir` (an empty or new directory) the bundle is written there, manifest included.
    Never raises for a node's failure: that node is recorded (FW908) and the rest collected.
    """
    redactor = redactor or Redactor()
    writer = _Writer(out_dir) if out_dir is not None else None
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    taken: set[str] = set()

    def claim(name: str) -> str:
        n, i = name, 2
        while n in taken:
            n, i = f"{name}-{i}", i + 1
        taken.add(n)
        return n

    sem = asyncio.Semaphore(max(1, node_jobs))

    async def one(src: Source) -> NodeOutcome:
        async with sem:
            return await _NodeRun(src, plan, redactor=redactor, budget=budget, jobs=jobs, progress=progress,
                                  writer=writer, claim=claim).run()

    outcomes = list(await asyncio.gather(*(one(s) for s in sources)))
    for o in outcomes:  # failed nodes keep their target name, made unique too
        if not o.named:
            o.node = claim(o.node)
            o.named = True
    return _bundle(outcomes, plan, out_dir=out_dir, budget=budget, jobs=jobs,
                   label=label or "live: " + ", ".join(o.node for o in outcomes))


def collect_nodes(sources: Sequence[Source], plan: Plan, **kw: Any) -> Bundle:
    """Synchronous `acollect_nodes` (runs its own event loop)."""
    return asyncio.run(acollect_nodes(sources, plan, **kw))


def _bundle(outcomes: list[NodeOutcome], plan: Plan, *, out_dir: Path | None, budget: float, jobs: int,
            label: str, mode: str = "live", specs: list[str] | None = None) -> Bundle:
    created = max((o.ended or _now() for o in outcomes), default=_now())
    records = [r for o in outcomes for r in o.sorted_records()]
    nodes = [o.node for o in outcomes]
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "forewarn_version": __version__,
        "created": _iso(created),
        "nodes": nodes,
        "artifacts": [r.to_manifest() for r in records],
        "collection": {
            "mode": mode,
            "budget": budget,
            "jobs": jobs,
            "root": plan.root or None,
            "specs": specs if specs is not None else plan.specs(),
            "not_live": plan.not_live,
            "never_collect": [{"pattern": p, "reason": why} for p, why in NEVER_COLLECT]
            + [{"pattern": "/etc/pve/priv/*", "reason": "Proxmox VE private area"}],
            "nodes": {o.node: o.to_manifest(budget) for o in outcomes},
        },
    }
    if out_dir is not None:
        _write_private(out_dir / MANIFEST, (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode())
    bundle = Bundle(source=label, records=records, created=created, nodes=sorted(nodes), manifest=manifest)
    bundle.findings.extend(collection_findings(manifest))
    bundle.notes.extend(collection_notes(manifest))
    return bundle
