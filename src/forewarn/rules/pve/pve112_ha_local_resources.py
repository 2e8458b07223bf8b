"""PVE112 ha-local-resources: an HA-managed guest uses something only its node has (a bind mount,
an ISO on local storage, a passed-through PCI or USB device), so it cannot migrate or recover."""

from __future__ import annotations

import re
from collections.abc import Iterator

from forewarn.facts import logs
from forewarn.facts.context import Context
from forewarn.model.findings import When
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import CouldNotCheck, NotApplicable, StepTemplate
from forewarn.facts.cluster import first_fact
from forewarn.facts.guests import guest_map
from forewarn.facts.ha import ha_resources
from forewarn.facts.storage import is_shared, storage_desc
from forewarn.parse.pve.guest_config import GUEST_CONFIG
from forewarn.parse.pve.section_config import HA_RESOURCES_CFG, STORAGE_CFG

_CDROM_KEY = re.compile(r"^(ide|sata|scsi)\d+$")
_HOSTPCI = re.compile(r"^hostpci\d+$")
_USB = re.compile(r"^usb\d+$")
_DEV = re.compile(r"^dev\d+$")


def _log_fix(whats: list[str], node: str) -> list[StepTemplate]:
    """The log line names what was refused, not the guest: steps to find and remove it."""
    out: list[StepTemplate] = [note("The log line does not name the guest: find it in the task that failed "
                                    f"(Tasks panel of {node}) and use its id below.")]
    text = " ".join(whats)
    if "bind mount" in text:
        out += [step("pct config <vmid> | grep -E '^mp[0-9]+: /'", on=node),
                step("pct set <vmid> --delete mp0", safe=False)]
    if "cdrom" in text or "local resources" in text:
        out += [step("qm config <vmid> | grep -E 'media=cdrom'", on=node),
                step("qm set <vmid> --ide2 none,media=cdrom")]
    if "local devices" in text or "local resources" in text:
        out += [step("qm config <vmid> | grep -E '^(hostpci|usb)[0-9]+:'", on=node),
                step("qm set <vmid> --delete hostpci0", safe=False)]
    return out


@rule(code="PVE112", reads=(STORAGE_CFG,), inputs=(HA_RESOURCES_CFG, GUEST_CONFIG) + logs.LOG_SPECS)
def ha_local_resources(ctx: Context) -> Iterator[Hit]:
    evs = logs.events(ctx, None, ("local_resources",))
    try:
        resources = ha_resources(ctx, needed=not evs)
    except NotApplicable:
        if evs:
            resources = []
        else:
            raise
    except CouldNotCheck:
        if not ctx.has(GUEST_CONFIG):
            raise
        raise CouldNotCheck("no /etc/pve/ha/resources.cfg in the evidence: which guests HA manages is "
                            "not known" + ("; the logs show no local-resource refusal" if any(ctx.has(s) for s in logs.LOG_SPECS) else ""))
    if resources and not ctx.has(GUEST_CONFIG) and not evs:
        raise CouldNotCheck("HA resources are configured but no guest config is in the evidence")

    sf = first_fact(ctx, STORAGE_CFG)
    scfg = sf.value if sf else None
    gmap = guest_map(ctx)
    for res in resources:
        if res.vmid is None or res.kind not in ("vm", "ct"):
            continue
        g = gmap.get(res.vmid)
        if g is None:
            continue
        node = g.owner or g.fact.node
        found: list[tuple[str, int, str]] = []  # (what, line, key)
        fix: list[StepTemplate] = []
        for v in g.config.volumes:
            if v.is_bind_mount and v.key.startswith("mp") and v.opts.get("shared") != "1":
                found.append((f"bind mount {v.key}: {v.volume} -> {v.opts.get('mp', '?')}", v.line, v.key))
                fix.append(step(f"pct set {res.vmid} --delete {v.key}", safe=False))
            elif v.is_cdrom and _CDROM_KEY.match(v.key) and v.volume not in ("none", ""):
                if v.volume == "cdrom" or v.volume.startswith("/dev/"):
                    found.append((f"{v.key} uses the host's CD-ROM drive ({v.volume})", v.line, v.key))
                elif v.storage is not None:
                    shared = is_shared(scfg, v.storage)
                    if shared:
                        continue
                    hedge = "" if shared is False else " (if that storage is not shared)"
                    found.append((f"{v.key} has {v.volume} inserted, on {storage_desc(scfg, v.storage)}{hedge}",
                                  v.line, v.key))
                else:
                    continue
                fix.append(step(f"qm set {res.vmid} --{v.key} none,media=cdrom"))
        for key, value in g.config.options.items():
            line = g.config.lines.get(key, 0)
            if _HOSTPCI.match(key) and "mapping=" not in value:
                found.append((f"{key}: {value} (PCI passthrough of a device of {node})", line, key))
                fix.append(step(f"qm set {res.vmid} --delete {key}", safe=False))
            elif _USB.match(key) and "host=" in value and "mapping=" not in value:
                found.append((f"{key}: {value} (a USB device of {node})", line, key))
                fix.append(step(f"qm set {res.vmid} --delete {key}", safe=False))
            elif _DEV.match(key) and g.kind == "lxc":
                found.append((f"{key}: {value} (a device node of {node})", line, key))
                fix.append(step(f"pct set {res.vmid} --delete {key}", safe=False))
        if not found:
            continue
        kind = "CT" if g.kind == "lxc" else "VM"
        yield Hit(
            f"{node}: {kind} {res.vmid} is HA-managed ({res.sid}) but uses what only {node} has: "
            + "; ".join(w for w, _, _ in found)
            + " — HA cannot migrate it and a recovery on another node fails",
            nodes=node, evidence=[res.fact.ref(res.section.lines()), g.fact.ref([ln for _, ln, _ in found])],
            fix=fix + [note("For a device the guest really needs: remove the guest from HA "
                            f"(`ha-manager remove {res.sid}`), or use a resource mapping (Datacenter > "
                            "Resource Mappings) that exists on every node HA may choose.")],
            when=When.CONFIG, params={"node": node},
            details={"sid": res.sid, "items": [k for _, _, k in found]},
        )

    by_node: dict[str, list[logs.NodeEvent]] = {}
    for e in evs:
        by_node.setdefault(e.node, []).append(e)
    for node, group in by_node.items():
        whats = sorted({e.attrs.get("what", "") for e in group})
        yield Hit(
            f"{node}: a migration was refused for local resources ({'; '.join(f'`{w}`' for w in whats)}; "
            f"{len(group)} line(s), first at {logs.time_label(group[0])}): such a guest cannot be moved or "
            "recovered by HA",
            nodes=node, evidence=logs.refs(group), when=When.PAST,
            fix=_log_fix(whats, node),
            details={"count": len(group)},
        )
