"""Spec names: the shared vocabulary between collection, bundles, parsers and rules.

A spec names one kind of evidence (`pve.pvecm_status`, `lvm.conf`, `log.syslog`). The same
name is the live command or file, the file in a bundle, the parser and the rules' input, as
insights-core does with its specs. Each platform module declares its specs with `spec(...)`;
nothing here runs a command or opens a file.
"""

from forewarn.specs._base import SPECS, Spec, all_specs, get, identify_by_path, sniff_content  # noqa: F401
from forewarn.specs import host, k8s, logs, lvm, openstack, pve  # noqa: F401  (registers specs)
