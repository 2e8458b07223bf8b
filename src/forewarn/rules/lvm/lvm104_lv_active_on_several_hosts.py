"""LVM104 lv-active-on-several-hosts: a logical volume of a shared VG is active on two or more nodes."""

from __future__ import annotations

import re
from collections.abc import Iterator

from forewarn.facts.context import Context
from forewarn.facts.guests import guests
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import NotApplicable
from forewarn.facts.lvm import shared_vgs
from forewarn.parse.lvm.report import LVS, PVS, VGS
from forewarn.parse.pve.guest_config import GUEST_CONFIG
from forewarn.parse.pve.section_config import STORAGE_CFG

_GUEST_VOLUME = re.compile(r"^(?:vm|base)-(?P<vmid>\d+)-")
ONE_LINER = ("lvs | awk '$2 == \"{vg}\" && substr($3, 5, 1) == \"a\" { print $2 \"/\" $1 }' "
             "| xargs lvchange -an")


@rule(code="LVM104", reads=(PVS, VGS, GUEST_CONFIG, STORAGE_CFG), inputs=(LVS,))
def lv_active_on_many_hosts(ctx: Context) -> Iterator[Hit]:
    shared = shared_vgs(ctx)
    if not shared:
        raise NotApplicable("no shared VG: storage.cfg has no shared LVM storage and no VG is seen by "
                            "more than one node")
    owners = {g.vmid: g for g in guests(ctx)}
    active: dict[tuple[str, str], dict[str, tuple[bool | None, object, int]]] = {}
    for f in ctx.facts(LVS):
        for lv in f.value.lvs:
            if lv.vg not in shared or lv.name.startswith("[") or not lv.active:
                continue
            active.setdefault((lv.vg, lv.name), {}).setdefault(f.node, (lv.open, f, lv.line))
    for (vg, name), on in sorted(active.items()):
        if len(on) < 2:
            continue
        nodes = sorted(on)
        open_on = [n for n in nodes if on[n][0]]
        m = _GUEST_VOLUME.match(name)
        vmid = int(m.group("vmid")) if m else None
        guest = owners.get(vmid) if vmid is not None else None
        keep: str | None = None
        why = ""
        if guest is not None and guest.owner in on:
            keep, why = guest.owner, f"{guest.kind} {vmid}'s config is on {guest.owner}"
        elif len(open_on) == 1:
            keep, why = open_on[0], f"it is open only on {open_on[0]}"
        state = ", ".join(f"{n} ({'open' if on[n][0] else 'not open'})" for n in nodes)
        fix = []
        if keep is None:
            who = f"guest {vmid}" if vmid is not None else "the volume's user"
            fix.append(note(f"Find the node that runs {who} (`qm list` / `pct list` on each node): keep "
                            f"{vg}/{name} active there and run the command below on every other node only."))
        for n in nodes:
            if n != keep:
                fix.append(step(f"lvchange -an {vg}/{name}", safe=False, on=n))
        fix.append(note("Alternative when many volumes are affected (seed 000): on each node that should "
                        f"not use them, `{ONE_LINER.replace('{vg}', vg)}` deactivates every active volume of "
                        f"{vg} there; LVM refuses the open ones (`contains a filesystem in use`)."))
        fix.append(step("lvs -o +lv_active " + vg, on=None))
        yield Hit(
            f"{vg}/{name} is active on {len(nodes)} nodes: {state}"
            + (f"; keep it on {keep} ({why})" if keep else ""),
            nodes=nodes, evidence=[on[n][1].ref([on[n][2]]) for n in nodes],  # type: ignore[attr-defined]
            fix=fix, details={"vg": vg, "lv": name, "nodes": nodes, "open_on": open_on, "keep": keep,
                              "shared_because": shared[vg].reasons},
        )
