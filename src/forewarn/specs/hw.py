"""Disk health: SMART (smartctl) and the NVMe health log (nvme-cli).

Every disk is read in one loop (one report after the other in one artifact): `-n standby`
leaves a spun-down disk asleep (smartctl then says so and reads nothing). Virtual disks
(virtio, /dev/vd*) have no SMART and are not listed.
"""

from forewarn.specs._base import spec

_DISKS = "/dev/sd[a-z] /dev/sd[a-z][a-z] /dev/nvme[0-9]n1 /dev/nvme[0-9][0-9]n1"

spec("hw.smartctl", "command", "smartctl -n standby -x -j <each disk>",
     "SMART health, attributes and NVMe health log of every disk (`smartctl -a`/`-x`, text or `-j` JSON)",
     names=("smartctl*", "smart-*", "smart_*"),
     sniff=(r"^SMART overall-health self-assessment test result:", r"^ID# ATTRIBUTE_NAME\s+FLAGS?\s+VALUE",
            r'"smartctl"\s*:\s*\{', r"^smartctl \d+\.\d+ \d{4}-\d\d-\d\d"),
     sniff_weight=10, merge_stderr=False, timeout=60,
     collect=(f'for d in {_DISKS}; do\n'
              '  [ -b "$d" ] || continue\n'
              '  smartctl -n standby -x -j "$d"\n'
              'done'),
     applies_if="command -v smartctl  # smartctl (smartmontools) is not installed", data=True)
spec("hw.nvme_smart_log", "command", "nvme smart-log -o json <each controller>",
     "the NVMe SMART / health log of every controller (`nvme smart-log`, text or `-o json`)",
     names=("nvme-smart-log*", "nvme_smart_log*", "smart-log*"),
     sniff=(r"^Smart Log for NVME device:", r"^critical_warning\s+: "),
     sniff_weight=10, merge_stderr=False, timeout=30,
     collect=('for d in /dev/nvme[0-9] /dev/nvme[0-9][0-9]; do\n'
              '  [ -c "$d" ] || continue\n'
              '  nvme smart-log -o json "$d"\n'
              'done'),
     applies_if="command -v nvme  # nvme-cli is not installed", data=True)
