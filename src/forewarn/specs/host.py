"""Generic Linux host evidence used by the PVE and LVM rules (more arrive with the host rules)."""

from forewarn.specs._base import spec

spec("host.hostname", "command", "hostname", "host name", names=("hostname*",))
spec("host.mounts", "file", "/proc/mounts", "mounted file systems", names=("mounts*", "proc-mounts*"),
     sniff=(r"^\S+ / \S+ \S+ \d \d$", r"^proc /proc proc "), sniff_weight=8)
spec("host.key_users", "file", "/proc/key-users", "kernel key quota per uid",
     names=("key-users*", "key_users*"),
     sniff=(r"^\s*\d+:\s+\d+ \d+/\d+ \d+/\d+ \d+/\d+\s*$",))
spec("host.cmdline", "file", "/proc/cmdline", "kernel command line", names=("cmdline*",),
     sniff=(r"^BOOT_IMAGE=\S+",), sniff_weight=6)
spec("host.sysctl", "command", "sysctl -a", "kernel parameters", names=("sysctl*",),
     sniff=(r"^kernel\.\S+ = ", r"^net\.ipv4\.\S+ = "))
spec("host.dpkg", "command", "dpkg -l", "installed packages", names=("dpkg*", "packages*"),
     sniff=(r"^Desired=Unknown/Install/Remove/Purge/Hold", r"^ii  \S+\s+\S+"))
spec("host.uname", "command", "uname -a", "kernel version", names=("uname*",),
     sniff=(r"^Linux \S+ \d+\.\d+",), sniff_weight=6)
spec("host.stat_mounts", "command", "stat -f -c '%T %n' <each network mount point>",
     "whether each network mount answers (a timeout here means a stale mount)",
     names=("stat-mounts*",))
