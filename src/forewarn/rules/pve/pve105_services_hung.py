"""PVE105 services-hung: the Proxmox services are hung or down, the pve CLI tools time out."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts.context import Context
from forewarn.model.findings import EvidenceRef, When
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import CouldNotCheck, NotApplicable
from forewarn.specs._base import SPECS
from forewarn.parse.pve.ha_manager_status import HA_MANAGER_STATUS
from forewarn.parse.pve.pvesm_status import PVESM_STATUS
from forewarn.parse.pve.pvesr_status import PVESR_STATUS
from forewarn.parse.pve.pveversion import PVEVERSION
from forewarn.parse.pve.quorum_status import PVECM_STATUS
from forewarn.parse.pve.services import PVE_SERVICES

# pve CLI commands that hang when pmxcfs, pvestatd or a storage hangs: a timeout is evidence
CLI_SPECS = (PVECM_STATUS, HA_MANAGER_STATUS, PVESM_STATUS, PVESR_STATUS,
             PVEVERSION)
# the services the seed restarts, minus corosync (PVE104 reports a stopped corosync)
SERVICES = ("pve-cluster", "pvestatd", "pveproxy", "pvedaemon", "pvescheduler")

FIX = (
    step("reboot", safe=False),
    note("Seed 001: a reboot (over ssh or the hoster's KVM console) is the best cure; running guests "
         "are not affected by the hung services, but a reboot stops them. If a reboot is not "
         "acceptable, stop and start the Proxmox services instead:"),
    step("for s in pveproxy spiceproxy pvestatd pve-cluster corosync; do systemctl stop $s; done", safe=False),
    step("for s in corosync pve-cluster pvestatd spiceproxy pveproxy; do systemctl start $s; done"),
    note("The seed prints the second loop with `systemctl stop`: that is a mistake — the services must "
         "be started again, in this order (corosync first, pveproxy last)."),
    step("systemctl --failed"),
    step("pvecm status"),
)


@rule(code="PVE105", inputs=(PVE_SERVICES, *CLI_SPECS), fix=FIX, timeouts_are_evidence=True)
def services_hung(ctx: Context) -> Iterator[Hit]:
    any_units = False
    no_systemd: list[str] = []
    for node in ctx.nodes:
        parts: list[str] = []
        evidence: list[EvidenceRef] = []
        timed_out = []
        for spec in CLI_SPECS:
            for rec in ctx.raw(spec, node):
                if rec.timed_out:
                    timed_out.append(rec)
        for rec in timed_out:
            secs = f" after {rec.duration:.0f} s" if rec.duration else ""
            shown = rec.text().strip()
            cmd = rec.source or (SPECS[rec.spec].source if rec.spec in SPECS else rec.spec)
            parts.append(f"`{cmd}` timed out{secs}" + (" with no output" if not shown else ""))
            evidence.append(EvidenceRef(spec=rec.spec, node=node, artifact=rec.artifact,
                                        excerpt=(f"timed out{secs}",) + tuple(shown.splitlines()[-2:])))
        f = ctx.fact(PVE_SERVICES, node)
        if f is not None:
            if f.value.error and not f.value.units:
                no_systemd.append(node)
            down = []
            for name in SERVICES:
                unit = f.value.get(name)
                if unit is None or not unit.exists:
                    continue
                any_units = True
                if not unit.active:
                    down.append(unit)
            if down:
                parts.append(", ".join(f"{u.id} is {u.describe()}" for u in down))
                evidence.append(f.ref([n for u in down for n in u.lines]))
        if not parts:
            continue
        hung = [u for u in (f.value.units.values() if f is not None else ())
                if u.active_state in ("deactivating", "activating", "reloading")]
        yield Hit(f"{node}: " + "; ".join(parts), nodes=node, evidence=evidence, when=When.NOW,
                  details={"timed_out": [r.spec for r in timed_out],
                           "stuck": [u.id for u in hung]})
        any_units = True
    if not any_units:
        if no_systemd:
            raise CouldNotCheck(f"systemctl could not answer on {', '.join(no_systemd)}")
        if ctx.has(PVE_SERVICES):
            raise NotApplicable("none of the Proxmox services is installed here")
