"""The node-level K8S/host commands are collected live, and only their read-only forms pass."""

from __future__ import annotations

import pytest

from forewarn.collect.plan import build_plan
from forewarn.collect.readonly import check_script
from forewarn.specs import SPECS


@pytest.mark.parametrize("spec", ["k8s.etcd_endpoint_status", "k8s.cni_bin", "k8s.cni_conf", "host.timedatectl_status", "host.systemctl_status", "k8s.describe_node", "host.proc_net_bonding",
                                  "k8s.flannel_subnet_env"])
def test_node_specs_are_planned(spec: str) -> None:
    assert spec in SPECS
    assert spec in set(build_plan().specs()), spec


@pytest.mark.parametrize("script", [
    "etcdctl --endpoints=https://127.0.0.1:2379 --cacert=/etc/kubernetes/pki/etcd/ca.crt "
    "--cert=/etc/kubernetes/pki/etcd/healthcheck-client.crt --key=/etc/kubernetes/pki/etcd/healthcheck-client.key "
    "--command-timeout=10s endpoint status -w table",
    "etcdctl endpoint health",
    "etcdctl alarm list",
    "ls -l /opt/cni/bin",
])
def test_read_only_forms_pass(script: str) -> None:
    assert check_script(script) == []


@pytest.mark.parametrize("script", [
    "etcdctl put foo bar",
    "etcdctl del foo",
    "etcdctl defrag",
    "etcdctl compact 5",
    "etcdctl alarm disarm",
    "etcdctl endpoint status --write-out=table endpoint",
    "etcdctl -w=table endpoint status; etcdctl snapshot save /tmp/x.db",
    "etcdctl member remove 8e9e05c52164694d",
])
def test_writing_etcdctl_forms_are_refused(script: str) -> None:
    assert check_script(script), f"{script!r} must not pass the read-only check"
