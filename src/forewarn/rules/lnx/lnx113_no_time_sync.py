"""LNX113 no-time-sync: no time-synchronisation daemon runs and the clock is not synchronised
(timedatectl, `systemctl status` of chrony/ntpd/ntpsec/openntpd/systemd-timesyncd)."""

from __future__ import annotations

from collections.abc import Iterator

from forewarn.facts.context import Context
from forewarn.model.findings import EvidenceRef, Severity
from forewarn.parse.host.systemctl_status import SYSTEMCTL_STATUS, SystemctlStatus, UnitStatus
from forewarn.parse.host.timedatectl_status import TIMEDATECTL_STATUS
from forewarn.rules import Hit, note, rule, step

# the daemons that discipline the clock (timedated's own list plus the classic ones)
TIME_UNITS = ("chrony.service", "chronyd.service", "ntp.service", "ntpd.service", "ntpsec.service",
              "openntpd.service", "systemd-timesyncd.service")

FIX = (
    step("timedatectl"),
    note("Enable one time-sync daemon and let it converge: chrony is the default of Debian, Proxmox VE (since 7) "
         "and RHEL (`apt install chrony` / `dnf install chrony`, then `systemctl enable --now chrony` or "
         "`chronyd`); with ntpd, `systemctl enable --now ntpd`; or systemd's own client with "
         "`timedatectl set-ntp true`."),
    step("chronyc tracking"),
)


def _time_units(s: SystemctlStatus) -> list[UnitStatus]:
    return [u for u in s.units if u.unit in TIME_UNITS]


@rule(code="LNX113", inputs=(TIMEDATECTL_STATUS, SYSTEMCTL_STATUS), fix=FIX)
def no_time_sync(ctx: Context) -> Iterator[Hit]:
    tds, svcs = ctx.by_node(TIMEDATECTL_STATUS), ctx.by_node(SYSTEMCTL_STATUS)
    for node in sorted(set(tds) | set(svcs)):
        td, sv = tds.get(node), svcs.get(node)
        units = _time_units(sv.value) if sv is not None else []
        running = [u for u in units if u.active == "active"]
        stopped = [u for u in units if u.active in ("inactive", "failed")]
        parts: list[str] = []
        evidence: list[EvidenceRef] = []
        if sv is not None and stopped:
            parts.append(", ".join(f"{u.unit} is {u.active}"
                                   + (f" ({u.sub})" if u.sub else "")
                                   + (f" and {u.enabled}" if u.enabled in ("disabled", "masked") else "")
                                   for u in stopped))
            evidence.append(sv.ref([n for u in stopped for n in u.lines]))
        synced = td.value.synchronized if td is not None else None
        if td is not None and synced is False:
            service = td.value.ntp_service
            said = {True: "on", False: "off", None: "not available"}[service]
            parts.append(f"timedatectl: the system clock is not synchronised, systemd's NTP service {said}")
            evidence.append(td.ref([td.value.lines.get("synchronized", 0), td.value.lines.get("ntp_service", 0)]))
        if synced is True or running and synced is not False:
            continue  # a daemon runs (or the kernel says synchronised): LNX103 judges its sources
        if synced is False and (running or (td is not None and td.value.ntp_service)):
            names = ", ".join(u.unit for u in running) or "systemd's NTP service"
            yield Hit(f"{node}: {names} runs but the clock is not synchronised (timedatectl): it reaches no time "
                      "source, or it just started", nodes=node, evidence=evidence, severity=Severity.MEDIUM,
                      fix=[step("timedatectl"), step("chronyc sources"), step("ntpq -p"),
                           note("Check that the daemon's servers are reachable (UDP 123) from this node.")])
            continue
        if synced is None and not stopped:
            continue  # nothing said either way
        if synced is None:  # only some units were shown: another daemon may run
            yield Hit(f"{node}: {parts[0]}, and no other time-sync daemon is shown running (collect `timedatectl` "
                      "to know whether the clock is synchronised)", nodes=node, evidence=evidence,
                      severity=Severity.MEDIUM, details={"stopped": [u.unit for u in stopped]})
            continue
        yield Hit(f"{node}: no time synchronisation is active: " + "; ".join(parts)
                  + ". The clock drifts freely: TLS certificates, Kerberos/Ceph tickets, cluster logs and "
                  "package signatures go wrong as it does",
                  nodes=node, evidence=evidence, severity=Severity.HIGH,
                  details={"stopped": [u.unit for u in stopped], "synchronized": synced})
