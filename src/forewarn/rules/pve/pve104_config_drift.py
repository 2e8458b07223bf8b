"""PVE104 config-drift: a node missed a cluster configuration change (its corosync.conf is stale)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from forewarn.facts import logs
from forewarn.facts.context import Context, Fact
from forewarn.model.findings import EvidenceRef, Severity, When
from forewarn.parse.pve.corosync_conf import Block, CorosyncConf
from forewarn.rules import Hit, note, rule, step
from forewarn.parse.pve.corosync_conf import COROSYNC_CONF, COROSYNC_CONF_LOCAL
from forewarn.parse.pve.quorum_status import COROSYNC_QUORUMTOOL, PVECM_STATUS
from forewarn.parse.pve.services import PVE_SERVICES

CONF = COROSYNC_CONF  # /etc/pve/corosync.conf (pmxcfs copy)
LOCAL = COROSYNC_CONF_LOCAL  # /etc/corosync/corosync.conf (what corosync reads)
QUORUM_SPECS = (PVECM_STATUS, COROSYNC_QUORUMTOOL)

FIX = (
    step("grep config_version /etc/corosync/corosync.conf /etc/pve/corosync.conf"),
    step("pvecm status", on="{healthy}"),
    note("Seed 000: the node missed the change while it was off; repair it from a healthy node "
         "({healthy}). The next steps stop the cluster file system on {node}: its /etc/pve is "
         "local-only until pve-cluster starts again."),
    step("systemctl stop pve-cluster", safe=False),
    step("pmxcfs -l", safe=False),
    step("scp root@{healthy}:/etc/pve/corosync.conf /etc/pve/corosync.conf", safe=False),
    step("cp /etc/pve/corosync.conf /etc/corosync/corosync.conf", safe=False),
    step("killall pmxcfs", safe=False),
    step("systemctl start pve-cluster corosync"),
    step("pvecm status"),
)
# symptoms only (corosync down, CMAP error, pvesr lock error): look first, repair only on a mismatch
UNCONFIRMED_FIX = (
    FIX[0],
    step("journalctl -b -u corosync --since -2h"),
    note("Only if {node}'s config_version is lower than a healthy node's ({healthy}) did it miss a "
         "cluster change; then repair it as seed 000 does (the next steps stop the cluster file "
         "system on {node} until pve-cluster starts again). Otherwise find out why corosync stopped."),
    *FIX[3:],
)


def _flatten(block: Block, prefix: str = "") -> dict[str, str]:
    """corosync.conf as `path -> value`; node blocks are keyed by name, interfaces by link number."""
    out: dict[str, str] = {}
    for k, v, _ in block.items:
        out[f"{prefix}{k}"] = v
    for child in block.children:
        if child.name == "node":
            key = child.get("name") or child.get("nodeid") or str(child.line)
            sub = f"{prefix}node {key}."
        elif child.name == "interface":
            key = child.get("linknumber") or child.get("ringnumber") or "0"
            sub = f"{prefix}interface {key}."
        elif child.name == "logging":
            continue  # logging differences do not matter to the cluster
        else:
            sub = f"{prefix}{child.name}."
        out.update(_flatten(child, sub))
    return out


def conf_diff(ours: CorosyncConf, theirs: CorosyncConf, limit: int = 6) -> list[str]:
    """What differs between two corosync.conf files, in words: `config_version 2 vs 3`,
    `node node3 missing`, `node node2 ring0_addr 10.0.0.2 vs 10.0.0.12`."""
    a, b = _flatten(ours.tree), _flatten(theirs.tree)
    out: list[str] = []
    nodes_a = {n.name for n in ours.nodes}
    nodes_b = {n.name for n in theirs.nodes}
    for name in sorted(x for x in nodes_b - nodes_a if x):
        out.append(f"node {name} missing")
    for name in sorted(x for x in nodes_a - nodes_b if x):
        out.append(f"node {name} extra")
    for key in sorted(set(a) | set(b)):
        if key.startswith("nodelist.node "):
            name = key.split(" ", 1)[1].split(".", 1)[0]
            if name not in nodes_a or name not in nodes_b:
                continue
        if a.get(key) != b.get(key):
            short = key.removeprefix("totem.").removeprefix("nodelist.")
            out.append(f"{short} {a.get(key, '(none)')} vs {b.get(key, '(none)')}")
    if len(out) > limit:
        out = out[:limit] + [f"… {len(out) - limit} more"]
    return out


def _version_line(f: Fact[CorosyncConf]) -> list[int]:
    return [f.value.config_version_line or 0]


@dataclass(slots=True)
class _Drift:
    """What is wrong on one node: the parts of its message, their evidence, whether the cause
    (a stale or differing corosync.conf) is seen, and whether it is true now."""

    parts: list[str] = field(default_factory=list)
    evidence: list[EvidenceRef] = field(default_factory=list)
    cause: bool = False
    now: bool = False


@rule(code="PVE104", inputs=(CONF, LOCAL, *QUORUM_SPECS, PVE_SERVICES, *logs.LOG_SPECS), fix=FIX)
def config_drift(ctx: Context) -> Iterator[Hit]:
    local = ctx.by_node(LOCAL)
    pve = ctx.by_node(CONF)
    # the cluster's newest config: the highest config_version any node has, in either copy
    best: tuple[int, str, Fact[CorosyncConf]] | None = None
    for spec_facts in (local, pve):
        for node, f in spec_facts.items():
            v = f.value.config_version
            if v is not None and (best is None or v > best[0]):
                best = (v, node, f)

    findings: dict[str, _Drift] = {}

    def add(node: str, text: str, ev: list[EvidenceRef], cause: bool = False, past: bool = False) -> None:
        entry = findings.setdefault(node, _Drift())
        entry.parts.append(text)
        entry.evidence.extend(ev)
        entry.cause = entry.cause or cause
        entry.now = entry.now or not past

    # 1. a node whose corosync.conf is behind the cluster's newest one
    if best is not None:
        top, top_node, top_f = best
        holders = sorted(n for n, f in local.items() if f.value.config_version == top)
        in_pmxcfs = any(f.value.config_version == top for f in pve.values())
        if holders:
            where = f"{', '.join(holders)} {'has' if len(holders) == 1 else 'have'} {top}"
        else:
            where = f"/etc/pve/corosync.conf (the cluster's copy) has {top}"
        if holders and in_pmxcfs:
            where += " (so does /etc/pve/corosync.conf)"
        for node, f in sorted(local.items()):
            v = f.value.config_version
            if v is None or v >= top:
                continue
            diff = conf_diff(f.value, top_f.value)
            add(node, f"/etc/corosync/corosync.conf has config_version {v} but {where}"
                + (f" ({'; '.join(d for d in diff if not d.startswith('config_version'))})"
                   if len(diff) > 1 else ""),
                [f.ref(_version_line(f)), top_f.ref(_version_line(top_f))], cause=True)
        # same version, different content: someone edited without raising config_version
        for node, f in sorted(local.items()):
            if f.value.config_version != top or node == top_node:
                continue
            diff = conf_diff(f.value, top_f.value)
            if diff:
                add(node, f"/etc/corosync/corosync.conf differs from {top_node}'s although both have "
                    f"config_version {top}: {'; '.join(diff)}", [f.ref(_version_line(f)), top_f.ref(_version_line(top_f))],
                    cause=True)

    # 2. on one node, corosync's file differs from the pmxcfs copy
    for node in sorted(set(local) & set(pve)):
        lf, pf = local[node], pve[node]
        diff = conf_diff(lf.value, pf.value)
        if diff:
            already = node in findings and findings[node].cause and \
                lf.value.config_version is not None and pf.value.config_version is not None and \
                lf.value.config_version < pf.value.config_version and best is not None and \
                pf.value.config_version == best[0]
            if already:
                findings[node].evidence.append(pf.ref(_version_line(pf)))
                continue
            add(node, f"/etc/corosync/corosync.conf differs from /etc/pve/corosync.conf: {'; '.join(diff)}",
                [lf.ref(_version_line(lf)), pf.ref(_version_line(pf))], cause=True)

    # 3. what a node with a stale config shows: corosync not answering, service down, logs
    for spec in QUORUM_SPECS:
        for node, qf in ctx.by_node(spec).items():
            if qf.value.standalone:
                continue  # a node that was never joined to a cluster: no corosync to answer
            if qf.value.service_error and "CMAP" in qf.value.service_error:
                tool = "pvecm status" if spec == PVECM_STATUS else "corosync-quorumtool -s"
                add(node, f"`{tool}` prints '{qf.value.service_error}' (corosync is not running)",
                    [qf.ref([qf.value.lines.get("service_error", 0)])])
    for node, sf in ctx.by_node(PVE_SERVICES).items():
        unit = sf.value.get("corosync")
        if unit is not None and unit.exists and not unit.active:
            add(node, f"corosync.service is {unit.describe()}", [sf.ref(unit.lines)])
    for node in ctx.nodes:
        evs = logs.events(ctx, node, ("config_version_mismatch", "cfs_lock_error"))
        mism = [e for e in evs if e.kind == "config_version_mismatch"]
        if mism:
            e = mism[-1]
            add(node, f"corosync exited at {logs.time_label(e)}: received config version {e.attrs.get('theirs')}, "
                f"its own is {e.attrs.get('mine')}" + (f" ({len(mism)} times)" if len(mism) > 1 else ""),
                logs.refs(mism), cause=True, past=True)
        locks = [e for e in evs if e.kind == "cfs_lock_error" and "quorum" in e.attrs.get("err", "")]
        if locks:
            e = locks[-1]
            lock = e.attrs.get("lock", "?").replace("\\_", "_")
            add(node, f"pvesr: error with cfs lock '{lock}': {e.attrs.get('err', '').strip(chr(34)).strip()}"
                + (f" ({len(locks)} times)" if len(locks) > 1 else ""), logs.refs(locks), past=True)

    if not findings:
        return
    healthy = _healthy_node(ctx, set(findings), best)
    for node, entry in sorted(findings.items()):
        confirmed = entry.cause
        entry.evidence = list(dict.fromkeys(entry.evidence))
        msg = f"{node}: " + "; ".join(entry.parts)
        if not confirmed:
            msg += (" — a node that missed a cluster change looks like this; compare its config_version "
                    "with a healthy node's")
        yield Hit(msg, nodes=node, evidence=entry.evidence,
                  params={"healthy": healthy or "<healthy-node>"},
                  fix=None if confirmed else list(UNCONFIRMED_FIX),
                  severity=None if confirmed else Severity.MEDIUM,
                  when=When.NOW if entry.now else When.PAST,
                  details={"confirmed": confirmed, "healthy_node": healthy,
                           "cluster_config_version": best[0] if best else None})


def _healthy_node(ctx: Context, broken: set[str], best: tuple[int, str, Fact[CorosyncConf]] | None) -> str | None:
    """A node to copy the config from: not broken, with the newest config, quorate if we know."""
    candidates = [n for n in ctx.nodes if n not in broken]
    if best is not None:
        newest = [n for n in candidates
                  for spec in (LOCAL, CONF)
                  if (f := ctx.fact(spec, n)) is not None and f.value.config_version == best[0]]
        candidates = list(dict.fromkeys(newest)) or candidates
    for spec in QUORUM_SPECS:
        quorate = [n for n in candidates if (q := ctx.fact(spec, n)) is not None and q.value.quorate]
        if quorate:
            return quorate[0]
    if best is not None and best[1] not in broken:
        return best[1]
    return candidates[0] if candidates else None
