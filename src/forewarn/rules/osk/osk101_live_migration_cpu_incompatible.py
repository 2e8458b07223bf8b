"""OSK101 live-migration-cpu-incompatible: nova refused a live migration with InvalidCPUInfo."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts import logs
from forewarn.facts.context import Context, Fact
from forewarn.model.findings import EvidenceRef, Severity, When
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import CouldNotCheck
from forewarn.parse.osk.nova_compute_log import NOVA_COMPUTE_LOG
from forewarn.facts.openstack import compute_conf, log_ref, mixed_address_summary, seed_note
from forewarn.parse.osk.chrony_conf import CHRONY_CONF
from forewarn.parse.osk.oslo_conf import NEUTRON_CONF, NOVA_CONF, PLACEMENT_CONF, SERVICE_CONF, OsloConf

FIX = (
    note("Before touching CPUs: check that every compute reaches the controller at one address "
         "(OSK102, OSK103) — in seed 003 that, not the CPU, was the cause."),
    step("grep -E '^(cpu_mode|cpu_models?|cpu_model_extra_flags)' /etc/kolla/nova-compute/nova.conf"),
    step("docker exec nova_libvirt virsh cpu-models x86_64"),
    note("Give every compute the same `[libvirt] cpu_mode = custom` and `cpu_models = <a model all of "
         "them support>` (or the same `host-model`) in /etc/kolla/config/nova/nova-compute.conf, then "
         "`kolla-ansible -i multinode reconfigure --tags nova`."),
)


def _cpu_settings(conf: OsloConf) -> tuple[str, tuple[str, ...], list[int]]:
    mode_e = conf.entry("libvirt", "cpu_mode")
    models = [v for v in conf.all("libvirt", "cpu_models")] or [v for v in conf.all("libvirt", "cpu_model")]
    names: list[str] = []
    for v in models:
        names.extend(x.strip() for x in v.value.replace("\n", ",").split(",") if x.strip())
    lines = [e.line for e in ([mode_e] if mode_e else []) + models]
    mode = mode_e.value.strip().lower() if mode_e is not None else "host-model (default)"
    return mode, tuple(names), lines


# the same refusal in a log read as a system log or pasted text (a journal with nova_compute lines): the
# knowledge base's signature names it
CPU_KIND = "nova_cpu_incompatible"
DEFAULT_REASON = "CPU doesn't have compatibility"


@rule(code="OSK101", reads=(CHRONY_CONF, NEUTRON_CONF, PLACEMENT_CONF, SERVICE_CONF),
      inputs=(NOVA_COMPUTE_LOG, NOVA_CONF, *logs.LOG_SPECS), fix=FIX)
def live_migration_cpu_incompatible(ctx: Context) -> Iterator[Hit]:
    settings: dict[str, tuple[Fact[OsloConf], str, tuple[str, ...], list[int]]] = {}
    for node in ctx.nodes:
        f = compute_conf(ctx, node)
        if f is not None and f.value.has_section("libvirt"):
            settings[node] = (f, *_cpu_settings(f.value))
    distinct = {(mode.split(" ")[0], tuple(m.lower() for m in models))
                for _f, mode, models, _l in settings.values()}
    if len(settings) >= 2 and len(distinct) > 1:
        compare = "; ".join(f"{n}: cpu_mode {m}" + (f", cpu_models {','.join(md)}" if md else "")
                            for n, (_f, m, md, _l) in sorted(settings.items()))
        compare = "the computes' [libvirt] CPU settings differ — " + compare
    elif len(settings) >= 2:
        _f, m, md, _l = next(iter(settings.values()))
        compare = (f"[libvirt] cpu_mode {m}" + (f", cpu_models {','.join(md)}" if md else "")
                   + f" is the same on all {len(settings)} computes given, so nova.conf is not the difference")
    else:
        compare = ""
    mixed = mixed_address_summary(ctx)
    conf_refs = [sf.ref(lines) for sf, _m, _md, lines in settings.values() if lines][:4]

    def refused(node: str, count: int, when: str, reason: str, evidence: list[EvidenceRef]) -> Hit:
        parts = [f"{node}: live migration refused {count} time(s){when}: Unacceptable CPU info: "
                 f"{reason.rstrip('. ')}"]
        if compare:
            parts.append(compare)
        parts.append(f"here too, {mixed}" if mixed else seed_note())
        return Hit("; ".join(parts), nodes=node, evidence=evidence + conf_refs, when=When.PAST,
                   details={"events": count, "cpu_settings": {n: [m, list(md)] for n, (_f, m, md, _l)
                                                              in settings.items()}})

    seen_event = False
    from_nova_log: set[str] = set()  # nodes whose nova-compute log showed it: their journal repeats it
    for lf in ctx.facts(NOVA_COMPUTE_LOG):
        evs = lf.value.of("cpu_incompatible")
        if not evs:
            continue
        seen_event = True
        from_nova_log.add(lf.node)
        first = evs[0]
        when = f" at {first.ts:%Y-%m-%d %H:%M:%S}" if first.ts else f" (line {first.line})"
        yield refused(lf.node, len(evs), when, first.detail or DEFAULT_REASON, [log_ref(lf, evs)])
    by_node: dict[str, list[logs.NodeEvent]] = {}
    for ev in logs.events(ctx, None, (CPU_KIND,)):  # a journal or pasted text, not the nova-compute log
        by_node.setdefault(ev.node, []).append(ev)
    for node, nevs in by_node.items():
        if node in from_nova_log:
            continue
        seen_event = True
        first_ev = nevs[0]
        when = f" at {first_ev.ts:%Y-%m-%d %H:%M:%S}" if first_ev.ts else f" (line {first_ev.ev.line_no})"
        yield refused(node, len(nevs), when, first_ev.attrs.get("reason") or DEFAULT_REASON, logs.refs(nevs))
    if not seen_event and len(settings) >= 2 and len(distinct) > 1:
        yield Hit(f"{compare}: live migration between them will be refused with InvalidCPUInfo",
                  nodes=sorted(settings), severity=Severity.MEDIUM, when=When.NOW,
                  evidence=[sf.ref(lines) for sf, _m, _md, lines in settings.values() if lines][:6])
        return
    if not seen_event and not ctx.facts(NOVA_COMPUTE_LOG) and len(settings) < 2:
        raise CouldNotCheck("no nova-compute log and fewer than two computes' nova.conf with a [libvirt] "
                            "section: nothing to compare")
