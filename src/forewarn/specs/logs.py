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
     multi=True, timeout=60, live=False)  # collected live by the log.journal*/log.*_files specs below
# Any text no sniffer recognises (a terraform or ansible run, kubectl output, a script's log, a
# paste): read as a generic log, every line matched against every signature. Never sniffed:
# collect/loose.py chooses it when nothing else fits and the file is text.
spec("log.text", "log", "text/*", "text no sniffer recognised, read as a generic log",
     multi=True, timeout=30, live=False)
spec("log.corosync", "log", "/var/log/corosync/corosync.log",
     "corosync's own log file", names=("corosync.log*",),
     sniff=(r"^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \[\d+\] \S+ corosync \w+\s+\[",), multi=True)

# -- live collection of the system log (recorded as log.syslog) ---------------------------------
# The journal when it has entries: the units the rules read (corosync, pmxcfs, the HA stack, the
# watchdog, pvestatd/pvescheduler for storage and replication, kubelet and the runtimes), the
# kernel, systemd itself (unit failures, shutdown targets) and journald (`Journal stopped`): the
# boot and shutdown markers are what tells a fence from a clean reboot. Bounded in time (the last
# 7 days) and size (the newest 50000 lines: `-r -n` then `tac`, because with --since journalctl
# -n keeps the *oldest* lines). The previous boot is covered twice over without overlap: its end
# is in the window when it ended within it, and `log.journal_previous_boot` adds the last lines
# of the previous boot from *before* the window (a fence weeks ago is still visible).
_UNITS = ("corosync", "pve-cluster", "pve-ha-lrm", "pve-ha-crm", "watchdog-mux", "pvestatd",
          "pvedaemon", "pveproxy", "pvescheduler", "pve-firewall", "pve-guests", "qmeventd",
          "zfs-zed", "systemd-logind", "chrony", "kubelet", "containerd", "docker")
_IDENTS = ("corosync", "pmxcfs", "pve-ha-lrm", "pve-ha-crm", "watchdog-mux", "systemd-journald")
_MATCHES = " + ".join([f"_SYSTEMD_UNIT={u}.service" for u in _UNITS]
                      + [f"SYSLOG_IDENTIFIER={i}" for i in _IDENTS] + ["_TRANSPORT=kernel", "_PID=1"])
_HAS_JOURNAL = '[ -n "$(journalctl -q -n 1 --no-pager 2>/dev/null)" ]'
_NO_JOURNAL = '[ -z "$(journalctl -q -n 1 --no-pager 2>/dev/null)" ]'
# a previous boot in the journal: `-b -1` answers without complaint (a volatile journal warns that
# boot offsets have no effect, and would print the current boot again)
_PREVIOUS_BOOT = ('journalctl -q -b -1 -n 1 --no-pager >/dev/null 2>&1 && '
                  '[ -z "$(journalctl -q -b -1 -n 1 --no-pager 2>&1 >/dev/null)" ]')
LOG_WINDOW = "7d"

spec("log.journal_previous_boot", "command",
     f"journalctl -o short-iso --no-pager -b -1 --until=-{LOG_WINDOW} -r -n 20000 {_MATCHES} | tac",
     "journal: the last lines of the previous boot from before the window (units, kernel, systemd)",
     recorded_as="log.syslog", merge_stderr=False, timeout=60, max_bytes=8 * 1024 * 1024,
     applies_if=_HAS_JOURNAL + " && " + _PREVIOUS_BOOT + "  # the journal has no previous boot")
spec("log.journal", "command",
     f"journalctl -o short-iso --no-pager --since=-{LOG_WINDOW} -r -n 50000 {_MATCHES} | tac",
     "journal of the last 7 days: cluster, HA, storage and container units, kernel, systemd",
     recorded_as="log.syslog", merge_stderr=False, timeout=60, max_bytes=16 * 1024 * 1024,
     applies_if=_HAS_JOURNAL + "  # the journal is empty or absent (the syslog files are read)")
# No journal (or an empty one): the syslog files rsyslog writes, newest part of each, older first.
spec("log.syslog_files", "log", "/var/log/syslog.1|/var/log/syslog",
     "syslog files (where there is no journal), the newest 16 MiB of each",
     recorded_as="log.syslog", multi=True, timeout=60, max_bytes=16 * 1024 * 1024,
     applies_if=_NO_JOURNAL + "  # the journal has the log")
spec("log.messages_files", "log", "/var/log/messages.1|/var/log/messages",
     "/var/log/messages (where there is neither a journal nor /var/log/syslog)",
     recorded_as="log.syslog", multi=True, timeout=60, max_bytes=16 * 1024 * 1024,
     applies_if=_NO_JOURNAL + " && [ ! -f {root}/var/log/syslog ]  # the journal or /var/log/syslog has the log")
