"""LVM106 lvm-autoactivation-unset: a shared/iSCSI VG is present and every VG is autoactivated."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts.context import Context
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import NotApplicable
from forewarn.facts.lvm import LOCAL_VG, shared_vgs, storage_vgs, vgs_by_node
from forewarn.parse.lvm.conf import LVM_CONF
from forewarn.parse.lvm.report import LVS, PVS, VGS
from forewarn.parse.pve.section_config import STORAGE_CFG


@rule(
    code="LVM106", reads=(STORAGE_CFG,),
    inputs=(VGS, LVS, PVS),
    requires=(LVM_CONF,),
    fix=(
            note("In /etc/lvm/lvm.conf, section `activation`, set `{aavl_line}` (the VGs on this node's own "
                 "disks; shared VGs are activated volume by volume by Proxmox)."),
            step("lvmconfig activation/auto_activation_volume_list"),
            step("update-initramfs -u -k all"),
        ),
)
def autoactivation_unset(ctx: Context) -> Iterator[Hit]:
    shared = shared_vgs(ctx)
    _, thin = storage_vgs(ctx)
    by_node = vgs_by_node(ctx)
    applicable = False
    for node in sorted(by_node):
        conf = ctx.fact(LVM_CONF, node)
        vgs = by_node[node]
        known = [vg for vg in vgs if vg in shared]
        guessed = [] if shared else [vg for vg in vgs if vg != LOCAL_VG and vg not in thin]
        risky = known + guessed
        if not risky or conf is None:
            continue
        applicable = True
        local = [vg for vg in vgs if vg not in risky]
        aavl = conf.value.auto_activation_volume_list
        refs = [vgs[vg] for vg in risky]
        why = {vg: ("; ".join(shared[vg].reasons) if vg in shared else "a VG other than pve") for vg in risky}
        line = "auto_activation_volume_list = [ " + ", ".join(f'"{v}"' for v in local) + " ]"
        if aavl is None:
            missing = [no for path, no in conf.value.missing if path == "activation/auto_activation_volume_list"]
            refs.append(conf.ref(missing or [no for name, no in conf.value.sections if name == "activation"][:1]))
            yield Hit(
                f"{node}: auto_activation_volume_list is not set, so LVM autoactivates every LV of "
                + ", ".join(f"{vg} ({why[vg]})" for vg in risky) + " at boot and on every iSCSI login",
                nodes=node, evidence=refs, params={"aavl_line": line},
                details={"vgs": risky, "local": local},
            )
            continue
        listed = [vg for vg in known if vg in aavl.items]
        if listed:
            refs.append(conf.ref(range(aavl.line, aavl.end_line + 1)))
            yield Hit(
                f"{node}: auto_activation_volume_list (line {aavl.line}) names the shared VG "
                f"{', '.join(listed)}, so it is autoactivated anyway",
                nodes=node, evidence=refs,
                params={"aavl_line": "auto_activation_volume_list = [ "
                        + ", ".join(f'"{v}"' for v in aavl.items if v not in listed) + " ]"},
                details={"vgs": listed},
            )
    if not applicable:
        raise NotApplicable("no node with lvm.conf sees a shared or iSCSI VG (only local VGs)")
