"""PVE149's /etc/hosts logic on the real line of Telmate/terraform-provider-proxmox#585.

The issue gives only the hosts line and the node's name (no PVE file of that node), so the engine
would call the rule "not applicable" for want of PVE evidence; these tests call the rule's logic
directly on that real text (tests/evidence/pve-hosts/SOURCE.md).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from forewarn.facts.context import Context
from forewarn.facts.node_address import own_names_on_loopback
from forewarn.model.findings import Severity
from forewarn.parse.host.hosts import parse_hosts
from forewarn.rules import RULES
from forewarn.rules._engine import CouldNotCheck
from rulecases import case_records

LINE = Path(__file__).parent / "evidence" / "pve-hosts" / "telmate-585-hosts-line.txt"
CASE = "pve-hosts/telmate-585-hosts-line.txt"


def _hits(case: dict) -> list:
    ctx = Context(case_records(case))
    r = RULES["PVE149"]
    return list(r.func(ctx.restricted(r.declared, r.code)))


def test_loopback_names_are_the_installer_line() -> None:
    hosts = parse_hosts(LINE.read_text()).value
    assert [(n, ip) for n, _, ip in own_names_on_loopback(hosts)] == [
        ("kube01.<my_domain>", "127.0.1.1"), ("kube01", "127.0.1.1")]


def test_name_on_127_0_1_1_with_hostname_is_critical() -> None:
    hits = _hits({"nodes": {"proxmox": {"host.hosts": {"file": CASE, "artifact": "etc/hosts"},
                                        "host.hostname": {"text": "kube01\n"}}}})
    assert len(hits) == 1 and hits[0].severity is Severity.CRITICAL
    assert "maps the node name kube01 to 127.0.1.1 (loopback)" in hits[0].message


def test_name_on_127_0_1_1_without_hostname_is_high() -> None:
    hits = _hits({"nodes": {"proxmox": {"host.hosts": {"file": CASE, "artifact": "etc/hosts"}}}})
    assert len(hits) == 1 and hits[0].severity is Severity.HIGH
    assert "node name was not read" in hits[0].message


def test_other_name_on_loopback_is_could_not_check_when_hostname_differs() -> None:
    # the node is not kube01: its own name is not in the file, so only DNS could answer
    with pytest.raises(CouldNotCheck, match="pve is not in /etc/hosts"):
        _hits({"nodes": {"proxmox": {"host.hosts": {"file": CASE, "artifact": "etc/hosts"},
                                    "host.hostname": {"text": "pve\n"}}}})
