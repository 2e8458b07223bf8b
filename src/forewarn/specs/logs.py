"""System logs. These are streamed, never read whole."""

from forewarn.specs._base import spec

_SYSLOG = (
    r"^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+ [\w\-./]+(\[\d+\])?: ",
    r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?([+-]\d\d:?\d\d|Z) \S+ [\w\-./]+(\[\d+\])?: ",
    r"^\s*(corosync|pmxcfs|pve-ha-lrm|pve-ha-crm|pvescheduler|pveproxy|pvedaemon|pvestatd|systemd|kernel|kubelet|dockerd|containerd)(\[\d+\])?: ",
    r"^\s*[A-Za-z][\w\-./]*\[\d+\]: \S",
    r'^\{"__CURSOR"',
)

spec("log.syslog", "log",
     "/var/log/syslog|/var/log/syslog.1|/var/log/messages|/var/log/daemon.log|cmd/journal*.txt",
     "system log (syslog, journalctl -o short-iso or -o json, or a pasted excerpt)",
     names=("syslog*", "messages*", "journal*", "*.log", "daemon.log*"), sniff=_SYSLOG,
     multi=True, timeout=60)
spec("log.corosync", "log", "/var/log/corosync/corosync.log",
     "corosync's own log file", names=("corosync.log*",),
     sniff=(r"^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \[\d+\] \S+ corosync \w+\s+\[",), multi=True)
