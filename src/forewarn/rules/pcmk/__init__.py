"""Pacemaker cluster rules (PCMK: corosync + pacemaker clusters outside Proxmox's own HA stack)."""
