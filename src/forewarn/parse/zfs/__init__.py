"""ZFS outputs that are not Proxmox-specific (zpool status stays in parse/pve/zpool_status.py)."""
