"""PVE130 network-storage-offline: a network storage is inactive, or its mount point hangs."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts import logs
from forewarn.facts.context import Context
from forewarn.model.findings import EvidenceRef, Severity, When
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import NotApplicable, StepTemplate
from forewarn.facts.storage import (MOUNTED_TYPES, NETWORK_TYPES, content_severity,
                                                mountpoint, storage_cfg)
from forewarn.parse.host.mounts import MOUNTS, STAT_MOUNTS
from forewarn.parse.pve.pvesm_status import PVESM_STATUS
from forewarn.parse.pve.section_config import STORAGE_CFG, Section

LOCAL_TYPES = ("zfspool", "lvm", "lvmthin")  # a missing pool or VG: PVE132 storage-not-on-node
INSTALLER_LOCAL = ("local", "local-lvm", "local-zfs")  # the installer's storage ids (pve-docs pvesm.adoc)

FIX = (
    note("Check the storage server {server} first: is it up, does it export {what} to this node, "
         "is the network between them fine?"),
    step("pvesm status --storage {storage}"),
    step("umount -nlf {mountpoint}", safe=False),
    note("Proxmox mounts it again by itself once the server answers (seed 001: it keeps mounting "
         "but never unmounts a stale share). Processes stuck on the old mount stay in D state "
         "until the server comes back or the node reboots."),
)
PBS_FIX = (
    note("Check the Proxmox Backup Server {server}: is it up, is port 8007 reachable from this node, "
         "does the datastore exist?"),
    step("pvesm status --storage {storage}"),
)


def _hit_fix(stype: str | None) -> list[StepTemplate]:
    return list(PBS_FIX if stype == "pbs" else FIX)


@rule(
    code="PVE130", reads=(MOUNTS, STORAGE_CFG),
    inputs=(PVESM_STATUS, STAT_MOUNTS, *logs.LOG_SPECS),
    platform="linux",
    fix=FIX,
)
def network_storage_offline(ctx: Context) -> Iterator[Hit]:
    _, cfg = storage_cfg(ctx)
    sections = {s.id: s for s in cfg.sections} if cfg else {}
    by_server: dict[str, list[Section]] = {}
    for s in sections.values():
        if s.get("server"):
            by_server.setdefault(s.get("server") or "", []).append(s)
    network_cfg = [s for s in sections.values() if s.type in NETWORK_TYPES and not s.flag("disable")]
    found_any = False
    seen: set[tuple[str, str]] = set()

    def params(sid: str, stype: str | None, node: str) -> dict[str, str]:
        sec = sections.get(sid)
        server = (sec.get("server") if sec else None) or "<server>"
        what = (sec.get("export") or sec.get("share") or sec.get("datastore") or sid) if sec else sid
        mp = mountpoint(sec) if sec else f"/mnt/pve/{sid}"
        return {"storage": sid, "server": server, "what": what, "mountpoint": mp, "node": node,
                "type": stype or (sec.type if sec else "?")}

    def describe(sid: str, stype: str | None) -> tuple[str, Severity | None]:
        sec = sections.get(sid)
        sev = content_severity(sec, stype)
        content = ",".join(sec.list("content")) if sec else ""
        return (f" (content {content})" if content else ""), sev

    # 1. pvesm status: inactive rows and "is not online" messages
    for node, f in ctx.by_node(PVESM_STATUS).items():
        st = f.value
        for row in st.storages:
            sec = sections.get(row.name)
            stype = row.type or (sec.type if sec else None)
            if stype not in NETWORK_TYPES:
                continue
            found_any = True
            if row.status in ("active", "disabled"):
                continue
            msgs = st.messages_for(row.name)
            content, sev = describe(row.name, stype)
            seen.add((node, row.name))
            p = params(row.name, stype, node)
            extra = "; pvesm: " + msgs[0].text if msgs else ""
            where = f", mounted at {p['mountpoint']}" if stype in MOUNTED_TYPES else ""
            yield Hit(
                f"{node}: {stype} storage '{row.name}'{content} is {row.status} in `pvesm status`"
                f" (server {p['server']}{where}){extra}",
                nodes=node, evidence=[f.ref([row.line, *(m.line for m in msgs)])], params=p,
                fix=_hit_fix(stype), severity=sev, when=When.NOW,
                details={"storage": row.name, "type": stype, "status": row.status})
        for msg in st.messages:
            if msg.storage is None or (node, msg.storage) in seen or st.get(msg.storage):
                continue
            sec = sections.get(msg.storage)
            stype = sec.type if sec else None
            if sec is not None and stype not in NETWORK_TYPES:
                continue
            found_any = True
            seen.add((node, msg.storage))
            content, sev = describe(msg.storage, stype)
            p = params(msg.storage, stype, node)
            yield Hit(f"{node}: storage '{msg.storage}'{content} is not online: {msg.text}",
                      nodes=node, evidence=[f.ref([msg.line])], params=p, fix=_hit_fix(stype),
                      severity=sev, when=When.NOW)

    # 2. stat -f on the network mount points timed out (or failed)
    for node in ctx.nodes:
        for rec in ctx.raw(STAT_MOUNTS, node):
            sm = ctx.fact(STAT_MOUNTS, node)
            answered = sm.value.answered_paths() if sm else set()
            mounts_f = ctx.fact(MOUNTS, node)
            network = [m for m in (mounts_f.value.network() if mounts_f else [])]
            if network:
                found_any = True
            errors = sm.value.errors if sm else []
            for err in errors:
                sid = _storage_at(sections, err.path)
                content, sev = describe(sid, None) if sid else ("", None)
                p = params(sid or "<storage>", None, node)
                p["mountpoint"] = err.path or p["mountpoint"]
                found_any = True
                yield Hit(f"{node}: `stat -f {err.path}` failed: {err.message}"
                          + (f" (storage '{sid}'{content})" if sid else ""),
                          nodes=node, evidence=[sm.ref([err.line])] if sm else [], params=p,
                          severity=sev, when=When.NOW)
            if not rec.timed_out:
                continue
            found_any = True
            hung = [m for m in network if m.mountpoint not in answered]
            secs = f" after {rec.duration:.0f} s" if rec.duration else ""
            ev = [EvidenceRef(spec=STAT_MOUNTS.spec, node=node, artifact=rec.artifact,
                              excerpt=(f"timed out{secs}",))]
            if hung:
                m = hung[0]
                sid = _storage_at(sections, m.mountpoint)
                content, sev = describe(sid, None) if sid else ("", None)
                p = params(sid or "<storage>", None, node)
                p["mountpoint"] = m.mountpoint
                if mounts_f:
                    ev.append(mounts_f.ref([x.line for x in hung]))
                others = f"; also unanswered: {', '.join(x.mountpoint for x in hung[1:])}" if len(hung) > 1 else ""
                yield Hit(f"{node}: `stat -f {m.mountpoint}` ({m.fstype} from {m.device}) timed out{secs}: "
                          f"the mount is stale" + (f" (storage '{sid}'{content})" if sid else "") + others,
                          nodes=node, evidence=ev, params=p, severity=sev, when=When.NOW,
                          details={"mountpoint": m.mountpoint, "device": m.device})
            else:
                p = params("<storage>", None, node)
                p["mountpoint"] = "<mountpoint>"
                yield Hit(f"{node}: `stat -f` on the network mount points timed out{secs}; "
                          f"answered before the hang: {', '.join(sorted(answered)) or 'none'}",
                          nodes=node, evidence=ev, params=p, when=When.NOW)

    # 3. kernel: nfs: server X not responding [, then OK]
    for node in ctx.nodes:
        evs = logs.events(ctx, node, ("nfs_not_responding", "nfs_ok"))
        if not evs:
            continue
        found_any = True
        servers: dict[str, list[logs.NodeEvent]] = {}
        for e in evs:
            servers.setdefault(e.attrs.get("server", "?"), []).append(e)
        for server, group in servers.items():
            bad = [e for e in group if e.kind == "nfs_not_responding"]
            if not bad:
                continue
            last = group[-1]
            recovered = last.kind == "nfs_ok"
            matching = [s for s in by_server.get(server, []) if s.type in NETWORK_TYPES]
            first = matching[0] if matching else None
            sid = first.id if first else "<storage>"
            content, sev = describe(sid, None) if first else ("", None)
            p = params(sid, "nfs", node)
            p["server"] = server
            state = (f"recovered (`nfs: server {server} OK` at {logs.time_label(last)})" if recovered
                     else "no `OK` after it: still unreachable at the end of the log")
            storages = f" — storage '{sid}'{content}" if first else ""
            if recovered and sev is not None:
                sev = Severity.MEDIUM if sev >= Severity.MEDIUM else sev
            elif recovered:
                sev = Severity.MEDIUM
            yield Hit(f"{node}: kernel: NFS server {server} not responding {len(bad)} time(s), first at "
                      f"{logs.time_label(bad[0])}; {state}{storages}",
                      nodes=node, evidence=logs.refs(bad[:6] + ([last] if recovered else [])),
                      params=p, severity=sev, when=When.PAST,
                      fix=[FIX[0], FIX[1]] if recovered else list(FIX),
                      details={"server": server, "recovered": recovered, "count": len(bad)})

    # 4. pvestatd: storage 'X' is not online (local storages of storage.cfg are PVE132's)
    for node in ctx.nodes:
        by_sid: dict[str, list[logs.NodeEvent]] = {}
        for e in logs.events(ctx, node, ("pve_storage_not_online",)):
            by_sid.setdefault(e.attrs.get("storage", "?"), []).append(e)
        for sid, group in by_sid.items():
            sec = sections.get(sid)
            stype = sec.type if sec else None
            if (node, sid) in seen or stype in LOCAL_TYPES:
                continue
            found_any = True
            content, sev = describe(sid, stype)
            if len(group) == 1 and (sev is None or sev > Severity.MEDIUM):
                sev = Severity.MEDIUM  # one line: pvestatd saw it once, it may have been a blip
            p = params(sid, stype, node)
            typ = f" ({stype})" if stype else ""
            if sec is None and sid in INSTALLER_LOCAL:
                typ = (" (no storage.cfg given; the installer's id of a local storage: its disk, volume group or "
                       "pool is missing or hidden on this node, PVE132 tells which with storage.cfg)")
            span = (f"at {logs.time_label(group[0])}" if len(group) == 1 else
                    f"{len(group)} times, {logs.time_label(group[0])} to {logs.time_label(group[-1])}")
            yield Hit(f"{node}: pvestatd found storage '{sid}'{typ}{content} not online ({span}): guests, backups "
                      "and ISO images on it are unreachable from this node while it is",
                      nodes=node, evidence=logs.refs(group), params=p, severity=sev, when=When.PAST,
                      fix=_hit_fix(stype) if stype in MOUNTED_TYPES or stype == "pbs" else [FIX[0], FIX[1]],
                      details={"storage": sid, "type": stype, "count": len(group)})

    # 5. kernel: CIFS server not responding; multipathd: a map with no path left
    for node in ctx.nodes:
        cifs = logs.events(ctx, node, ("cifs_not_responding",))
        for server in sorted({e.attrs.get("server", "?") for e in cifs}):
            group = [e for e in cifs if e.attrs.get("server", "?") == server]
            found_any = True
            matching = [s for s in by_server.get(server, []) if s.type == "cifs"]
            first = matching[0] if matching else None
            sid = first.id if first else "<storage>"
            content, sev = describe(sid, "cifs") if first else ("", None)
            if len(group) == 1 and (sev is None or sev > Severity.MEDIUM):
                sev = Severity.MEDIUM  # one reconnect: I/O stalled, then the client reconnected
            p = params(sid, "cifs", node)
            p["server"] = server
            storages = f" — storage '{sid}'{content}" if first else ""
            yield Hit(f"{node}: kernel: CIFS server {server} did not respond for "
                      f"{group[-1].attrs.get('seconds', '?')} s and the client reconnected, {len(group)} time(s), "
                      f"first at {logs.time_label(group[0])}: I/O on the share stalled meanwhile{storages}",
                      nodes=node, evidence=logs.refs(group), params=p, severity=sev, when=When.PAST,
                      fix=[FIX[0], FIX[1]], details={"server": server, "count": len(group)})
        iscsi = logs.events(ctx, node, ("iscsi_connection_error",))
        if iscsi:
            found_any = True
            reasons = sorted({e.attrs.get("reason", "?") for e in iscsi})
            p = params("<storage>", "iscsi", node)
            yield Hit(f"{node}: iscsid: the kernel dropped iSCSI connection(s) "
                      f"{', '.join(sorted({e.attrs.get('conn', '?') for e in iscsi})[:4])} ({', '.join(reasons)}), "
                      f"{len(iscsi)} time(s), last at {logs.time_label(iscsi[-1])}: I/O to the LUN waited for the "
                      "login again and fails after replacement_timeout",
                      nodes=node, evidence=logs.refs(iscsi), params=p, when=When.PAST,
                      severity=Severity.MEDIUM if len(iscsi) < 3 else Severity.HIGH,
                      fix=[note("Check the path to the iSCSI target: its portal answers (`iscsiadm -m session -P 1`), "
                                "the network and MTU between them, the target's load; NOP-Out timeouts on a busy link "
                                "may need a longer node.conn[0].timeo.noop_out_timeout."),
                           step("iscsiadm -m session -P 1")],
                      details={"reasons": reasons, "count": len(iscsi)})
        paths = logs.events(ctx, node, ("multipath_no_paths_left",))
        if paths:
            found_any = True
            maps = sorted({e.attrs.get("map", "?") for e in paths})
            p = params("<storage>", None, node)
            p["what"] = maps[0]
            yield Hit(f"{node}: multipathd: {', '.join(maps[:4])} lost every path to its LUN ({len(paths)} time(s), "
                      f"last at {logs.time_label(paths[-1])}): I/O to it queued or failed; guests on LVM or iSCSI "
                      "storage over it hang or get I/O errors",
                      nodes=node, evidence=logs.refs(paths), params=p, severity=Severity.HIGH, when=When.PAST,
                      fix=[note("Check the SAN paths of {what}: `multipath -ll`, the FC or iSCSI sessions "
                                "(`iscsiadm -m session -P 1`), switch ports and the array's controllers."),
                           step("multipath -ll")],
                      details={"maps": maps, "count": len(paths)})

    if not found_any and not network_cfg:
        raise NotApplicable("no network storage (nfs, cifs, glusterfs, cephfs, pbs) is configured or mounted")


def _storage_at(sections: dict[str, Section], path: str | None) -> str | None:
    if not path:
        return None
    for s in sections.values():
        if s.type in MOUNTED_TYPES and mountpoint(s) == path.rstrip("/"):
            return s.id
    if path.startswith("/mnt/pve/"):
        return path[len("/mnt/pve/"):].split("/", 1)[0]
    return None
