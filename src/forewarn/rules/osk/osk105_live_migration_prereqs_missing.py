"""OSK105 live-migration-prereqs-missing: libvirtd not listening for TCP migration, or the instances
directory not on the shared storage the other computes use."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts.context import Context
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import CouldNotCheck
from forewarn.facts.openstack import compute_conf
from forewarn.parse.host.mounts import MOUNTS
from forewarn.parse.osk.oslo_conf import LIBVIRTD_CONF, NOVA_CONF, OsloConf

INSTANCE_PATHS = ("/var/lib/docker/volumes/nova_compute/_data/instances", "/var/lib/nova/instances")

LISTEN_FIX = (
    note("Set `listen_tcp = 1` (and `listen_addr` to the migration address) in "
         "/etc/kolla/nova-libvirt/libvirtd.conf — or let Kolla render it: `kolla-ansible -i multinode "
         "reconfigure --tags nova`. On libvirt >= 5.6 with systemd sockets, enable libvirtd-tcp.socket instead."),
    step("docker restart nova_libvirt nova_compute", safe=False),
    step("ss -ltnp | grep 16509"),
)
MOUNT_FIX = (
    step("mount -t nfs {share} {path}", safe=False),
    note("Add the same mount to /etc/fstab on {node} so it survives a reboot (seed 003 remounted by hand "
         "after every restart)."),
    step("docker restart nova_compute", safe=False),
)


def _tcp_migration(conf: OsloConf) -> tuple[bool, int | None, str]:
    """Whether nova migrates over plain TCP, with the line that says so."""
    for key in ("live_migration_uri", "connection_uri"):
        e = conf.entry("libvirt", key)
        if e is not None and "qemu+tcp" in e.value:
            return True, e.line, f"[libvirt] {e.key} = {e.value}"
    e = conf.entry("libvirt", "live_migration_scheme")
    if e is not None:
        return e.value.strip().lower() == "tcp", e.line, f"[libvirt] live_migration_scheme = {e.value}"
    for section in ("libvirt", "DEFAULT"):
        e = conf.entry(section, "live_migration_flag")
        if e is not None:
            return True, e.line, f"live_migration_flag = {e.value} (peer-to-peer over libvirt's TCP port)"
    return False, None, ""


def _expects_shared(conf: OsloConf) -> tuple[bool, int | None]:
    """nova.conf asks for shared-storage migration: a live_migration_flag without NON_SHARED."""
    for section in ("libvirt", "DEFAULT"):
        e = conf.entry(section, "live_migration_flag")
        if e is not None and "NON_SHARED" not in e.value.upper():
            return True, e.line
    return False, None


@rule(code="OSK105", inputs=(LIBVIRTD_CONF, NOVA_CONF, MOUNTS), fix=LISTEN_FIX)
def live_migration_prereqs_missing(ctx: Context) -> Iterator[Hit]:
    checked = False
    shared_on: dict[str, str] = {}  # node -> "device on path" of computes that have the NFS share
    mounts_by_node = ctx.by_node(MOUNTS)
    for node, mounted in mounts_by_node.items():
        for p in INSTANCE_PATHS:
            m = mounted.value.containing(p)
            if m is not None and m.is_network and m.mountpoint != "/":
                shared_on[node] = f"{m.device} ({m.fstype}) on {m.mountpoint}"
                break
    for node in ctx.nodes:
        conf = compute_conf(ctx, node)
        lv = ctx.fact(LIBVIRTD_CONF, node)
        if conf is not None and lv is not None:
            checked = True
            tcp, line, why = _tcp_migration(conf.value)
            if tcp:
                listen_tcp, listen_tls = lv.value.flag("listen_tcp"), lv.value.flag("listen_tls")
                if not listen_tcp and not listen_tls:
                    e = lv.value.entry("listen_tcp")
                    state = f"sets listen_tcp = {e.value} (line {e.line})" if e is not None else \
                        "leaves listen_tcp unset (commented out: libvirt's default is off)"
                    yield Hit(f"{node}: nova migrates over TCP ({why}, nova.conf line {line}) but libvirtd.conf "
                              f"{state}: other computes cannot connect to its libvirtd on :16509",
                              nodes=node, evidence=[conf.ref([line or 0]), lv.ref([e.line] if e else [])],
                              details={"listen_tcp": listen_tcp, "listen_tls": listen_tls})
        mf = mounts_by_node.get(node)
        if mf is None or conf is None and not shared_on:
            continue
        checked = True
        if node in shared_on:
            continue
        expects, fline = _expects_shared(conf.value) if conf is not None else (False, None)
        images = conf.value.get("libvirt", "images_type") if conf is not None else None
        if images and images.lower() == "rbd":
            continue  # Ceph-backed disks are shared without an instances mount
        if not shared_on and not expects:
            continue
        paths = [p for p in INSTANCE_PATHS]
        here = mf.value.containing(paths[0])
        where = f"{paths[0]} is on {here.device} ({here.fstype}, {here.mountpoint})" if here else \
            f"nothing is mounted on {paths[0]}"
        others = "; ".join(f"{n}: {w}" for n, w in sorted(shared_on.items()))
        reason = f"the other computes mount it ({others})" if shared_on else \
            f"nova.conf line {fline} asks for shared-storage migration (no VIR_MIGRATE_NON_SHARED_INC)"
        share = next(iter(shared_on.values()), "<nfs-server>:/share").split(" ", 1)[0]
        evidence = [mf.ref([here.line] if here else [])]
        evidence += [mounts_by_node[n].ref([]) for n in sorted(shared_on)][:2]
        if conf is not None and fline:
            evidence.append(conf.ref([fline]))
        yield Hit(f"{node}: the instances directory is not on shared storage — {where} — while {reason}",
                  nodes=node, evidence=evidence, fix=list(MOUNT_FIX),
                  params={"share": share, "path": paths[0]},
                  details={"shared_on": sorted(shared_on)})
    if not checked:
        raise CouldNotCheck("needs a compute's nova.conf with its libvirtd.conf, or /proc/mounts of the computes")
