"""Proxmox VE and corosync evidence."""

from forewarn.specs._base import spec

_QUORUM = (r"^Votequorum information", r"^Quorum information", r"Cannot initialize CMAP service",
           r"^Quorate:\s+(Yes|No)")

spec("pve.pvecm_status", "command", "pvecm status", "cluster and quorum status (pvecm)",
     names=("pvecm_status*", "pvecm-status*", "pvecm*status*"), sniff=_QUORUM, timeout=15)
spec("pve.corosync_quorumtool", "command", "corosync-quorumtool -s", "quorum status (corosync)",
     names=("corosync-quorumtool*", "corosync_quorumtool*", "quorumtool*"), sniff=_QUORUM,
     sniff_weight=9, timeout=15)
spec("pve.corosync_cfgtool", "command", "corosync-cfgtool -s", "knet link status per node",
     names=("corosync-cfgtool*", "corosync_cfgtool*", "cfgtool*"),
     sniff=(r"^Local node ID \d+, transport", r"^LINK ID \d+", r"^RING ID \d+"), timeout=15)
# only the keys the rules read: the whole map is long and could carry a `totem.key` set inline
spec("pve.corosync_cmapctl", "command",
     "corosync-cmapctl nodelist; corosync-cmapctl runtime.members; corosync-cmapctl runtime.votequorum.this_node_id",
     "corosync's cmap: nodelist as loaded and the running membership",
     names=("corosync-cmapctl*", "corosync_cmapctl*", "cmapctl*"),
     sniff=(r"^nodelist\.node\.\d+\.\w+ \(\w+\) = ", r"^runtime\.members\.\d+\.\w+ \(\w+\) = ",
            r"^totem\.\w+ \(\w+\) = "), timeout=15, data=True)
spec("pve.pvecm_nodes", "command", "pvecm nodes", "cluster membership (pvecm nodes)",
     names=("pvecm_nodes*", "pvecm-nodes*"), sniff=(r"^Membership information\s*$",),
     sniff_weight=6, timeout=15, data=True)
spec("pve.corosync_conf", "file", "/etc/pve/corosync.conf",
     "cluster-wide corosync.conf (pmxcfs copy)",
     names=("corosync.conf*", "corosync_conf*", "pve-corosync.conf*"),
     sniff=(r"^\s*totem\s*\{", r"^\s*nodelist\s*\{", r"^\s*quorum\s*\{"))
spec("pve.corosync_conf_local", "file", "/etc/corosync/corosync.conf",
     "node-local corosync.conf (what corosync really reads)",
     names=("etc-corosync-corosync.conf*", "corosync.conf.local*"), sniff_weight=0)
spec("pve.storage_cfg", "file", "/etc/pve/storage.cfg", "storage definitions",
     names=("storage.cfg*", "storage_cfg*"),
     sniff=(r"^(dir|zfspool|lvmthin|lvm|nfs|cifs|pbs|rbd|cephfs|iscsi|iscsidirect|zfs|glusterfs|btrfs|esxi):\s+\S+",))
spec("pve.ha_resources_cfg", "file", "/etc/pve/ha/resources.cfg", "HA resources",
     names=("resources.cfg*", "ha-resources*", "ha_resources*"), sniff=(r"^(vm|ct):\s+\d+\s*$",))
spec("pve.ha_groups_cfg", "file", "/etc/pve/ha/groups.cfg", "HA groups (PVE <= 8)",
     names=("groups.cfg*", "ha-groups*", "ha_groups*"), sniff=(r"^group:\s+\S+",))
spec("pve.ha_rules_cfg", "file", "/etc/pve/ha/rules.cfg", "HA rules (PVE 9 node affinity)",
     names=("rules.cfg*", "ha-rules*", "ha_rules*"),
     sniff=(r"^(node-affinity|resource-affinity):\s+\S+",))
spec("pve.replication_cfg", "file", "/etc/pve/replication.cfg", "storage replication jobs",
     names=("replication.cfg*", "replication_cfg*"), sniff=(r"^local:\s+\d+-\d+",))
