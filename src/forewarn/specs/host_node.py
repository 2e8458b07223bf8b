"""Linux host evidence for the node-level rules (time sync services, ...).

Kept apart from host.py so that several people can add specs at once without merge conflicts.
"""

from forewarn.specs._base import spec

_TIME_UNITS = "chrony chronyd ntp ntpd ntpsec openntpd systemd-timesyncd"
spec("host.timedatectl_status", "command", "timedatectl status",
     "whether the system clock is synchronised and systemd's NTP service is on",
     names=("timedatectl-status*", "timedatectl_status*"),
     sniff=(r"^\s*(?:System clock|NTP) synchronized: (?:yes|no)$",
            r"^\s*(?:NTP service|Network time on|NTP enabled): ", r"^\s*RTC in local TZ: "),
     sniff_weight=10,
     applies_if="[ -d /run/systemd/system ]  # systemd is not running here", data=True)
spec("host.systemctl_status", "command", f"systemctl status --no-pager {_TIME_UNITS}",
     "`systemctl status` of units: state and enablement (collected for the time-sync daemons)",
     names=("systemctl-status*", "systemctl_status*"),
     sniff=(r"^\s*(?:● |○ |× )?[\w@.:-]+\.service - .+$", r"^\s+Loaded: (?:loaded|not-found|masked) \(",
            r"^\s+Active: (?:active|inactive|failed|activating|deactivating) "),
     sniff_weight=8,
     applies_if="[ -d /run/systemd/system ]  # systemd is not running here")
spec("host.proc_net_bonding", "file", "/proc/net/bonding/*",
     "state of each Linux bond and its slaves (mode, MII status, LACP aggregators)",
     names=("*net-bonding*", "*net_bonding*", "bonding-*", "bond[0-9]*"),
     sniff=(r"^Ethernet Channel Bonding Driver: v", r"^Bonding Mode: ", r"^Slave Interface: \S+"),
     sniff_weight=10, multi=True)
