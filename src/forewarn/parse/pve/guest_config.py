"""Guest configuration files: `/etc/pve/nodes/<node>/qemu-server/<vmid>.conf` and `lxc/<vmid>.conf`.

`key: value` lines; `#` lines are the description; `[name]` starts a snapshot section
(`[PENDING]` and `[special:cloudinit]` are special). Disk and mount-point values are property
strings: `local-zfs:vm-100-disk-0,discard=on,size=32G` (the first part, without `=`, is the volume).
Which guest and node a file belongs to comes from its path, in facts/guests.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from forewarn.model.keys import Key
from forewarn.model.problems import Parsed, ParseProblem
from forewarn.parse._registry import parser
from forewarn.parse._text import lazy_compile

DISK_KEY = lazy_compile(r"^(ide|sata|scsi|virtio|efidisk|tpmstate|unused)\d+$")
MP_KEY = lazy_compile(r"^(rootfs|mp\d+)$")
_SECTION = lazy_compile(r"^\[(?P<name>[^\]]+)\]\s*$")
_LINE = lazy_compile(r"^(?P<key>[A-Za-z][\w\-]*)\s*:\s*(?P<value>.*?)\s*$")


@dataclass(frozen=True, slots=True)
class Volume:
    key: str  # scsi0, rootfs, mp0, ide2 ...
    volume: str  # "local-zfs:vm-100-disk-0", "/host/path" (bind mount), "none", "cdrom"
    opts: dict[str, str]
    line: int

    @property
    def storage(self) -> str | None:
        """Storage id of a storage-backed volume; None for bind mounts, devices and `none`."""
        if self.volume.startswith("/") or ":" not in self.volume:
            return None
        return self.volume.split(":", 1)[0]

    @property
    def is_bind_mount(self) -> bool:
        return self.volume.startswith("/")

    @property
    def is_cdrom(self) -> bool:
        return self.opts.get("media") == "cdrom"


def property_string(value: str, first_key: str = "volume") -> dict[str, str]:
    """`a,b=c,d=e` -> {"volume": "a", "b": "c", "d": "e"}; a bare word after the first is a flag."""
    out: dict[str, str] = {}
    for i, part in enumerate(p for p in value.split(",") if p != ""):
        if "=" in part:
            k, _, v = part.partition("=")
            out[k.strip()] = v.strip()
        elif i == 0:
            out[first_key] = part.strip()
        else:
            out[part.strip()] = "1"
    return out


@dataclass(slots=True)
class GuestConfig:
    options: dict[str, str]
    lines: dict[str, int]
    volumes: list[Volume]
    description: str = ""
    snapshots: dict[str, dict[str, str]] = field(default_factory=dict)
    pending: dict[str, str] = field(default_factory=dict)

    @property
    def kind_guess(self) -> str | None:
        """qemu or lxc from the keys alone (the path says it for sure)."""
        if "rootfs" in self.options or "arch" in self.options and "hostname" in self.options:
            return "lxc"
        if any(k in self.options for k in ("scsihw", "bootdisk", "boot", "smbios1", "vmgenid", "cpu", "bios")):
            return "qemu"
        return None

    @property
    def lock(self) -> str | None:
        return self.options.get("lock")

    @property
    def features(self) -> dict[str, str]:
        return property_string(self.options.get("features", ""), first_key="_")


GUEST_CONFIG = Key("pve.guest_config", GuestConfig, alternatives=("pve.api_guest_config",))


@parser("pve.guest_config")
def parse_guest_config(text: str) -> Parsed[GuestConfig]:
    """Parse a qemu-server or lxc guest config.

    >>> r = parse_guest_config("arch: amd64\\nlock: migrate\\nrootfs: local-lvm:vm-100-disk-0,size=8G\\n"
    ...                        "mp0: /opt/vlab,mp=/opt/vlab,ro=1\\n[snap1]\\nrootfs: local-lvm:x,size=8G\\n")
    >>> c = r.value
    >>> (c.lock, [(v.key, v.storage, v.is_bind_mount) for v in c.volumes], list(c.snapshots))
    ('migrate', [('rootfs', 'local-lvm', False), ('mp0', None, True)], ['snap1'])
    """
    options: dict[str, str] = {}
    lines: dict[str, int] = {}
    volumes: list[Volume] = []
    desc: list[str] = []
    snapshots: dict[str, dict[str, str]] = {}
    pending: dict[str, str] = {}
    problems: list[ParseProblem] = []
    section: str | None = None
    for no, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        m = _SECTION.match(line)
        if m:
            section = m.group("name")
            if section != "PENDING" and not section.startswith("special:"):
                snapshots.setdefault(section, {})
            continue
        if line.startswith("#"):
            if section is None:
                desc.append(line[1:])
            continue
        m = _LINE.match(line)
        if not m:
            problems.append(ParseProblem("not a `key: value` line", no, raw))
            continue
        key, value = m.group("key"), m.group("value")
        if section is None:
            options[key] = value
            lines[key] = no
            if DISK_KEY.match(key) or MP_KEY.match(key):
                ps = property_string(value)
                vol = ps.pop("volume", "")
                volumes.append(Volume(key, vol, ps, no))
        elif section == "PENDING":
            pending[key] = value
        elif section in snapshots:
            snapshots[section][key] = value
    if not options and not snapshots:
        problems.insert(0, ParseProblem("no guest options found"))
        return Parsed(None, problems)
    return Parsed(GuestConfig(options, lines, volumes, "\n".join(desc), snapshots, pending), problems)
