"""K8S119 kubelet-swap-on: swap is on while kubelet refuses to run with swap (failSwapOn, true by
default): kubelet does not start and the node stays NotReady."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts import logs
from forewarn.facts.context import Context
from forewarn.model.findings import When
from forewarn.model.keys import Key
from forewarn.parse.host.swaps import SWAPS, SwapArea
from forewarn.parse.k8s.kubelet_config import KubeletConfig
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import CouldNotCheck, NotApplicable

KUBELET_CONFIG = Key("k8s.kubelet_config", KubeletConfig)

FIX = (
    step("swapoff -a", safe=False),
    note("Keep it off across reboots: comment out the swap lines in /etc/fstab (and `systemctl mask` any "
         "*.swap unit or zram generator). Or run kubelet with swap on purpose: `failSwapOn: false` and "
         "`memorySwap: {swapBehavior: LimitedSwap}` in /var/lib/kubelet/config.yaml (Kubernetes 1.28+, cgroup v2)."),
    step("systemctl restart kubelet", safe=False),
)


@rule(code="K8S119", inputs=(SWAPS, *logs.LOG_SPECS), reads=(KUBELET_CONFIG,), platform="linux", fix=FIX)
def kubelet_swap_on(ctx: Context) -> Iterator[Hit]:
    checked = False
    reported: set[str] = set()
    for node, f in sorted(ctx.by_node(SWAPS).items()):
        kc = ctx.fact(KUBELET_CONFIG, node)
        if kc is None:
            continue
        checked = True
        areas = f.value.areas
        if not areas:
            continue
        fail_on = kc.value.fail_swap_on
        if fail_on is False:
            continue  # swap allowed on purpose
        said = "failSwapOn: true" if fail_on else "failSwapOn not set (kubelet's default: true)"
        names = ", ".join(f"{a.name} ({a.kind}, {_size(a)})" for a in areas)
        reported.add(node)
        yield Hit(f"{node}: swap is on ({names}) and kubelet's configuration has {said}: kubelet refuses to start "
                  "(`running with swap on is not supported`), so the node stays NotReady",
                  nodes=node, evidence=[f.ref([a.line for a in areas]),
                                        kc.ref([kc.value.lines.get("failSwapOn", 0)])],
                  details={"swap": [a.name for a in areas], "fail_swap_on": fail_on})
    for node, evs in _by_node(logs.events(ctx, None, ("kubelet_swap_on",))).items():
        checked = True
        if node in reported:
            continue
        yield Hit(f"{node}: kubelet refused to start {len(evs)} time(s): running with swap on is not supported "
                  "(failSwapOn is true)", nodes=node, evidence=logs.refs(evs, limit=3), when=When.PAST)
    if not checked and not ctx.facts(KUBELET_CONFIG):
        raise NotApplicable("no kubelet configuration and no kubelet swap error here")
    if not checked:
        raise CouldNotCheck("needs /proc/swaps next to kubelet's configuration")


def _size(a: SwapArea) -> str:
    """/proc/swaps gives KiB; `swapon --show` a size as printed (`2G`)."""
    return f"{int(a.size) // 1024} MiB" if a.size.isdigit() else a.size


def _by_node(evs: list[logs.NodeEvent]) -> dict[str, list[logs.NodeEvent]]:
    out: dict[str, list[logs.NodeEvent]] = {}
    for e in evs:
        out.setdefault(e.node, []).append(e)
    return out
