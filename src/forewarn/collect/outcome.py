"""What a live collection says about itself: findings and report lines from its manifest.

Both a live scan and a later `forewarn scan bundle.tar.gz` build these from the manifest's
`collection` section and its artifacts, so the two give the same findings:

- FW908 node-unreachable: a node that could not be reached, or that dropped mid-collection;
- FW909 command-timed-out: per node, the commands and listings that timed out, and what was not
  run because the node's time budget ran out (the timeouts themselves are evidence for rules such
  as PVE105; this says that the picture of the node is incomplete).

Report lines (the "read ..." lines) summarise per node what was collected, skipped as not
applicable, refused, never collected because it is secret, and how many values were redacted in
which artifacts.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from forewarn.model.findings import Finding
from forewarn.model.internal import internal_finding


def _collection(manifest: dict[str, Any] | None) -> dict[str, Any] | None:
    if not isinstance(manifest, dict):
        return None
    c = manifest.get("collection")
    return c if isinstance(c, dict) else None


def _nodes(coll: dict[str, Any]) -> dict[str, dict[str, Any]]:
    nodes = coll.get("nodes")
    return {str(k): v for k, v in nodes.items() if isinstance(v, dict)} if isinstance(nodes, dict) else {}


def _artifacts(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    arts = manifest.get("artifacts")
    return [a for a in arts if isinstance(a, dict)] if isinstance(arts, list) else []


def _secs(value: Any) -> str:
    return f" after {float(value):.0f} s" if isinstance(value, (int, float)) else ""


def uncollected_nodes(manifest: dict[str, Any] | None) -> dict[str, str]:
    """Nodes of a live collection from which nothing was collected (unreachable, refused), with why:
    every rule is "could not check" for them."""
    coll = _collection(manifest)
    if coll is None or manifest is None:
        return {}
    got = {str(a.get("node")) for a in _artifacts(manifest)}
    return {node: str(info["error"]) for node, info in _nodes(coll).items()
            if info.get("error") and node not in got}


def collection_findings(manifest: dict[str, Any] | None) -> list[Finding]:
    coll = _collection(manifest)
    if coll is None or manifest is None:
        return []
    out: list[Finding] = []
    arts_by_node: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for a in _artifacts(manifest):
        arts_by_node[str(a.get("node"))].append(a)
    for node, info in sorted(_nodes(coll).items()):
        error = info.get("error")
        got = len(arts_by_node.get(node, []))
        if error:
            where = info.get("source") or node
            msg = (f"{node}: {error}" if str(error).startswith(str(where)) or where == node
                   else f"{node} ({where}): {error}")
            msg += (f"; collection stopped after {got} artifact(s), the rest of this node is missing"
                    if got else "; nothing was collected from it, so no rule could check it")
            out.append(internal_finding("FW908", "node-unreachable", "Node could not be collected",
                                        msg, nodes=(node,), details={"error": error, "artifacts": got}))
        parts: list[str] = []
        timed = [a for a in arts_by_node.get(node, []) if a.get("timed_out")]
        for a in timed:
            what = a.get("source") if a.get("kind") == "command" else a.get("source") or a.get("path")
            what = str(what).splitlines()[0][:80] if what else str(a.get("spec"))
            parts.append(f"`{what}` timed out{_secs(a.get('duration'))}")
        for p in info.get("problems") or []:
            if isinstance(p, dict) and p.get("timed_out"):
                parts.append(f"listing {p.get('path') or p.get('spec')} timed out{_secs(p.get('duration'))}")
        not_run = [n for n in info.get("not_run") or [] if isinstance(n, dict)]
        if not_run:
            why = Counter(str(n.get("reason")) for n in not_run).most_common(1)[0][0]
            parts.append(f"{len(not_run)} item(s) not run ({why})")
        if parts:
            shown = "; ".join(parts[:6]) + (f"; +{len(parts) - 6} more" if len(parts) > 6 else "")
            out.append(internal_finding(
                "FW909", "command-timed-out", "Collection incomplete: commands timed out",
                f"{node}: {shown}", nodes=(node,),
                details={"timed_out": [a.get("spec") for a in timed],
                         "not_run": [n.get("spec") for n in not_run]}))
    return out


def collection_notes(manifest: dict[str, Any] | None) -> list[str]:
    coll = _collection(manifest)
    if coll is None or manifest is None:
        return []
    notes: list[str] = []
    arts = _artifacts(manifest)
    for node, info in sorted(_nodes(coll).items()):
        mine = [a for a in arts if str(a.get("node")) == node]
        took = info.get("duration")
        head = f"{node}: {len(mine)} artifact(s) collected live"
        if info.get("source") and info.get("source") != "local":
            head += f" from {info['source']}"
        if isinstance(took, (int, float)):
            head += f" in {took:.1f} s"
        timed = sum(1 for a in mine if a.get("timed_out"))
        failed = sum(1 for a in mine if a.get("error"))
        if timed:
            head += f", {timed} timed out"
        if failed:
            head += f", {failed} with errors"
        notes.append(head)
        skipped = [s for s in info.get("skipped") or [] if isinstance(s, dict)]
        if skipped:
            by_reason = Counter(str(s.get("reason")) for s in skipped)
            shown = "; ".join(f"{n} × {r}" if n > 1 else r for r, n in by_reason.most_common(4))
            notes.append(f"{node}: {len(skipped)} spec(s) not applicable here ({shown})")
        for key, label in (("refused", "refused (not provably read-only)"),
                           ("never_collected", "never collected (secret)")):
            items = [s for s in info.get(key) or [] if isinstance(s, dict)]
            if items:
                notes.append(f"{node}: {label}: " + ", ".join(
                    str(s.get("path") or s.get("spec")) for s in items[:6]) + (" …" if len(items) > 6 else ""))
        red = [(str(a.get("path")), int(a["redacted"])) for a in mine
               if isinstance(a.get("redacted"), int) and a["redacted"]]
        if red:
            total = sum(n for _, n in red)
            red.sort(key=lambda pn: (-pn[1], pn[0]))
            shown = ", ".join(f"{p} ({n})" for p, n in red[:20]) + (f", +{len(red) - 20} more" if len(red) > 20 else "")
            notes.append(f"{node}: redacted {total} secret value(s) in {len(red)} artifact(s): {shown}")
    return notes
