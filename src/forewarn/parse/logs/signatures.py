"""Log signatures: the lines that mean something, as data.

Each signature is (kind, literal, regex). The literal is a plain substring every matching
line must contain: lines without any literal are skipped without running a regex, which keeps
one pass over a big log cheap. Named groups become the event's attributes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Signature:
    kind: str
    literal: str
    regex: re.Pattern[str]


def _sig(kind: str, literal: str, pattern: str) -> Signature:
    return Signature(kind, literal, re.compile(pattern))


SIGNATURES: tuple[Signature, ...] = (
    # corosync / knet / totem / votequorum
    _sig("knet_link_down", "is down", r"\[KNET\s*\] link: host: (?P<host>\d+) link: (?P<link>\d+) is down"),
    _sig("knet_link_up", "is up", r"\[KNET\s*\] rx: host: (?P<host>\d+) link: (?P<link>\d+) is up"),
    _sig("knet_no_links", "has no active links", r"host: host: (?P<host>\d+) has no active links"),
    _sig("token_timeout", "Token has not been received", r"Token has not been received in (?P<ms>\d+) ms"),
    _sig("processor_failed", "A processor failed",
         r"A processor failed, forming new configuration(?:: token timed out \((?P<token>\d+)ms\), waiting (?P<consensus>\d+)ms for consensus)?"),
    _sig("membership", "A new membership",
         r"A new membership \((?P<ring>[0-9a-fA-F]+\.[0-9a-fA-F]+)\) was formed\.\s*Members(?: joined: (?P<joined>[\d ]+?))?(?: left: (?P<left>[\d ]+?))?\s*$"),
    _sig("failed_leave", "Failed to receive the leave message", r"Failed to receive the leave message\. failed: (?P<ids>[\d ]+)"),
    _sig("quorum_members", "] Members[", r"\[QUORUM\]\s*Members\[(?P<n>\d+)\]: (?P<ids>[\d ]+)"),
    _sig("non_primary", "non-primary component", r"This node is within the non-primary component and will NOT provide any services"),
    _sig("primary", "within the primary component", r"This node is within the primary component and will provide service"),
    _sig("retransmit", "Retransmit List", r"Retransmit List: (?P<list>.*?)\s*$"),
    _sig("config_version_mismatch", "is different than my config version",
         r"Received config version \((?P<theirs>\d+)\) is different than my config version \((?P<mine>\d+)\)"),
    _sig("corosync_start", "starting up", r"Corosync Cluster Engine .*starting up"),
    _sig("corosync_exit", "Corosync Cluster Engine exiting", r"Corosync Cluster Engine exiting"),
    _sig("sandbox_memlock", "RLIMIT_MEMLOCK", r"Could not increase RLIMIT_MEMLOCK"),
    # pmxcfs
    _sig("pmxcfs_lost_quorum", "node lost quorum", r"\[status\] notice: node lost quorum"),
    _sig("pmxcfs_quorum", "node has quorum", r"\[status\] notice: node has quorum"),
    _sig("pmxcfs_cpg_error", "failed: ", r"\[(?P<svc>dcdb|status|main)\] crit: (?P<call>cpg_\w+) failed: (?P<err>\d+)"),
    # newer pmxcfs prints the cs_error_t name instead of its number (`failed: CS_ERR_TRY_AGAIN`)
    _sig("pmxcfs_cpg_error", "failed: CS_ERR", r"\[(?P<svc>dcdb|status|main)\] crit: (?P<call>cpg_\w+) failed: (?P<err>CS_ERR_\w+)"),
    _sig("pmxcfs_crit", "] crit: ", r"\[(?P<svc>dcdb|status|main|quorum|confdb|database)\] crit: (?P<what>.*?)\s*$"),
    _sig("pmxcfs_sync_start", "starting data syncronisation", r"\[(?P<svc>dcdb|status)\] notice: starting data syncronisation"),
    _sig("pmxcfs_synced", "all data is up to date", r"\[(?P<svc>dcdb|status)\] notice: all data is up to date"),
    _sig("cfs_lock_error", "cfs", r"(?:cfs-lock '(?P<lock>[^']+)' error: (?P<err>.*?)\s*$|error with cfs lock '(?P<lock2>[^']+)': (?P<err2>.*?)\s*$)"),
    # HA stack
    _sig("ha_lost_lock", "lost lock", r"lost lock '(?P<lock>[^' ]+)'?(?: - (?P<err>.*?))?\s*$"),
    _sig("ha_acquired_lock", "successfully acquired lock", r"successfully acquired lock '(?P<lock>[^']+)'"),
    _sig("ha_status_change", "status change", r"status change (?P<from>\S+) => (?P<to>\S+)"),
    # watchdog-mux (the HA stack's watchdog multiplexer) and the kernel: a fence in progress
    _sig("watchdog_expiring", "watchdog is about to expire", r"client (?:\(PID (?P<client>\d+)\) )?watchdog is about to expire"),
    _sig("watchdog_expired", "disable watchdog updates", r"(?P<why>(?:[Cc]lient )?(?:\(PID \d+\) )?(?:watchdog expired|did not stop watchdog)) - disable watchdog updates"),
    _sig("watchdog_not_stopped", "watchdog did not stop", r"(?P<dev>watchdog\d+): watchdog did not stop!"),
    _sig("watchdog_mux_exit_active", "exit watchdog-mux with active connections", r"exit watchdog-mux with active connections"),
    _sig("watchdog", "watchdog ", r"watchdog (?P<state>active|closed)(?: \((?P<why>[^)]*)\))?"),
    _sig("ha_service_error", "in error state", r"service '(?P<sid>(?:vm|ct):\d+)' in error state"),
    _sig("ha_fence", "fenc", r"(?:node '(?P<node>[^']+)': state changed from '(?P<from>\w+)' => '(?P<to>fence)'|successfully fenced node '(?P<node2>[^']+)')"),
    # boot and shutdown
    _sig("boot", "Linux version", r"(?:^|\]\s*)Linux version (?P<kernel>\S+)"),
    _sig("boot", "-- Boot ", r"^-- (?:Boot (?P<boot_id>[0-9a-f]+)|Reboot) --$"),
    _sig("shutdown", "Reached target", r"Reached target (?:System )?(?:Shutdown|Power-Off|Reboot|Final Step)"),
    _sig("shutdown", "exiting on signal 15", r"exiting on signal 15"),
    _sig("shutdown", "Journal stopped", r"Journal stopped"),
    # storage and guests
    _sig("nfs_not_responding", "not responding", r"nfs: server (?P<server>\S+) not responding"),
    _sig("nfs_ok", "nfs: server", r"nfs: server (?P<server>\S+) OK"),
    _sig("zfs_no_pool", "no such pool", r"cannot open '(?P<pool>[^']+)': no such pool"),
    _sig("replication_snapshot_mismatch", "does not match incremental source",
         r"most recent snapshot of (?P<volume>\S+) does not match incremental source"),
    _sig("replication_error", "replication", r"replicat\w* (?:job )?(?P<job>\d+-\d+)?.*?(?:error|failed)"),
    _sig("guest_locked", "is locked", r"(?P<type>CT|VM) (?:(?P<vmid>\d+) )?is locked \((?P<lock>\w+)\)"),
    _sig("local_resources", "local", r"(?P<what>can't migrate local cdrom drive|VM uses local resources|can't migrate VM which uses local devices|cannot migrate local bind mount point|local disk '[^']+' not found)"),
    _sig("lvm_no_medium", "no medium found", r"open (?P<dev>/dev/\S+) failed: no medium found"),
    # the form lvm2 prints: "  /dev/sda: open failed: No medium found" (rpm-software-management/mock#416)
    _sig("lvm_no_medium", "No medium found", r"(?P<dev>/dev/\S+?): open failed: No medium found"),
    _sig("lvm_cannot_process_vg", "Cannot process volume group", r"Cannot process volume group (?P<vg>\S+)"),
    _sig("ext4_error", "EXT4-fs error", r"EXT4-fs error \(device (?P<dev>[^)]+)\)"),
    _sig("cgroup_devices_missing", "Devices cgroup isn't mounted", r"Devices cgroup isn't mounted"),
    _sig("keyring_quota", "disk quota exceeded", r"join session keyring: create session key: disk quota exceeded"),
    _sig("logind_timeout", "org.freedesktop.login1", r"Failed to activate service 'org\.freedesktop\.login1': timed out"),
    _sig("namespace_226", "226/NAMESPACE", r"(?:status|code)=226/NAMESPACE"),
    # generic host trouble that explains cluster trouble
    _sig("hung_task", "blocked for more than", r"task (?P<task>\S+):(?P<pid>\d+) blocked for more than (?P<seconds>\d+) seconds"),
    _sig("oom_kill", "Out of memory: Killed process", r"Out of memory: Killed process (?P<pid>\d+) \((?P<comm>[^)]+)\)"),
    # Kubernetes nodes, container runtimes, Istio (K8S rules)
    _sig("kubelet_no_podsandbox", "no PodsandBox found with Id",
         r"no PodsandBox found with Id '?(?P<sandbox>[0-9a-f]+)'?"),
    _sig("kubelet_cgroup_subsystem_missing", "failed to find subsystem mount for required subsystem",
         r"failed to find subsystem mount for required subsystem: (?P<subsystem>\w+)"),
    _sig("runc_child_pid_eof", "final child's pid from pipe",
         r"getting the final child's pid from pipe caused[:\s\\\"]*EOF"),
    _sig("runc_child_pid_eof", "final child's PID from pipe", r"can't get final child's PID from pipe: EOF"),
    _sig("runc_setns_exit", "running exec setns process for init caused",
         r"running exec setns process for init caused[:\s\\\"]*exit status (?P<status>\d+)"),
    _sig("istio_iptables_restore_failed", "iptables-restore: line", r"iptables-restore: line (?P<line>\d+) failed"),
    _sig("ipvs_no_destination", "no destination available",
         r"IPVS: (?P<scheduler>\w+): (?P<proto>TCP|UDP|SCTP) (?P<vip>\[[0-9a-fA-F:]+\]|[\d.]+):(?P<port>\d+) - no destination available"),
    _sig("apiserver_tls_handshake_error", "TLS handshake error from",
         r"http: TLS handshake error from (?P<client>\S+?): (?P<err>.*?)\s*$"),
    _sig("kubelet_csinode_init_failed", "Failed to initialize CSINodeInfo",
         r"Failed to initialize CSINodeInfo(?::\s*(?P<err>.*?))?\s*$"),
    _sig("kubelet_node_registered", "Successfully registered node", r"Successfully registered node (?P<node>\S+)"),
    _sig("kubelet_register_failed", "Unable to register node",
         r"Unable to register node \\?\"?(?P<node>[^\s\"\\]+)\\?\"? with API server: (?P<err>.*?)\s*$"),
    _sig("overlay_no_dtype", "d_type",
         r"(?P<what>the backing (?P<fs>\w+) filesystem is formatted without d_type support|does not support d_type|upper fs needs to support d_type|Running without d_type)"),
    # Linux host limits and DNS (LNX101, LNX102, NET109, NET110)
    _sig("inotify_watch_limit", "to directory watch: No space left on device",
         r"Failed to add (?P<path>\S+) to directory watch: No space left on device"),
    _sig("inotify_watch_limit", "inotify watch limit reached",
         r"Failed to add a watch for (?P<path>\S+): inotify watch limit reached"),
    _sig("inotify_watch_limit", "inotify watch descriptor for control group",
         r"Failed to add (?P<what>\w+) inotify watch descriptor for control group (?P<path>\S+): No space left on device"),
    _sig("inotify_watch_limit", "inotify resources exhausted", r"(?P<prog>[\w/.\-]*tail): inotify resources exhausted"),
    _sig("pids_fork_rejected", "fork rejected by pids controller",
         r"fork rejected by pids controller in (?P<cgroup>\S+)"),
    _sig("dns_nameserver_limit", "Nameserver limits were exceeded",
         r"Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: "
         r"(?P<applied>[0-9A-Fa-f:.]+(?: [0-9A-Fa-f:.]+)*)"),
    _sig("coredns_no_nameservers", "no nameservers found", r"plugin/forward: no nameservers found"),
)

LITERALS: tuple[str, ...] = tuple(dict.fromkeys(s.literal for s in SIGNATURES))
