"""PVE144 qdevice-not-voting: a QDevice is configured but not alive, not registered or not voting."""

from __future__ import annotations

import re
from collections.abc import Iterator

from forewarn.facts import logs
from forewarn.facts.cluster_votes import QUORUM_KEYS, qdevice_in_status, quorum_by_node
from forewarn.facts.context import Context
from forewarn.model.findings import Severity, When
from forewarn.parse.pve.qdevice_status import QDEVICE_STATUS
from forewarn.parse.pve.quorum_status import Member, QuorumStatus
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import NotApplicable

KINDS = ("qdevice_not_voting",)
# corosync-qdevice's own `Can't connect to qnetd host` (NSS error after it): no vote while it lasts
CONNECT = ("qdevice_connect_failed",)
FIX = (
    step("corosync-qdevice-tool -sv"),
    step("systemctl status corosync-qdevice"),
    note("Check that every node reaches the QNetd host on TCP 5403 (firewalld/iptables on the QNetd host "
         "and in between) and that corosync-qnetd runs there (`corosync-qnetd-tool -l`)."),
    note("If its certificates are broken, set it up again: `pvecm qdevice remove`, then `pvecm qdevice setup "
         "<qnetd-ip>` (Proxmox admin guide, 'Corosync External Vote Support')."),
)
_VOTES = re.compile(r"\(votes (\d+)\)")
# corosync-quorumtool(8): A/NA alive, V/NV voting, MW/NMW master wins; NR: not registered
_WHAT = {"NR": "its corosync-qdevice is not registered (not running on that node)",
         "NA": "its QDevice is not alive", "NV": "its QDevice does not vote for it"}


def _trouble(m: Member) -> str | None:
    flags = (m.qdevice or "").split(",")
    for f in ("NR", "NA", "NV"):
        if f in flags:
            return f
    return None


def _device_row(st: QuorumStatus) -> Member | None:
    return next((m for m in st.members if m.is_qdevice), None)


@rule(code="PVE144", inputs=QUORUM_KEYS + (QDEVICE_STATUS,) + logs.LOG_SPECS, fix=FIX, when=When.NOW)
def qdevice_not_voting(ctx: Context) -> Iterator[Hit]:
    statuses = {n: f for n, f in quorum_by_node(ctx).items() if qdevice_in_status(f.value)}
    seen_any = False
    for node, qf in sorted(ctx.by_node(QDEVICE_STATUS).items()):
        seen_any = True
        if qf.value.connected is False:
            yield Hit(f"{node}: corosync-qdevice is not connected to QNetd {qf.value.qnetd_host or ''} "
                      f"(State: {qf.value.state}): this node gets no QDevice vote (high: the cluster has one "
                      f"failure less in reserve)", nodes=node, evidence=[qf.ref([qf.value.lines.get("State", 0)])],
                      severity=Severity.HIGH, details={"state": qf.value.state})
    for node, f in sorted(statuses.items()):
        st = f.value
        seen_any = True
        if st.quorate is False:
            continue  # a lost partition's NV is ffsplit working as designed; PVE101 reports the node
        bad = [(m, t) for m in st.members if not m.is_qdevice for t in [_trouble(m)] if t is not None]
        row = _device_row(st)
        uncast = 0
        if row is not None and not row.votes:
            mm = _VOTES.search(row.name)
            uncast = int(mm.group(1)) if mm else 1
        if not bad and not uncast:
            continue
        who = "; ".join(f"{m.name}: {m.qdevice} ({_WHAT[t]})" for m, t in bad)
        all_nv = bad and len(bad) == len([m for m in st.members if not m.is_qdevice])
        tail = ("the cluster runs without the QDevice's vote: one more node loss costs quorum (high: a healthy "
                "cluster with a QDevice never shows it)")
        msg = f"{node} is quorate but the QDevice is not doing its job"
        if uncast:
            msg += f": the QDevice casts 0 of its {uncast} vote(s)"
        if who:
            msg += f"; {'every member' if all_nv else 'members'}: {who}"
        yield Hit(f"{msg}; {tail}", nodes=sorted({m.name for m, _ in bad} | {node}) if bad else node,
                  evidence=[f.ref([st.lines.get(k, 0) for k in ("flags", "total_votes", "expected_votes")])],
                  severity=Severity.HIGH, details={"flags": {m.name: m.qdevice for m, _ in bad}, "uncast": uncast})
    if statuses:
        return
    for node in ctx.nodes:
        evs = logs.events(ctx, node, KINDS)
        if evs:
            seen_any = True
            yield Hit(f"{node}: the membership shows the QDevice vote as not cast (NV) "
                      f"({len(evs)} line(s)): one more node loss costs quorum",
                      nodes=node, evidence=logs.refs(evs), severity=Severity.HIGH)
        fails = logs.events(ctx, node, CONNECT)
        if fails:
            seen_any = True
            errs = sorted({e.attrs.get("err", "").strip() for e in fails} - {""})
            why = f" ({'; '.join(errs[:3])})" if errs else ""
            yield Hit(f"{node}: corosync-qdevice could not connect to the QNetd host {len(fails)} time(s){why}, "
                      f"first at {logs.time_label(fails[0])}, last at {logs.time_label(fails[-1])}: while it is "
                      f"not connected the QDevice casts no vote for this node (medium: the log shows the failures, "
                      f"not whether it reconnected; `corosync-qdevice-tool -sv` tells)",
                      nodes=node, evidence=logs.refs(fails), severity=Severity.MEDIUM, when=When.PAST,
                      details={"connect_failures": len(fails), "errors": errs})
    if not seen_any:
        raise NotApplicable("no QDevice in the quorum status")
