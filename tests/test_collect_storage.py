"""The storage health evidence is collected live, read-only: zpool status, lvs with the thin-pool
columns, /proc/mdstat and mdadm --detail are in the plan, and mdadm may only report."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from forewarn.collect.plan import build_plan
from forewarn.collect.readonly import check_script

STORAGE_SPECS = ("pve.zpool_status", "lvm.lvs", "host.mdstat", "host.mdadm_detail", "host.df", "host.swaps", "zfs.zpool_list")


def test_storage_specs_are_planned_and_read_only() -> None:
    plan = build_plan()
    assert set(STORAGE_SPECS) <= set(plan.specs())
    scripts = [s for s in plan.scripts() if "mdadm" in s or "zpool" in s or "lvs " in s or "/proc/mdstat" in s]
    assert scripts and all(check_script(s) == [] for s in scripts)


def test_show_plan_lists_the_storage_commands() -> None:
    from forewarn.cli.main import cli

    out = CliRunner().invoke(cli, ["collect", "--show-plan"]).output
    for spec in STORAGE_SPECS:
        assert f"## {spec} " in out, spec
    assert "mdadm --detail /dev/md[0-9]*" in out
    assert "data_percent,metadata_percent" in out
    assert "zpool status -P" in out
    assert "df -P -k -l" in out


@pytest.mark.parametrize("script", [
    "mdadm --detail /dev/md0",
    "mdadm --detail /dev/md[0-9]*",
    "mdadm --detail --test /dev/md127",
    "mdadm --detail /dev/md/mdsraid",
])
def test_mdadm_reports_pass(script: str) -> None:
    assert check_script(script) == []


@pytest.mark.parametrize("script", [
    "mdadm --manage /dev/md0 --fail /dev/sda1",
    "mdadm /dev/md0 --remove /dev/sda1",
    "mdadm --detail /dev/md0 --fail /dev/sda1",
    "mdadm --detail /dev/md0 /dev/sda1",
    "mdadm --assemble --scan",
    "mdadm --zero-superblock /dev/sda1",
    "mdadm --detail --zero-superblock /dev/md0",
    "mdadm -D /dev/md0; mdadm --stop /dev/md0",
    "mdadm --grow /dev/md0 --raid-devices=3",
])
def test_mdadm_changes_are_refused(script: str) -> None:
    assert check_script(script), f"{script!r} must not pass the read-only check"
