"""Live collection of the Ceph and disk-health evidence: planned, read-only, and nothing that writes."""

from __future__ import annotations

import pytest

from forewarn.collect.plan import build_plan
from forewarn.collect.readonly import check_script


def _script(spec: str) -> str:
    plan = build_plan(include=[spec])
    assert plan.specs() == [spec], (plan.refused, plan.not_live)
    return next(iter(plan.scripts()))


@pytest.mark.parametrize("spec,command", [
    ("ceph.status", "ceph --connect-timeout 10 status -f json"),
    ("ceph.health_detail", "ceph --connect-timeout 10 health detail -f json"),
    ("ceph.osd_pool_ls_detail", "ceph --connect-timeout 10 osd pool ls detail -f json"),
    ("ceph.versions", "ceph --connect-timeout 10 versions -f json"),
    ("hw.smartctl", 'smartctl -n standby -x -j "$d"'),
    ("hw.nvme_smart_log", 'nvme smart-log -o json "$d"'),
])
def test_the_plan_runs_the_command(spec: str, command: str) -> None:
    script = _script(spec)
    assert command in script
    assert not check_script(script)


def test_ceph_commands_only_where_ceph_is_configured() -> None:
    script = _script("ceph.status")
    assert "/etc/ceph/ceph.conf" in script and "/etc/pve/ceph.conf" in script


@pytest.mark.parametrize("script", [
    "ceph osd set noout", "ceph osd pool set rbd min_size 1", "ceph pg repair 1.2", "ceph tell osd.0 bench",
    "ceph config set mon auth_allow_insecure_global_id_reclaim false", "ceph osd out 3", "ceph health mute X",
    "ceph --connect-timeout 10 status -o /tmp/x", "ceph osd pool ls detail; ceph osd pool delete rbd",
    "smartctl -t long /dev/sda", "smartctl -s off /dev/sda", "smartctl -X /dev/sda", "smartctl --smart=off /dev/sda",
    "smartctl -o on /dev/sda", "smartctl -S on /dev/sda", "nvme format /dev/nvme0n1", "nvme sanitize /dev/nvme0",
    "nvme fw-commit /dev/nvme0", "nvme set-feature /dev/nvme0 -f 2 -v 0", "nvme smart-log -o json /dev/nvme0 -f x",
])
def test_writing_ceph_smart_and_nvme_commands_are_refused(script: str) -> None:
    assert check_script(script), f"{script!r} must not pass the read-only check"
