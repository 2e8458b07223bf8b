"""A node's own API answers (replication, package versions, task logs, guest configs) reach the
same typed keys as the commands and files they stand in for.

The bodies are projects' fixtures (tests/evidence/pve-api/SOURCE.md, tests/parsers/pve.api_*/);
the transport is the one every API test uses: proxmoxer, TLS pinned, the bundle, the pipeline.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

import forewarn.parse  # noqa: F401 - registers every parser and key
from api_replay import Replay, recorded
from forewarn.facts.context import Context
from forewarn.facts.guests import guests
from forewarn.facts.logs import events
from forewarn.model.evidence import EvidenceRecord
from forewarn.parse.pve.guest_config import GUEST_CONFIG
from forewarn.parse.pve.pvesr_status import PVESR_STATUS
from forewarn.parse.pve.pveversion import PVEVERSION
from forewarn.parse.pve.section_config import STORAGE_CFG
from forewarn.parse.pve.task_log import TASK_LOG
from forewarn.pipeline import load

PARSERS = Path(__file__).parent / "parsers"
TOKEN = f"forewarn@pve!audit=CANARY{uuid.uuid4().hex}"
ROUTES: dict[str, Any] = {
    "/cluster/status": (200, recorded("cluster-status-standalone.json")),
    "/cluster/resources": (200, recorded("cluster-resources-storage.json")),
    "/nodes/pve/replication": (200, recorded("replication-go-proxmox.json")),
    "/nodes/pve/apt/versions": (200, recorded("apt-versions-go-proxmox.json")),
    "/storage": (200, recorded("storage-go-proxmox.json")),
    "/nodes/pve/tasks": (200, recorded("tasks-go-proxmox.json")),
}


def api_record(spec: str, node: str, path: str, fixture: Path) -> EvidenceRecord:
    data = fixture.read_bytes()
    return EvidenceRecord(spec=spec, node=node, artifact=f"{node}/api/{fixture.stem}.json", source=f"GET {path}",
                          kind="api", data=data, size=len(data))


def test_collected_answers_feed_the_command_keys(tmp_path: Path) -> None:
    with Replay(tmp_path, dict(ROUTES), TOKEN) as pve:
        env = {k: v for k, v in os.environ.items() if not k.startswith("FOREWARN_")}
        env.update(FOREWARN_PVE_TOKEN=TOKEN, XDG_CONFIG_HOME=str(tmp_path))
        out = tmp_path / "b"
        res = subprocess.run([sys.executable, "-m", "forewarn.cli.main", "collect", "--api", pve.url,
                              "--fingerprint", pve.fingerprint, "-o", str(out)],
                             capture_output=True, text=True, env=env, timeout=120, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    ctx = Context(load([str(out)]).records)
    jobs = ctx.by_node(PVESR_STATUS)["pve"]
    assert jobs.spec == "pve.api_replication_status"
    assert [(j.id, j.target, j.failing) for j in jobs.value.jobs] == [("100-0", "local/node2", False)]
    versions = ctx.by_node(PVEVERSION)["pve"]
    assert versions.spec == "pve.api_apt_versions"
    assert versions.value.running_kernel == "6.8.12-1-pve"
    # rows without OldVersion read as pveversion prints them: not correctly installed
    assert versions.value.version("pve-manager") is None and versions.value.major is None
    storages = ctx.by_node(STORAGE_CFG)["pve"]
    assert storages.spec == "pve.api_storage_config"
    assert [(s.type, s.id, s.flag("shared")) for s in storages.value.sections] == [
        ("dir", "local", False), ("lvmthin", "local-lvm", False), ("nfs", "nfs-storage", True)]
    # the task list was read (no failure in it, so no event): the node's task evidence is there
    assert [f.spec for f in ctx.facts(TASK_LOG)] == ["pve.api_tasks_failed"]
    assert events(ctx, "pve") == []


def test_the_file_wins_over_the_api_form_on_a_node_with_both() -> None:
    text = b"proxmox-ve: 8.3.0 (running kernel: 6.8.12-5-pve)\npve-manager: 8.3.2 (running version: 8.3.2/3e76eec21c4a14a7)\n"
    cli = EvidenceRecord(spec="pve.pveversion", node="pve", artifact="pve/pveversion", kind="command",
                         data=text, size=len(text))
    api = api_record("pve.api_apt_versions", "pve", "/nodes/pve/apt/versions",
                     PARSERS / "pve.api_apt_versions" / "go-proxmox-pve9x-node1.txt")
    ctx = Context([api, cli])
    assert ctx.by_node(PVEVERSION)["pve"].spec == "pve.pveversion"
    assert len(ctx.facts(PVEVERSION)) == 1


def test_guest_configs_from_the_api_are_placed_by_the_request_path() -> None:
    qemu = api_record("pve.api_guest_config", "node1", "/nodes/node1/qemu/100/config",
                      PARSERS / "pve.api_guest_config" / "go-proxmox-pve9x-qemu-100.txt")
    lxc = api_record("pve.api_guest_config", "node1", "/nodes/node1/lxc/102/config",
                     PARSERS / "pve.api_guest_config" / "go-proxmox-pve9x-lxc-102.txt")
    ctx = Context([qemu, lxc])
    assert {f.spec for f in ctx.facts(GUEST_CONFIG)} == {"pve.api_guest_config"}
    got = [(g.vmid, g.kind, g.owner, g.sid) for g in guests(ctx)]
    assert got == [(100, "qemu", "node1", "vm:100"), (102, "lxc", "node1", "ct:102")]
    # evidence points at the option's line in the stored answer
    g = guests(ctx)[0]
    assert g.fact.ref([g.config.lines["scsi0"]]).excerpt[0].strip().startswith('"scsi0"')


@pytest.mark.parametrize("body,kinds", [
    (PARSERS / "pve.api_task_log" / "go-proxmox-pve8x-completed.txt", []),
])
def test_task_logs_from_the_api_are_log_events(body: Path, kinds: list[str]) -> None:
    rec = api_record("pve.api_task_log", "node1", "/nodes/node1/tasks/UPID:node1:00000002:00000002:00000002:test:"
                     "completed:root@pam:/log", body)
    ctx = Context([rec])
    assert [f.spec for f in ctx.facts(TASK_LOG)] == ["pve.api_task_log"]
    assert [e.kind for e in events(ctx, "node1")] == kinds
