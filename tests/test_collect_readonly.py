"""Read-only, provably: every script the collector can run is on the read-only allowlist.

The plan is built from every registered spec; each script (guards, listings, reads, commands)
is lexed and every simple command checked. A collection through a recording source then shows
that nothing runs that is not in the plan.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import pytest

from forewarn.collect.plan import Expansion, Task, build_plan
from forewarn.collect.readonly import ALLOWLIST, check_script, executables
from forewarn.collect.run import acollect_nodes
from forewarn.collect.sources.base import CommandResult
from forewarn.specs import SPECS
from forewarn.specs._base import Spec


def _test_spec(name: str, source: str, kind: str = "command", **kw: object) -> Spec:
    return Spec(name=name, kind=kind, source=source, description="test only", platform=name.split(".")[0],
                **kw)  # type: ignore[arg-type]


def test_every_spec_is_planned_or_says_why_not() -> None:
    plan = build_plan()
    planned = set(plan.specs())
    explained = {x["spec"] for x in plan.not_live} | {x["spec"] for x in plan.refused}
    missing = [s for s in SPECS if s not in planned and s not in explained]
    assert not missing, f"specs neither collected nor explained: {missing}"


def test_no_registered_spec_is_refused() -> None:
    plan = build_plan()
    assert not plan.refused, "\n".join(f"{r['spec']}: {r['reason']}" for r in plan.refused)


def test_every_plan_script_is_read_only() -> None:
    plan = build_plan()
    bad = {}
    for script in plan.scripts():
        problems = check_script(script)
        if problems:
            bad[script[:200]] = [str(p) for p in problems]
    assert not bad, bad


def test_every_executable_is_on_the_allowlist() -> None:
    used = {exe for script in build_plan().scripts() for exe in executables(script)}
    assert used, "the plan runs nothing?"
    assert used <= set(ALLOWLIST), used - set(ALLOWLIST)
    # the commands the Proxmox rules need are there
    assert {"pvecm", "corosync-quorumtool", "corosync-cfgtool", "systemctl", "journalctl", "lvs", "cat"} <= used


@pytest.mark.parametrize("script", [
    "pvecm status; rm -rf /",
    "pvecm status && pvecm expected 1",
    "cat /etc/pve/storage.cfg > /tmp/copy",
    "cat /etc/hosts >> /etc/hosts",
    "journalctl -n 10 | tee /tmp/log",
    "lvs && lvchange -an pve/data",
    "vgchange -ay",
    "systemctl restart corosync",
    "systemctl stop pve-cluster",
    "sysctl -w net.ipv4.ip_forward=1",
    "sysctl net.ipv4.ip_forward=1",
    "ip link set eth0 down",
    "ip addr add 10.0.0.1/24 dev eth0",
    "corosync-quorumtool -e 1",
    "corosync-cfgtool -R",
    "corosync-cmapctl -s totem.token u32 3000",
    "corosync-cmapctl -d nodelist.node.2.nodeid",
    "corosync-cmapctl -D runtime",
    "corosync-cmapctl -p /tmp/keys",
    "corosync-cmapctl -C all",
    "corosync-cmapctl -t nodelist",
    "corosync-cmapctl -T",
    "corosync-cmapctl nodelist runtime totem",
    "corosync-qdevice-tool -S",
    "corosync-qdevice-tool -sv -p /tmp/other.sock",
    "ha-manager set vm:100 --state stopped",
    "zfs destroy rpool/data",
    "zpool clear rpool",
    "dpkg -i x.deb",
    "hostname newname",
    "journalctl --vacuum-size=1M",
    "kubectl delete pod x",
    "docker rm -f x",
    "x=$(rm -f /tmp/x)",
    "`rm -f /tmp/x`",
    "$CMD status",
    "timeout 5 rm /tmp/x",
    "sh -c 'rm /tmp/x'",
    "eval rm /tmp/x",
    "cat <<EOF\nx\nEOF",
    "passwd root",
    "date -s 2020-01-01",
    "tail -f /var/log/syslog",
])
def test_writing_or_unknown_commands_are_refused(script: str) -> None:
    assert check_script(script), f"{script!r} must not pass the read-only check"


# Option tricks that passed a checker that looked for bad words instead of matching the whole argv
# (issue 9): an option's value read as a subcommand, getopt's abbreviations and attached values,
# an environment set for the command, an expansion hiding a command substitution.
TRICKS = [
    "date -s2020-01-01", "date -us2020-01-01", "date --set=2020-01-01", "date --se=2020-01-01", "date 010100002020",
    "sysctl -p/etc/evil.conf", "sysctl -p", "sysctl --sys", "sysctl --system", "sysctl -qw x=1",
    "journalctl --vacuum-s=1M", "journalctl --vacuum-t=1s", "journalctl --rot", "journalctl -n --rotate",
    "journalctl --cursor-file=/tmp/c", "journalctl /usr/bin/rm",
    "systemctl -p show restart x", "systemctl --property show restart x", "systemctl show --now restart x",
    "timedatectl -p status set-ntp false", "timedatectl set-ntp false",
    "chronyc -m tracking makestep", "chronyc tracking makestep", "chronyc -h 10.0.0.1 tracking",
    "docker -l info rm -f c", "docker --context x info", "docker info rm -f c",
    "kubectl --cache-dir get delete pod x", "kubectl --cache-dir=/tmp get pods", "kubectl -w get pods",
    "kubectl foo", "hostname --file=/tmp/n", "hostname -F/tmp/n", "hostname -sF/tmp/n", "hostname --fi=/tmp/n",
    "LD_PRELOAD=/tmp/x.so cat /etc/hosts", "PATH=/tmp cat /etc/hosts", "PATH=/tmp/evil; pvecm status",
    "IFS=/; cat /etc/hosts", "export PATH=/tmp", "export LD_PRELOAD", "for PATH in /tmp; do pvecm status; done",
    'cat "${x:-$(touch f)}"', "cat ${x:-$(touch f)}", 'cat "${x:=y}"',
    "/tmp/evil/cat /etc/hosts", "./cat /etc/hosts", "timeout -k 1 5 rm x", "timeout --foo 5 cat x", "exec -a x rm",
    "printf -v PATH /tmp", "command pvecm expected 1", "command -p rm x", "set -e", "set x -- y",
    "corosync-quorumtool -s -e 1", "corosync-quorumtool -sm", "corosync-cfgtool -sR", "ip -b /tmp/cmds",
    "ip -batch /tmp/cmds", "ip -jb /tmp/cmds", "ip link show; ip link set eth0 down", "ip a a 10.0.0.1/24 dev x",
    "lvs --config 'global{}'", "zpool status; zpool clear rpool", "passwd -S -d root", "sshd -T -o x=y",
    "tail -c 10 -F /var/log/syslog", "dpkg -l -i x.deb", "grep -r x / --include=x -f /dev/stdin",
]


@pytest.mark.parametrize("script", TRICKS)
def test_option_tricks_are_refused(script: str) -> None:
    assert check_script(script), f"{script!r} must not pass the read-only check"


def test_a_spec_with_an_expansion_trick_is_refused_and_never_runs(tmp_path: object) -> None:
    """`cat "${x:-$(touch f)}"` ran end to end through a Spec: now the plan refuses it."""
    specs = [_test_spec("test.trick", 'cat "${x:-$(touch /tmp/forewarn-never)}"'),
             _test_spec("test.env", "LD_PRELOAD=/tmp/forewarn-never.so uname -a"),
             _test_spec("test.good", "uname -a")]
    plan = build_plan(specs)
    assert [r["spec"] for r in plan.refused] == ["test.trick", "test.env"]
    assert plan.specs() == ["test.good"]


def test_the_table_names_what_it_allows() -> None:
    """The allowlist is data: readonly.yaml loads, every command in it has a shape, and the
    commands the plan runs are all in it."""
    from forewarn.collect.argv_shapes import table

    tab = table()
    assert set(tab.commands) == set(ALLOWLIST)
    assert {"exec", "timeout"} == set(tab.wrappers)
    assert "PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin" in tab.exact_assignments


@pytest.mark.parametrize("script", [
    "pvecm status 2>&1",
    "date +%s", "date -u +%FT%T", "journalctl -q -b -1 -n1 --no-pager", "journalctl --since=-7d -n 5",
    "systemctl show -p Id corosync.service", "systemctl --no-pager status corosync.service",
    "timedatectl show -p Timezone", "chronyc -n sources", "chronyc sources -v", "kubectl -n kube-system get pods",
    "kubectl get nodes -o wide", "docker info", "hostname -s", "sysctl -n net.ipv4.ip_forward",
    "timeout -k 2 5 pvecm status", "exec tail -c 2097152 -- /var/log/syslog", "/usr/sbin/pvecm status",
    "LC_ALL=C; export LC_ALL", 'PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"; export PATH',
    "for d in /var/lib/docker; do t=$(findmnt -rn -o TARGET -T \"$d\"); echo \"${t}\"; done",
    "corosync-quorumtool -siH",
    "corosync-qdevice-tool -sv",
    "corosync-cmapctl", "corosync-cmapctl -b runtime.members",
    "cat -- '/etc/pve/nodes/pve1/qemu-server/100.conf' 2>/dev/null",
    "systemctl show -p Id,ActiveState corosync.service",
    "ip -j -d link",
    "sysctl -a",
    "journalctl -o short-iso --no-pager -r -n 10 _TRANSPORT=kernel + _PID=1 | tac",
    "m=$(findmnt -rn -t nfs -o TARGET) || m=\nstat -f -c '%T %n' -- $m",
    "for f in /etc/pve/nodes/*/lxc/*.conf; do [ -f \"$f\" ] && printf '%s\\0' \"$f\"; done; exit 0",
    "command -v pvecm >/dev/null 2>&1 || { echo 'forewarn-skip: x' >&2; exit 79; }",
])
def test_read_only_scripts_pass(script: str) -> None:
    assert check_script(script) == []


def test_a_spec_with_a_writing_command_is_refused_and_never_runs() -> None:
    bad = _test_spec("test.bad", "rm -rf /tmp/forewarn-never")
    bad2 = _test_spec("test.redirect", "cat /etc/hosts > /tmp/forewarn-never")
    good = _test_spec("test.good", "uname -a")
    plan = build_plan([bad, bad2, good])
    assert [r["spec"] for r in plan.refused] == ["test.bad", "test.redirect"]
    assert plan.specs() == ["test.good"]
    assert "rm is not on the read-only allowlist" in plan.refused[0]["reason"]


class RecordingSource:
    """Answers every script with canned output and remembers what it was asked to run."""

    where = "recording"

    def __init__(self) -> None:
        self.node = "rec"
        self.scripts: list[str] = []

    async def open(self) -> None:
        pass

    async def close(self) -> None:
        pass

    async def run(self, script: str, *, timeout: float, max_bytes: int) -> CommandResult:
        self.scripts.append(script)
        now = datetime.now(timezone.utc)
        out = b"x\n"
        if "set --\nfor f in" in script:  # a listing: pretend two instances of the first pattern exist
            first = script.split("for f in ", 1)[1].split(" ", 1)[0].split(";", 1)[0].strip("'")
            a, b = first.replace("*", "a"), first.replace("*", "b")
            out = f"{a}\0{b}\0=\0{a}\0{b}\0".encode()
        return CommandResult(out, b"", 0, now, now)


def test_a_collection_runs_only_plan_scripts_and_all_are_read_only() -> None:
    plan = build_plan()
    src = RecordingSource()
    bundle = asyncio.run(acollect_nodes([src], plan))
    assert bundle.records
    known = {i.script for i in plan.items}
    instances = 0
    for script in src.scripts:
        assert check_script(script) == [], script
        if script not in known:  # an instance found by a listing: a plain read of one file
            instances += 1
            assert script.rstrip().rsplit("\n", 1)[-1].startswith(("exec cat -- ", "exec tail -c ")), script
    assert instances > 0
    kinds = {type(i) for i in plan.items}
    assert kinds == {Task, Expansion}
