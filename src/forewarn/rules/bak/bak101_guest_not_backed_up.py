"""BAK101 guest-not-backed-up: guests that no enabled vzdump job selects."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts.context import Context
from forewarn.facts.guests import Guest, guests
from forewarn.model.findings import Severity, When
from forewarn.parse.pve.guest_config import GUEST_CONFIG
from forewarn.parse.pve.jobs_cfg import JOBS_CFG
from forewarn.parse.pve.section_config import Section
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import NotApplicable

FIX = (
    step("pvesh get /cluster/backup-info/not-backed-up"),
    note("Add the guests to a backup job (Datacenter > Backup > job > Edit: Selection), or switch the job "
         "to `all 1` with explicit `exclude` entries so new guests are backed up by default: {vmids}"),
    step("vzdump {first} --storage <backup storage> --mode snapshot"),
)


def _selects(job: Section, g: Guest) -> bool | None:
    """Whether the job backs the guest up: True, False, or None when only its pool could say."""
    node = job.get("node")
    if node and g.owner and node != g.owner:
        return False
    if job.flag("all"):
        return str(g.vmid) not in job.list("exclude")
    if str(g.vmid) in job.list("vmid"):
        return True
    return None if job.get("pool") else False


@rule(code="BAK101", inputs=(GUEST_CONFIG,), requires=(JOBS_CFG,), fix=FIX, when=When.CONFIG)
def guest_not_backed_up(ctx: Context) -> Iterator[Hit]:
    gs = [g for g in guests(ctx) if g.config.options.get("template", "0") != "1"]
    if not gs:
        raise NotApplicable("no guests (templates aside)")
    jf = ctx.facts(JOBS_CFG)[0]
    jobs = jf.value.by_type("vzdump")
    enabled = [j for j in jobs if j.get("enabled", "1") != "0"]
    nodes = sorted({g.owner for g in gs if g.owner})
    if not enabled:
        what = f"{len(jobs)} backup job(s), all disabled" if jobs else "no backup job"
        yield Hit(f"jobs.cfg has {what}: none of the {len(gs)} guests is backed up on a schedule "
                  f"(high: no restore point exists for any of them)",
                  nodes=nodes, evidence=[jf.ref([j.line for j in jobs])], severity=Severity.HIGH,
                  params={"vmids": " ".join(str(g.vmid) for g in gs), "first": gs[0].vmid})
        return
    missing: list[Guest] = []
    maybe: list[Guest] = []
    for g in gs:
        verdicts = [_selects(j, g) for j in enabled]
        if True in verdicts:
            continue
        (maybe if None in verdicts else missing).append(g)
    if not missing and not maybe:
        return
    disabled = [j.id for j in jobs if j not in enabled]
    evidence = [jf.ref([j.line for j in jobs] + [j.prop_lines[k] for j in jobs for k in ("vmid", "all", "pool", "node")
                                                 if k in j.prop_lines])]
    evidence += [g.fact.ref([]) for g in (missing + maybe)[:12]]

    def names(lst: list[Guest]) -> str:
        return ", ".join(f"{'CT' if g.kind == 'lxc' else 'VM'} {g.vmid}"
                         + (f" ({g.config.options.get('name') or g.config.options.get('hostname')})"
                            if g.config.options.get("name") or g.config.options.get("hostname") else "")
                         for g in lst)
    parts = []
    if missing:
        parts.append(f"{len(missing)} of {len(gs)} guests are in no enabled backup job: {names(missing)}")
    if maybe:
        pools = sorted({j.get('pool') or '' for j in enabled if j.get('pool')})
        parts.append(f"{names(maybe)} only if pool {', '.join(pools)} holds them (pool membership not read)")
    tail = (" (medium: a guest may be left out on purpose, but nothing in the config says so, and a lost disk "
            "means a lost guest)")
    if disabled:
        tail = f"; disabled job(s): {', '.join(disabled)}" + tail
    sev = Severity.MEDIUM if missing else Severity.LOW
    all_ = missing + maybe
    yield Hit("; ".join(parts) + tail, nodes=sorted({g.owner for g in all_ if g.owner}), evidence=evidence,
              severity=sev, params={"vmids": " ".join(str(g.vmid) for g in all_), "first": all_[0].vmid},
              details={"missing": [g.vmid for g in missing], "pool_unknown": [g.vmid for g in maybe]})
