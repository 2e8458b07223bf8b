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
spec("host.ip_addr", "command", "ip -j addr", "network interfaces and their addresses (JSON)",
     names=("ip-j-addr*", "ip_addr*", "ip-addr*.json"),
     sniff=(r'^\[\{"ifindex":\d+,"ifname":',), sniff_weight=8)
spec("host.hosts", "file", "/etc/hosts", "static host names (/etc/hosts)",
     names=("hosts", "hosts.*", "etc-hosts*", "etc_hosts*"),
     sniff=(r"^127\.0\.0\.1\s+localhost", r"^::1\s+\S*localhost", r"^# (?:BEGIN|END) ANSIBLE GENERATED HOSTS"),
     sniff_weight=6)
spec("host.interfaces", "file", "/etc/network/interfaces|/etc/network/interfaces.d/*",
     "network configuration of ifupdown/ifupdown2 (and the files it sources)", multi=True,
     names=("interfaces", "interfaces.*", "*.interfaces", "interfaces-*", "interfaces_*"),
     sniff=(r"^\s*iface\s+[\w.:@\-]+(?:\s+inet6?\s+\w+)?\s*$", r"^\s*auto\s+[\w.:@\-]+(?:\s+[\w.:@\-]+)*\s*$",
            r"^\s*(?:bridge[-_]ports|bond[-_]slaves|bond[-_]master|vxlan[-_]id)\s+\S"),
     sniff_weight=8)
spec("host.ip_link", "command", "ip -j -d link", "network devices with kind, MTU and master (JSON)",
     names=("*ip-j-d-link*", "*ip-d-j-link*", "ip-link*", "*ip_link*", "*ip-j-link*"),
     sniff=(r'\A\s*\[\s*\{\s*"ifindex"\s*:\s*\d+\s*,(?![\s\S]*"addr_info")',
            r'\A(?![\s\S]*"addr_info")[\s\S]*?"link_type"\s*:',
            r'\A(?![\s\S]*"addr_info")[\s\S]*?"min_mtu"\s*:'),
     sniff_weight=8)
spec("host.sysctl_conf", "file",
     "/etc/sysctl.conf|/etc/sysctl.d/*.conf|/run/sysctl.d/*.conf|/usr/lib/sysctl.d/*.conf|/lib/sysctl.d/*.conf",
     "kernel parameters set at boot (sysctl.conf, sysctl.d)", multi=True,
     names=("sysctl.conf*", "*.sysctl.conf", "sysctl.d-*", "sysctl-d-*"),
     sniff=(r"^\s*-?(?:net|kernel|vm|fs)[./][\w./\-]+\s*=\s*\S",), sniff_weight=6)
