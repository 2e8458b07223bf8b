"""Local storage health: Linux software RAID (and, with the ZFS and LVM specs, the storage rules)."""

from forewarn.specs._base import spec

spec("host.mdstat", "file", "/proc/mdstat", "Linux software RAID arrays and their state",
     names=("mdstat*", "proc-mdstat*"),
     sniff=(r"^Personalities : ", r"^md\d+ : (?:in)?active ", r"^\s+\d+ blocks .*\[\d+/\d+\] \[[U_]+\]"))
# A glob that matches nothing stays literal: mdadm then says `cannot open`, which is an answer too.
spec("host.mdadm_detail", "command", "mdadm --detail /dev/md[0-9]*",
     "each md array's state and members (mdadm --detail)", names=("mdadm-detail*", "mdadm_detail*"),
     sniff=(r"^\s*Raid Level : ", r"^\s*Number\s+Major\s+Minor\s+RaidDevice\s+State"), data=True)
# -l: local filesystems only, so a dead NFS mount cannot hang df (PRODUCT.md: hang-proof)
spec("host.df", "command", "df -P -k -l", "filesystem usage (local filesystems)", names=("df*",),
     sniff=(r"^Filesystem\s+(?:1024|1K)-blocks\s+Used\s+Avail", r"^Filesystem\s+Size\s+Used\s+Avail\s+Use% Mounted on"),
     data=True)
spec("host.swaps", "file", "/proc/swaps", "active swap areas", names=("swaps*", "proc-swaps*"),
     sniff=(r"^\s*Filename\s+Type\s+Size\s+Used\s+Priority", r"^NAME\s+TYPE\s+SIZE\s+USED\s+PRIO\s*$"))
spec("zfs.zpool_list", "command", "zpool list -o name,size,allocated,free,fragmentation,capacity,health",
     "ZFS pool capacity and fragmentation", names=("zpool-list*", "zpool_list*", "zpool-get*", "zpool_get*"),
     sniff=(r"^NAME\s+SIZE\s+ALLOC\s+FREE\s+", r"^\S+\s+capacity\s+\d+%\s+-\s*$"), data=True)
