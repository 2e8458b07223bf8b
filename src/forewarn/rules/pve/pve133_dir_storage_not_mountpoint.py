"""PVE133 dir-storage-not-mountpoint: a `dir` storage on a path that is normally a mounted disk
or share, without `is_mountpoint`: when the mount is missing, data lands on the root filesystem."""

from __future__ import annotations

import re
from collections.abc import Iterator

from forewarn.facts.context import Context
from forewarn.model.findings import Severity, When
from forewarn.rules import Hit, note, rule, step
from forewarn.rules._engine import CouldNotCheck, NotApplicable
from forewarn.facts.storage import content_severity, storage_cfg
from forewarn.parse.host.mounts import MOUNTS
from forewarn.parse.pve.section_config import STORAGE_CFG

FIX = (
    step("pvesm set {storage} --is_mountpoint yes"),
    note("With `is_mountpoint` set, Proxmox treats the storage as offline while nothing is mounted at "
         "{path}, instead of writing into the empty directory on the root filesystem. `mkdir 0` alone "
         "does not do this once the directory exists."),
    note("For your own jobs writing there (rsync, cron), add `RequiresMountsFor={path}` to their "
         "systemd unit, as seed 002 does for its rootfs backup."),
)
_MOUNTED_PREFIX = re.compile(r"^/(mnt|media|srv|run/media)/")
_MOUNTED_WORD = re.compile(r"(usb|nas|nfs|smb|cifs|external|extern|backup|hdd|disk\d*|vdp\d*)", re.I)
_SYSTEM_PATHS = ("/var/lib/vz",)


def _is_mountpoint_set(value: str | None) -> bool:
    if value is None:
        return False
    return value.strip().lower() not in ("0", "no", "false", "off", "")


@rule(code="PVE133", reads=(MOUNTS,), inputs=(STORAGE_CFG,), fix=FIX)
def dir_storage_not_mountpoint(ctx: Context) -> Iterator[Hit]:
    cfg_f, cfg = storage_cfg(ctx)
    if cfg is None or cfg_f is None:
        raise CouldNotCheck("storage.cfg could not be read")
    dirs = [s for s in cfg.sections if s.type == "dir" and not s.flag("disable")]
    if not dirs:
        raise NotApplicable("no `dir` storage in storage.cfg")
    mounts = ctx.by_node(MOUNTS)
    for s in dirs:
        path = (s.get("path") or "").rstrip("/")
        if not path or path in _SYSTEM_PATHS or _is_mountpoint_set(s.get("is_mountpoint")):
            continue
        restricted = s.list("nodes")
        now_mounted = [n for n, f in mounts.items() if f.value.is_mountpoint(path)
                       and (not restricted or n in restricted)]
        not_mounted = [n for n, f in mounts.items() if not f.value.is_mountpoint(path)
                       and (not restricted or n in restricted)]
        looks_mounted = bool(_MOUNTED_PREFIX.match(path + "/") or _MOUNTED_WORD.search(path))
        if not looks_mounted and not now_mounted:
            continue
        sev = content_severity(s)
        content = ",".join(s.list("content")) or "default content"
        mkdir = " (`mkdir 0` is set, which does not stop writes into an existing directory)" \
            if s.get("mkdir") in ("0", "no") else ""
        ev = [cfg_f.ref(s.lines())]
        base = (f"dir storage '{s.id}' ({content}) at {path} has no `is_mountpoint`{mkdir}")
        if not_mounted and looks_mounted:
            for n in not_mounted:
                f = mounts[n]
                holder = f.value.containing(path)
                on = f" — it is a plain directory on {holder.mountpoint} ({holder.device})" if holder else ""
                yield Hit(f"{n}: {base}, and {path} is NOT mounted right now{on}: writes go to that "
                          "filesystem", nodes=n, evidence=ev + ([f.ref([holder.line])] if holder else []),
                          params={"storage": s.id, "path": path, "node": n}, when=When.NOW,
                          severity=Severity.HIGH if sev is None else max(sev, Severity.MEDIUM),
                          details={"storage": s.id, "path": path, "mounted": False})
        elif now_mounted:
            f = mounts[now_mounted[0]]
            m = f.value.at(path)
            where = f"{m.fstype} from {m.device} on " if m is not None else ""
            yield Hit(f"{base}; it is a mount point now ({where}"
                      f"{', '.join(now_mounted)}), and nothing stops writes to the root filesystem if "
                      "that mount is ever missing",
                      nodes=now_mounted, evidence=ev + ([f.ref([m.line])] if m else []),
                      params={"storage": s.id, "path": path}, when=When.CONFIG, severity=sev,
                      details={"storage": s.id, "path": path, "mounted": True})
        else:
            yield Hit(f"{base}; {path} looks like the mount point of a separate disk or share",
                      nodes=restricted, evidence=ev, params={"storage": s.id, "path": path},
                      when=When.CONFIG, severity=sev, details={"storage": s.id, "path": path})
