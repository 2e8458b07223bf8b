"""ZFS: pool and dataset health (zpool status, zfs get), on PVE hosts and any Linux with OpenZFS."""