spec("pve.guest_config", "file",
     "/etc/pve/nodes/*/qemu-server/*.conf|/etc/pve/nodes/*/lxc/*.conf",
     "guest configuration (qemu-server or lxc)", multi=True,
     names=("[0-9]*.conf",),
     sniff=(r"^(ostype|arch|rootfs|scsihw|bootdisk|vmgenid|smbios1|hostname|cores|memory):\s",),
     sniff_weight=6)
spec("pve.host_fw", "file", "/etc/pve/nodes/*/host.fw", "host firewall settings", multi=True,
     names=("host.fw*",), sniff=(r"^\[OPTIONS\]",), sniff_weight=4)
spec("pve.proxy_cert", "file",
     "/etc/pve/nodes/*/pveproxy-ssl.pem|/etc/pve/nodes/*/pve-ssl.pem",
     "web proxy certificate of each node (certificates only, never keys)", multi=True,
     names=("pveproxy-ssl.pem*", "pve-ssl.pem*"), sniff=(r"^-----BEGIN CERTIFICATE-----",),
     sniff_weight=6)
spec("pve.pbs_cert", "file", "/etc/proxmox-backup/proxy.pem",
     "Proxmox Backup Server proxy certificate", names=("proxy.pem*",), sniff_weight=0)
spec("pve.ha_manager_status", "command", "ha-manager status", "HA manager state",
     names=("ha-manager*", "ha_manager*"),
     sniff=(r"^quorum (OK|No quorum)", r"^master \S+ \(", r"^lrm \S+ \(", r"^service (vm|ct):\d+ \("),
     timeout=15)
spec("pve.pvesr_status", "command", "pvesr status", "replication job state",
     names=("pvesr*",), sniff=(r"^JobID\s+Enabled\s+Target",), timeout=15)
spec("pve.pvesm_status", "command", "pvesm status", "storage state", names=("pvesm*",),
     sniff=(r"^Name\s+Type\s+Status\s+Total",), timeout=30)
spec("pve.pveversion", "command", "pveversion -v", "Proxmox package versions",
     names=("pveversion*",), sniff=(r"^proxmox-ve: \S+", r"^pve-manager: \S+"), data=True)
spec("pve.services", "command",
     "systemctl show -p Id,ActiveState,SubState,UnitFileState,LoadState corosync.service "
     "pve-cluster.service pvestatd.service pveproxy.service pvedaemon.service "
     "pvescheduler.service spiceproxy.service pve-ha-lrm.service pve-ha-crm.service "
     "pve-firewall.service watchdog-mux.service",
     "state of the Proxmox services", names=("services*", "systemctl-show*"),
     sniff=(r"^Id=\S+\.service$",), sniff_weight=6, data=True)
spec("pve.zfs_snapshots", "command",
     "zfs list -H -p -t snapshot -o name,guid,creation",
     "ZFS snapshots (for replication)", names=("zfs-snapshots*", "zfs_list*"), data=True)
spec("pve.zfs_volumes", "command",
     "zfs get -H -p -t volume -o name,property,value volblocksize,used,logicalused,refreservation",
     "zvol sizes and block sizes", names=("zfs-get*", "zfs_get*"),
     sniff=(r"^\S+\tvolblocksize\t\d+",), data=True)
spec("pve.zpool_status", "command", "zpool status -P", "ZFS pools and their layout",
     names=("zpool-status*", "zpool_status*"), sniff=(r"^\s*pool: \S+", r"^\s*config:\s*$"),
     data=True)  # its fields (`errors: No known data errors`) are the ZFS rules' to read
spec("pve.task_log", "log", "/var/log/pve/tasks/*/UPID:*",
     "PVE task logs, or error text copied from a task, the GUI or a terminal (plain lines, no syslog header)",
     names=("task-log*", "task_log*", "UPID:*"),
     sniff=(r"^TASK (OK|ERROR)", r"^Requesting HA (start|stop|migration|relocation) for ",
            r"^ERROR: migration aborted "), multi=True, timeout=30)

# -- backups (BAK rules) -------------------------------------------------------------------------
spec("pve.jobs_cfg", "file", "/etc/pve/jobs.cfg", "scheduled jobs (vzdump backup jobs)",
     names=("jobs.cfg*", "jobs_cfg*"), sniff=(r"^(vzdump|realm-sync):\s+\S+",))

