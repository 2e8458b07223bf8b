"""LVM across nodes: which VGs each node sees and which are shared between nodes (a rule that
calls `vgs_by_node` declares LVM_REPORTS; `shared_vgs`, SHARED_KEYS), and lvm.conf filter helpers."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from forewarn.model.findings import EvidenceRef
from forewarn.parse.lvm.report import LVS, PVS, VGS
from forewarn.parse.pve.section_config import STORAGE_CFG

if TYPE_CHECKING:
    from forewarn.facts.context import Context

LVM_REPORTS = (LVS, VGS, PVS)
SHARED_KEYS = (*LVM_REPORTS, STORAGE_CFG)
LOCAL_VG = "pve"  # the VG the PVE installer creates on every node's own disk
# what pve-manager's postinst writes (debian/postinst, set_lvm_conf): zvols and Ceph rbds are not scanned
PVE_DEFAULT_REJECTS = ("r|/dev/zd.*|", "r|/dev/rbd.*|")
USB_REJECT = "r|/dev/disk/by-id/usb.*|"


@dataclass(slots=True)
class SharedVG:
    name: str
    reasons: list[str] = field(default_factory=list)
    evidence: list[EvidenceRef] = field(default_factory=list)
    nodes: set[str] = field(default_factory=set)  # nodes whose reports show it


def vgs_by_node(ctx: "Context") -> dict[str, dict[str, EvidenceRef]]:
    """node -> {vg name -> evidence line}, from `vgs`, else from the VGs `lvs`/`pvs` name."""
    out: dict[str, dict[str, EvidenceRef]] = {}
    for node, f in ctx.by_node(VGS).items():
        out[node] = {vg.name: f.ref([vg.line]) for vg in f.value.vgs}
    for node, lf in ctx.by_node(LVS).items():
        if node not in out:
            out[node] = _first_line_of_vg(lf.ref, [(lv.vg, lv.line) for lv in lf.value.lvs])
    for node, pf in ctx.by_node(PVS).items():
        if node not in out:
            out[node] = _first_line_of_vg(pf.ref, [(pv.vg, pv.line) for pv in pf.value.pvs])
    return out


def _first_line_of_vg(ref: Callable[[list[int]], EvidenceRef],
                      rows: list[tuple[str | None, int]]) -> dict[str, EvidenceRef]:
    seen: dict[str, EvidenceRef] = {}
    for vg, line in rows:
        if vg and vg not in seen:
            seen[vg] = ref([line])
    return seen


def storage_vgs(ctx: "Context") -> tuple[dict[str, tuple[str, EvidenceRef]], set[str]]:
    """From storage.cfg: {vg: (why it is shared, evidence)} and the VGs of lvmthin storages."""
    shared: dict[str, tuple[str, EvidenceRef]] = {}
    thin: set[str] = set()
    for f in ctx.facts(STORAGE_CFG):
        sections = f.value.sections
        iscsi = {s.id for s in sections if s.type in ("iscsi", "iscsidirect")}
        for s in sections:
            vg = s.get("vgname")
            if not vg:
                continue
            if s.type == "lvmthin":
                thin.add(vg)
                continue
            if s.type != "lvm" or vg in shared:
                continue
            base = s.get("base") or ""
            if s.flag("shared"):
                shared[vg] = (f"storage '{s.id}' is an lvm storage with `shared 1`",
                              f.ref([s.line, s.prop_lines.get("shared", 0), s.prop_lines.get("vgname", 0)]))
            elif base.split(":", 1)[0] in iscsi:
                shared[vg] = (f"storage '{s.id}' has its base on iSCSI storage '{base.split(':', 1)[0]}'",
                              f.ref([s.line, s.prop_lines.get("base", 0)]))
    return shared, thin


def shared_vgs(ctx: "Context") -> dict[str, SharedVG]:
    """VGs that live on storage several nodes reach: storage.cfg says so (`lvm` with `shared 1`,
    or a base volume on iSCSI), or several nodes' reports show a VG of that name (other than
    `pve` and lvmthin VGs, which every node has on its own disks)."""
    out: dict[str, SharedVG] = {}
    by_node = vgs_by_node(ctx)
    from_cfg, thin = storage_vgs(ctx)
    for vg, (why, ref) in from_cfg.items():
        sv = out.setdefault(vg, SharedVG(vg))
        sv.reasons.append(why)
        sv.evidence.append(ref)
    seen: dict[str, list[str]] = {}
    for node, vgs in by_node.items():
        for vg in vgs:
            seen.setdefault(vg, []).append(node)
    # the same name with different sizes (compared in the same units) is each node's own VG
    sizes: dict[tuple[str, bool], set[str]] = {}
    for f in ctx.facts(VGS):
        for v in f.value.vgs:
            if v.size:
                sizes.setdefault((v.name, bool(re.fullmatch(r"\d+B?", v.size))), set()).add(v.size)
    differ = {name for (name, _), got in sizes.items() if len(got) > 1}
    for vg, nodes in seen.items():
        if len(nodes) < 2 or vg == LOCAL_VG or vg in thin or vg in out or vg in differ:
            continue
        sv = out.setdefault(vg, SharedVG(vg))
        sv.reasons.append(f"seen by {len(nodes)} nodes: {', '.join(sorted(nodes))}")
        sv.evidence.extend(by_node[n][vg] for n in sorted(nodes))
        sv.nodes.update(nodes)
    for vg, sv in out.items():
        sv.nodes.update(n for n, vgs in by_node.items() if vg in vgs)
    return out


_PATTERN = re.compile(r"^(?P<act>[ar])(?P<delim>[^A-Za-z0-9\s])(?P<body>.*)(?P=delim)$", re.S)
_KERNEL_NAME = re.compile(
    r"^/dev/(?P<dev>sd[a-z]+|hd[a-z]+|vd[a-z]+|xvd[a-z]+|nvme\d+n\d+)(?:p?\d+)?"
    r"(?:\.\*|\[0-9\]\*|\[0-9\]\+|\\d\*|\\d\+)?$")


def split_pattern(item: str) -> tuple[str, str] | None:
    """`r|/dev/sdb|` -> ("r", "/dev/sdb"); None when the item is not a filter pattern."""
    m = _PATTERN.match(item.strip())
    return (m.group("act"), m.group("body")) if m else None


def kernel_device(item: str) -> str | None:
    """The kernel device name a filter item is tied to (`r|/dev/sdb|` -> "sdb"), if any."""
    p = split_pattern(item)
    if not p:
        return None
    body = p[1].strip()
    body = body[1:] if body.startswith("^") else body
    body = body[:-1] if body.endswith("$") else body
    m = _KERNEL_NAME.match(body)
    return m.group("dev") if m else None


def rejects_usb(items: tuple[str, ...]) -> bool:
    return any((p := split_pattern(i)) is not None and p[0] == "r" and "/dev/disk/by-id/usb" in p[1]
               for i in items)


def filter_line(key: str, items: list[str]) -> str:
    return f"{key} = [ " + ", ".join(f'"{i}"' for i in items) + " ]"


def with_rejects(items: tuple[str, ...], extra: tuple[str, ...]) -> list[str]:
    """`items` plus the rejects in `extra` it lacks, put before a final accept-all."""
    out = list(items)
    tail: list[str] = []
    if out and (p := split_pattern(out[-1])) and p[0] == "a" and p[1] in (".*", "/.*", "^.*$"):
        tail = [out.pop()]
    for e in extra:
        if e not in out:
            out.append(e)
    return out + tail
