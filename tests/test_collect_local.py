"""The local source and the runner: hang-proof, bounded, partial-is-fine.

Test-only specs (never registered) are planned with `build_plan([...])`; stand-in executables on
a PATH set for the test play the hanging commands.
"""

from __future__ import annotations

import asyncio
import os
import stat
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from forewarn.collect.plan import build_plan
from forewarn.collect.run import Progress, acollect_nodes, collect_nodes
from forewarn.collect.sources.base import CommandResult, SourceError
from forewarn.collect.sources.local import LocalSource
from forewarn.specs._base import Spec

# a command's pipes closed after its event loop raise inside asyncio (sources/local._release)
pytestmark = pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")


def tspec(name: str, source: str, kind: str = "command", **kw: object) -> Spec:
    return Spec(name=name, kind=kind, source=source, description="test only",
                platform=name.split(".")[0], **kw)  # type: ignore[arg-type]


def stub(bindir: Path, name: str, body: str) -> Path:
    bindir.mkdir(parents=True, exist_ok=True)
    p = bindir / name
    p.write_text("#!/bin/sh\n" + body)
    p.chmod(p.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return p


def env_with(bindir: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{bindir}:{env.get('PATH', '/usr/bin:/bin')}"
    env.update(extra)
    return env


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


def test_sleep_30_times_out_and_its_whole_process_group_is_gone(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    # `sleep` on PATH records its own pid and that of a child it leaves running in the background
    stub(tmp_path / "bin", "sleep", f'echo $$ >> "{pids}"\n/bin/sleep "$@" &\necho $! >> "{pids}"\nwait\n')
    plan = build_plan([tspec("test.sleep", "sleep 30", timeout=1.5)])
    t0 = time.monotonic()
    bundle = collect_nodes([LocalSource(env=env_with(tmp_path / "bin"))], plan)
    took = time.monotonic() - t0
    assert took < 8, f"a 1.5 s timeout took {took:.1f} s"
    (rec,) = bundle.records
    assert rec.timed_out and rec.rc is None
    assert rec.spec == "test.sleep" and rec.source == "sleep 30" and rec.artifact.endswith("/cmd/sleep.txt")
    assert 1.4 < rec.duration < 6
    listed = [int(x) for x in pids.read_text().split()]
    assert len(listed) == 2
    deadline = time.monotonic() + 3
    while any(alive(p) for p in listed) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [p for p in listed if alive(p)], "children of a timed-out command survived"
    # the timeout is evidence in the manifest, and FW909 says the node's picture is incomplete
    art = bundle.manifest["artifacts"][0]
    assert art["timed_out"] is True and art["rc"] is None and art["duration"] >= 1.4
    assert [f.code for f in bundle.findings] == ["FW909"]
    assert "`sleep 30` timed out" in bundle.findings[0].message


def _gone(pid: int, within: float = 3) -> bool:
    """The process is dead and reaped (no zombie left in forewarn's process tree either)."""
    deadline = time.monotonic() + within
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return not Path(f"/proc/{pid}").exists()


async def _run_then_check(script: str, timeout: float, pidf: Path) -> tuple[CommandResult, float, int, bool]:
    """Run `script` on a LocalSource; whether the pid it wrote is gone right after `run` returns
    (before the source is closed)."""
    src = LocalSource()
    await src.open()
    try:
        t0 = time.monotonic()
        res = await src.run(script, timeout=timeout, max_bytes=1 << 20)
        took = time.monotonic() - t0
        pid = int(pidf.read_text())
        return res, took, pid, await asyncio.to_thread(_gone, pid)
    finally:
        await src.close()


@pytest.mark.parametrize("keeps_stdout", [True, False], ids=["keeps-stdout", "daemon"])
def test_a_setsid_descendant_dies_with_its_command(tmp_path: Path, keeps_stdout: bool) -> None:
    """`setsid` takes a descendant out of the command's process group (and session), so killing
    the group misses it: it must die with its command anyway, whether it holds the stdout pipe
    or not, and the command's output is kept."""
    pidf = tmp_path / "pid"
    redirect = "" if keeps_stdout else " >/dev/null 2>&1 </dev/null"
    script = f"setsid sh -c 'echo $$ > \"{pidf}\"; exec sleep 300'{redirect} &\n" \
             f"while [ ! -s \"{pidf}\" ]; do sleep 0.05; done; echo done"
    res, took, pid, gone = asyncio.run(_run_then_check(script, 20, pidf))
    assert res.stdout == b"done\n" and res.rc == 0 and not res.timed_out, res
    assert took < 5, f"the leftover held the command for {took:.1f} s"
    assert gone, f"the setsid descendant {pid} survived its command"


def test_a_setsid_descendant_of_a_timed_out_command_dies_too(tmp_path: Path) -> None:
    pidf = tmp_path / "pid"
    script = f"setsid sh -c 'echo $$ > \"{pidf}\"; exec sleep 300' & sleep 30"
    res, _, pid, gone = asyncio.run(_run_then_check(script, 1.5, pidf))
    assert res.timed_out
    assert gone, f"the setsid descendant {pid} of a timed-out command survived"


def test_output_beyond_max_bytes_is_truncated(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    big.write_text("".join(f"line {i:06d}\n" for i in range(200_000)))  # 2.4 MB
    plan = build_plan([tspec("test.big", str(big), kind="file", max_bytes=10_000),
                       tspec("test.biglog", str(big), kind="log", max_bytes=10_000)])
    bundle = collect_nodes([LocalSource()], plan)
    recs = {r.spec: r for r in bundle.records}
    f = recs["test.big"]
    assert f.truncated and f.size == 10_000 and not f.timed_out
    assert f.data is not None and f.data.startswith(b"line 000000\n")
    log = recs["test.biglog"]  # a log keeps its end, from the first whole line
    assert log.truncated and log.size is not None and log.size < 10_000
    assert log.data is not None and log.data.endswith(b"line 199999\n")
    assert log.data.startswith(b"line ") and len(log.data.split(b"\n")[0]) == len("line 000000")
    assert bundle.manifest["artifacts"][0]["truncated"] is True


def test_local_source_truncates_a_command_that_never_stops_printing() -> None:
    async def go() -> CommandResult:
        return await LocalSource().run("while :; do echo y; done", timeout=10, max_bytes=5000)

    t0 = time.monotonic()
    res = asyncio.run(go())
    assert res.truncated and len(res.stdout) == 5000 and not res.timed_out
    assert time.monotonic() - t0 < 5


def test_a_failing_spec_does_not_stop_the_others(tmp_path: Path) -> None:
    plan = build_plan([tspec("test.missing_file", "cat /nonexistent/forewarn-test"),
                       tspec("test.bad_exit", "ls /nonexistent/forewarn-test"),
                       tspec("test.uname", "uname -s")])
    bundle = collect_nodes([LocalSource()], plan)
    recs = {r.spec: r for r in bundle.records}
    assert set(recs) == {"test.missing_file", "test.bad_exit", "test.uname"}
    assert recs["test.uname"].rc == 0 and recs["test.uname"].data == b"Linux\n"
    # stderr is kept in a command's output (sos style); the exit code says it failed
    assert recs["test.bad_exit"].rc != 0 and b"No such file" in (recs["test.bad_exit"].data or b"")


class ExplodingSource(LocalSource):
    """Raises (a source bug) for one script; the runner must record it and go on."""

    async def run(self, script: str, *, timeout: float, max_bytes: int) -> CommandResult:
        if "uname -r" in script:
            raise RuntimeError("boom")
        return await super().run(script, timeout=timeout, max_bytes=max_bytes)


def test_a_source_crash_on_one_command_is_that_command_error_only() -> None:
    plan = build_plan([tspec("test.boom", "uname -r"), tspec("test.ok", "uname -s")])
    bundle = collect_nodes([ExplodingSource()], plan)
    recs = {r.spec: r for r in bundle.records}
    assert recs["test.ok"].data == b"Linux\n"
    assert recs["test.boom"].error and "boom" in recs["test.boom"].error
    assert recs["test.boom"].data is None


def test_guards_skip_what_does_not_apply_and_record_nothing_for_it(tmp_path: Path) -> None:
    plan = build_plan([tspec("pve.test_cmd", "uname -s"),  # pve.*: needs pvecm or /etc/pve
                       tspec("test.not_installed", "calicoctl version"),
                       tspec("test.cond", "uname -s", applies_if="[ -d {root}/nowhere ]  # no nowhere here"),
                       tspec("test.file", "/etc/forewarn-absent.cfg", kind="file")],
                      root=str(tmp_path))
    bundle = collect_nodes([LocalSource(env=env_with(tmp_path / "empty-bin", PATH="/usr/bin:/bin"))], plan)
    assert bundle.records == []
    skipped = {s["spec"]: s["reason"] for s in bundle.manifest["collection"]["nodes"][bundle.nodes[0]]["skipped"]}
    assert skipped["pve.test_cmd"].startswith("not a Proxmox VE node")
    assert skipped["test.not_installed"] == "calicoctl is not installed"
    assert skipped["test.cond"] == "no nowhere here"
    assert skipped["test.file"] == "not present"
    assert any("4 spec(s) not applicable" in n for n in bundle.notes)


def test_multi_instance_globs_are_expanded_on_the_node(tmp_path: Path) -> None:
    for node, vmid in (("pve1", 100), ("pve1", 101), ("pve2", 200)):
        d = tmp_path / f"etc/pve/nodes/{node}/qemu-server"
        d.mkdir(parents=True, exist_ok=True)
        (d / f"{vmid}.conf").write_text(f"name: vm{vmid}\nmemory: 2048\n")
    (tmp_path / "etc/pve/nodes/pve2/lxc").mkdir(parents=True)
    (tmp_path / "etc/pve/nodes/pve2/lxc/300.conf").write_text("hostname: ct300\n")
    # the same file through a symlinked directory is read once
    (tmp_path / "etc/pve/nodes/alias").symlink_to(tmp_path / "etc/pve/nodes/pve1")
    from forewarn.specs import get

    plan = build_plan([get("pve.guest_config")], root=str(tmp_path))
    bundle = collect_nodes([LocalSource(node="n1")], plan)
    got = sorted(r.source for r in bundle.records)
    assert got == ["/etc/pve/nodes/alias/qemu-server/100.conf", "/etc/pve/nodes/alias/qemu-server/101.conf",
                   "/etc/pve/nodes/pve2/lxc/300.conf", "/etc/pve/nodes/pve2/qemu-server/200.conf"] or got == [
        "/etc/pve/nodes/pve1/qemu-server/100.conf", "/etc/pve/nodes/pve1/qemu-server/101.conf",
        "/etc/pve/nodes/pve2/lxc/300.conf", "/etc/pve/nodes/pve2/qemu-server/200.conf"]
    rec = next(r for r in bundle.records if r.source.endswith("200.conf"))
    assert rec.artifact == "n1/etc/pve/nodes/pve2/qemu-server/200.conf" and rec.spec == "pve.guest_config"
    assert rec.data == b"name: vm200\nmemory: 2048\n"


def test_the_node_budget_bounds_the_node(tmp_path: Path) -> None:
    specs = [tspec(f"test.sleep{i}", f"sleep {30 + i}", timeout=30) for i in range(4)]
    t0 = time.monotonic()
    bundle = collect_nodes([LocalSource()], build_plan(specs), budget=5, jobs=1)
    took = time.monotonic() - t0
    assert took < 12, f"a 5 s budget took {took:.1f} s"
    assert [r.spec for r in bundle.records] == ["test.sleep0"]
    assert bundle.records[0].timed_out
    info = bundle.manifest["collection"]["nodes"][bundle.nodes[0]]
    assert info["budget_exhausted"] is True
    assert [n["spec"] for n in info["not_run"]] == ["test.sleep1", "test.sleep2", "test.sleep3"]
    (fw,) = [f for f in bundle.findings if f.code == "FW909"]
    assert "3 item(s) not run (the node's budget of 5 s was used up)" in fw.message


class HangingPmxcfs(LocalSource):
    """Every read under /etc/pve hangs, as with a stuck pmxcfs."""

    async def run(self, script: str, *, timeout: float, max_bytes: int) -> CommandResult:
        if "/etc/pve/" in script and "exec cat" in script:
            await asyncio.sleep(timeout)
            now = datetime.now(timezone.utc)
            return CommandResult(b"", b"", None, now, now, timed_out=True)
        return await super().run(script, timeout=timeout, max_bytes=max_bytes)


def test_once_etc_pve_hangs_the_other_reads_there_are_not_started(tmp_path: Path) -> None:
    for f in ("storage.cfg", "corosync.conf", "replication.cfg"):
        (tmp_path / "etc/pve").mkdir(parents=True, exist_ok=True)
        (tmp_path / "etc/pve" / f).write_text("x\n")
    specs = [tspec("test.a", "/etc/pve/storage.cfg", kind="file", timeout=1),
             tspec("test.b", "/etc/pve/corosync.conf", kind="file", timeout=1),
             tspec("test.c", "/etc/pve/replication.cfg", kind="file", timeout=1),
             tspec("test.d", "uname -s")]
    t0 = time.monotonic()
    bundle = collect_nodes([HangingPmxcfs()], build_plan(specs, root=str(tmp_path)), jobs=1)
    assert time.monotonic() - t0 < 5
    recs = {r.spec: r for r in bundle.records}
    assert recs["test.a"].timed_out and recs["test.d"].data == b"Linux\n"
    not_run = bundle.manifest["collection"]["nodes"][bundle.nodes[0]]["not_run"]
    assert [n["spec"] for n in not_run] == ["test.b", "test.c"]
    assert "/etc/pve/storage.cfg timed out before it" in not_run[0]["reason"]


class Unreachable:
    where = "root@nowhere"
    node = "nowhere"

    async def open(self) -> None:
        raise SourceError("root@nowhere: connection refused on port 22 (no SSH server listening: sshd stopped?)")

    async def run(self, script: str, *, timeout: float, max_bytes: int) -> CommandResult:  # pragma: no cover
        raise AssertionError("never run on an unreachable node")

    async def close(self) -> None:
        pass


def test_an_unreachable_node_is_a_finding_and_the_others_are_collected(tmp_path: Path) -> None:
    plan = build_plan([tspec("test.uname", "uname -s")])
    bundle = asyncio.run(acollect_nodes([Unreachable(), LocalSource(node="here")], plan, out_dir=tmp_path / "b"))
    assert bundle.nodes == ["here", "nowhere"]
    assert [r.node for r in bundle.records] == ["here"]
    (fw,) = [f for f in bundle.findings if f.code == "FW908"]
    assert fw.nodes == ("nowhere",) and "connection refused" in fw.message
    # the same finding when the bundle is read back
    from forewarn.collect.bundle import load_bundle

    again = load_bundle(tmp_path / "b")
    assert [(f.code, f.nodes, f.message) for f in again.findings] == [(fw.code, fw.nodes, fw.message)]


def test_progress_reports_every_node_and_spec_without_content() -> None:
    events: list[Progress] = []
    plan = build_plan([tspec("test.a", "uname -s"), tspec("test.b", "calicoctl version")])
    collect_nodes([LocalSource(node="n")], plan, progress=events.append)
    kinds = [e.event for e in events]
    assert kinds[0] == "node-start" and kinds[-1] == "node-done"
    assert ("start", "test.a") in [(e.event, e.spec) for e in events]
    assert ("done", "test.a") in [(e.event, e.spec) for e in events]
    assert ("skipped", "test.b") in [(e.event, e.spec) for e in events]
    assert events[-1].done == events[-1].total == 2
    assert not any("Linux" in (e.detail + e.label) for e in events)


def test_a_broken_progress_callback_does_not_break_the_collection() -> None:
    def broken(p: Progress) -> None:
        raise ValueError("display broke")

    bundle = collect_nodes([LocalSource()], build_plan([tspec("test.a", "uname -s")]), progress=broken)
    assert bundle.records[0].data == b"Linux\n"


@pytest.mark.parametrize("name", ["../../etc", "a/b", "", ".."])
def test_node_names_from_a_node_cannot_escape_the_bundle(name: str) -> None:
    from forewarn.collect.run import safe_node_name

    safe = safe_node_name(name)
    assert "/" not in safe and safe not in ("", ".", "..")
