"""OpenStack / Kolla evidence: the service configs Kolla renders under /etc/kolla, globals.yml, and
the nova-compute log (Kolla keeps it in the `kolla_logs` Docker volume).

Paths list the Kolla location first and the distribution-package location after it, so the same
spec reads a Kolla node and a package-installed one.
"""

from forewarn.specs._base import spec

_OSLO_HEADER = r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? +\d+ +(?:DEBUG|INFO|WARNING|ERROR|CRITICAL|TRACE) +\S+"

spec("osk.nova_conf", "file",
     "/etc/kolla/nova-compute/nova.conf|/etc/kolla/nova-*/nova.conf|/etc/nova/nova.conf",
     "nova.conf of a nova service (Kolla renders one per container)", multi=True,
     names=("nova.conf*", "nova-compute.conf*", "nova_conf*"),
     sniff=(r"^compute_driver\s*=", r"^\[libvirt\]\s*$", r"^\[placement\]\s*$",
            r"^live_migration_inbound_addr\s*="))
spec("osk.neutron_conf", "file",
     "/etc/kolla/neutron-*/neutron.conf|/etc/neutron/neutron.conf",
     "neutron.conf of a neutron service or agent", multi=True,
     names=("neutron.conf*", "neutron_conf*"),
     sniff=(r"^core_plugin\s*=", r"^interface_driver\s*=", r"^log_dir\s*=\s*/var/log/kolla/neutron"))
spec("osk.placement_conf", "file",
     "/etc/kolla/placement-api/placement.conf|/etc/placement/placement.conf",
     "placement.conf of the placement API", names=("placement.conf*", "placement_conf*"),
     sniff=(r"^\[placement_database\]\s*$",), sniff_weight=6)
spec("osk.service_conf", "file",
     "/etc/kolla/*/glance-api.conf|/etc/kolla/*/cinder.conf|/etc/kolla/*/keystone.conf"
     "|/etc/kolla/*/heat.conf",
     "other oslo-style service configs Kolla renders (glance, cinder, keystone, heat)", multi=True,
     names=("glance-api.conf*", "cinder.conf*", "keystone.conf*", "heat.conf*"), sniff_weight=0)
spec("osk.libvirtd_conf", "file",
     "/etc/kolla/nova-libvirt/libvirtd.conf|/etc/libvirt/libvirtd.conf",
     "libvirtd.conf (listen_tcp / listen_tls for live migration)",
     names=("libvirtd.conf*", "libvirtd_conf*"),
     sniff=(r"^#?\s*listen_tcp\s*=", r"^#?\s*listen_tls\s*=", r"^#?\s*unix_sock_group\s*="))
spec("osk.chrony_conf", "file", "/etc/kolla/chrony/chrony.conf",
     "chrony.conf rendered by Kolla (its `server` lines point at the controllers)",
     # a host's own /etc/chrony/chrony.conf is not OpenStack evidence: only Kolla's is claimed
     names=("kolla-chrony*", "kolla_chrony*"),
     sniff=(r"^logdir\s+/var/log/kolla/chrony\s*$",), sniff_weight=12)
spec("osk.kolla_globals", "file", "/etc/kolla/globals.yml",
     "Kolla-Ansible globals.yml (kolla_internal_vip_address, network_interface, enable_haproxy)",
     names=("globals.yml*", "globals.yaml*", "kolla-globals*", "kolla_globals*"),
     sniff=(r"^#?\s*kolla_internal_vip_address\s*:", r"^#?\s*kolla_base_distro\s*:",
            r"^#?\s*network_interface\s*:", r"^#?\s*enable_haproxy\s*:"))
spec("osk.nova_compute_log", "log",
     "/var/lib/docker/volumes/kolla_logs/_data/nova/nova-compute.log|/var/log/kolla/nova/nova-compute.log"
     "|/var/log/nova/nova-compute.log",
     "nova-compute log (oslo.log lines), or nova/kolla error text copied from a terminal",
     multi=True, names=("nova-compute.log*", "nova-compute*.log", "nova_compute*.log"),
     sniff=(_OSLO_HEADER + r" +(?:nova|oslo)", r"InvalidCPUInfo", r"Unacceptable CPU info",
            r"/var/lib/docker/volumes/kolla_logs/_data"),
     timeout=30)
