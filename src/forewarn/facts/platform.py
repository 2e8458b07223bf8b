"""Which platforms a bundle shows: a rule for an absent platform is "not applicable"."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from forewarn.facts.context import Context

_PVE_PROGRAMS = ("corosync", "pmxcfs", "pve-ha-lrm", "pve-ha-crm", "pvedaemon", "pveproxy",
                 "pvestatd", "pvescheduler", "pvesr", "pve-firewall")


# Programs whose log lines show that a platform runs on the node, when no spec of it was read.
_LOG_PROGRAMS = {
    "osk": ("nova-", "neutron-", "nova_", "neutron_", "libvirtd", "kolla"),  # nova_compute[...]: a Kolla or EDPM container
    "pcmk": ("pacemaker", "crmd", "stonith-ng", "pengine"),
    "k8s": ("kubelet", "kube-apiserver", "kube-proxy", "containerd", "istio", "coredns", "calico", "k3s"),
}


def platform_present(ctx: "Context", platform: str) -> bool:
    if platform == "linux":
        return bool(ctx.records)
    if any(r.spec.startswith(platform + ".") for r in ctx.records):
        return True
    if platform == "pve":
        from forewarn.facts.logs import log_programs

        return any(p in _PVE_PROGRAMS for p in log_programs(ctx))
    if platform in _LOG_PROGRAMS:
        from forewarn.facts.logs import log_programs

        progs = log_programs(ctx)
        return any(p.startswith(_LOG_PROGRAMS[platform]) for p in progs)
    if platform == "zfs":
        # zpool/zfs output is the evidence; PVE collects zpool status under its own spec
        if any(r.spec in ("pve.zpool_status", "pve.zfs_volumes") for r in ctx.records):
            return True
        from forewarn.facts.logs import log_programs

        if any(p in ("zed", "zpool", "zfs") for p in log_programs(ctx)):
            return True
        # the ZFS module's own kernel lines (a suspended pool, a failed zio) name the platform too
        from forewarn.facts.logs import events

        return any(e.kind.startswith("zfs_") for e in events(ctx))
    if platform == "ceph":
        from forewarn.facts.logs import events, log_programs

        if any(p.startswith("ceph-") for p in log_programs(ctx)):
            return True
        # a pasted `ceph -s` or `ceph health` read as text: its health lines name the platform
        return any(e.kind.startswith("ceph_") for e in events(ctx))
    if platform == "lvm":
        from forewarn.facts.logs import events

        return any(e.kind.startswith("lvm_") for e in events(ctx))
    return False
