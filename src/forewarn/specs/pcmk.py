"""Pacemaker clusters (corosync + pacemaker without Proxmox's own stack: SAP HANA, DRBD, NFS HA)."""

from forewarn.specs._base import spec

spec("pcmk.crm_mon", "command", "crm_mon -1", "Pacemaker's view of the cluster nodes and resources (crm_mon)",
     names=("crm_mon*", "crm-mon*", "crm-status*", "crm_status*", "pcs-status*", "pcs_status*"),
     sniff=(r"^\s*(?:\* )?Node List:\s*$", r"^\s*(?:\* )?Current DC: (?:NONE|\S+ \(version )",
            r"^\s*(?:\* )?Node \S+: UNCLEAN \((?:offline|online|pending)\)",
            r"^\s*(?:\* )?Online: \[ [^\]]*\]\s*$"),
     sniff_weight=8, timeout=15)