# -- QDevice (PVE144) ---------------------------------------------------------------------------
spec("pve.qdevice_status", "command", "corosync-qdevice-tool -sv",
     "QDevice client state on this node (connection to QNetd, cast vote)",
     names=("corosync-qdevice-tool*", "qdevice-tool*", "qdevice_status*"),
     sniff=(r"^Qdevice information\s*$", r"^Qdevice-net information\s*$"), timeout=15,
     applies_if="[ -S /run/corosync-qdevice/corosync-qdevice.sock ]  # no corosync-qdevice runs here")

# -- the Proxmox VE API (`--api https://pve1:8006`, collect/sources/api.py) --------------------
# Never collected by a script (live=False): the API source reads them with a token. Each JSON
# parser gives the same type as its command's parser; the key declares the API form as an
# alternative (parse/pve/pvesm_status.py, ha_manager_status.py), so rules need no change.
spec("pve.api_cluster_status", "api", "GET /cluster/status",
     "cluster name, quorum and node membership (API)", live=False,
     sniff=(r'"type"\s*:\s*"cluster".*"quorate"',), sniff_weight=4)
spec("pve.api_cluster_resources", "api", "GET /cluster/resources",
     "every node, guest and storage of the cluster with its status (API)", live=False)
spec("pve.api_ha_status", "api", "GET /cluster/ha/status/current", "HA manager state (API)",
     live=False, names=("*ha*status*current*.json",), sniff=(r'"id"\s*:\s*"lrm:', r'"id"\s*:\s*"service:'),
     sniff_weight=6)
spec("pve.api_storage_status", "api", "GET /cluster/resources?type=storage (this node's rows)",
     "storage state (API)", live=False, names=("*cluster-resources-storage*.json",),
     sniff=(r'"plugintype"\s*:\s*"', r'"id"\s*:\s*"storage/'), sniff_weight=4)
spec("pve.api_storage_config", "api", "GET /storage", "storage definitions (API)", live=False)
spec("pve.api_replication_status", "api", "GET /nodes/{node}/replication",
     "replication job state of this node (API)", live=False, names=("*api*replication*.json",),
     sniff=(r'"jobnum"\s*:', r'"fail_count"\s*:'), sniff_weight=4)
spec("pve.api_node_status", "api", "GET /nodes/{node}/status", "node status (API)", live=False)
spec("pve.api_version", "api", "GET /nodes/{node}/version", "pve-manager version (API)", live=False)
spec("pve.api_tasks_failed", "api", "GET /nodes/{node}/tasks?errors=1",
     "recent failed tasks of this node (API)", live=False)
spec("pve.api_task_log", "api", "GET /nodes/{node}/tasks/{upid}/log",
     "the log of each recent failed task (API)", live=False, multi=True, names=("*api*task_log*.json",),
     sniff=(r'^\s*[\[{]?\s*\{\s*"n"\s*:\s*\d+\s*,\s*"t"\s*:',), sniff_weight=4)
spec("pve.api_guest_config", "api", "GET /nodes/{node}/qemu|lxc/{vmid}/config",
     "guest configuration (API)", live=False, multi=True, names=("*api*guest_config*.json",),
     sniff=(r'"digest"\s*:\s*"[0-9a-f]{40}"', r'"(?:scsihw|vmgenid|smbios1|rootfs|ostype)"\s*:'), sniff_weight=3)
spec("pve.api_corosync_nodes", "api", "GET /cluster/config/nodes",
     "corosync nodelist (API; needs Sys.Audit on /)", live=False)
spec("pve.api_corosync_totem", "api", "GET /cluster/config/totem",
     "corosync totem settings (API; needs Sys.Audit on /)", live=False)
spec("pve.api_apt_versions", "api", "GET /nodes/{node}/apt/versions",
     "package versions of this node, as `pveversion -v` lists them (API)", live=False,
     names=("*api*apt_versions*.json",), sniff=(r'"CurrentState"\s*:', r'"Package"\s*:\s*"pve-manager"'),
     sniff_weight=4)
