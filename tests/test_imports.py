"""Imports follow use: what each command loads, checked by listing the modules it imported.

An offline command must not import the SSH stack (asyncssh prints deprecation warnings on a newer
cryptography, and costs start-up); `--help`, `why` and `rules` need neither the collector nor
Plotly. A command that really connects over SSH is the control: it must import asyncssh, so
the listing is known to see it. Not a timing test.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = str(ROOT / "examples" / "seed001-quorum-flap")
SYSLOG = str(ROOT / "examples" / "seed001-quorum-flap" / "pve5" / "var" / "log" / "syslog")

# runs the real entry point, then prints the modules it imported on the real stdout
PROBE = """
import json, os, sys
out = os.fdopen(os.dup(1), "w")
os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
sys.argv = ["forewarn"] + json.loads(sys.argv[1])
from forewarn.cli.main import main
try:
    main()
except SystemExit:
    pass
out.write(json.dumps(sorted(sys.modules)))
"""

SSH_STACK = ("asyncssh", "forewarn.collect.sources.ssh", "forewarn.collect.cluster")
COLLECTOR = ("forewarn.collect.run", "forewarn.collect.node_run", "forewarn.collect.plan",
             "forewarn.collect.sources.local", "forewarn.collect.readonly", *SSH_STACK)
PLOTLY = ("plotly",)


def modules(*args: str) -> set[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    r = subprocess.run([sys.executable, "-c", PROBE, json.dumps(list(args))], capture_output=True,
                       text=True, timeout=120, env=env, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    return set(json.loads(r.stdout))


def loaded(mods: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(m for m in mods if any(m == n or m.startswith(n + ".") for n in names))


@pytest.mark.parametrize("args", [
    ["--help"], ["scan", "--help"], ["why", "CT is locked (migrate)"], ["rules"], ["rules", "PVE101"],
], ids=lambda a: " ".join(a)[:30])
def test_help_why_and_rules_import_neither_the_collector_nor_plotly(args: list[str]) -> None:
    mods = modules(*args)
    assert loaded(mods, COLLECTOR + PLOTLY) == []


@pytest.mark.parametrize("args,ran", [
    (["scan", EXAMPLE], "forewarn.rules._engine"),
    (["scan", "--format", "json", EXAMPLE], "forewarn.rules._engine"),
    (["explain", SYSLOG], "forewarn.rules._engine"),
    (["timeline", EXAMPLE], "forewarn.facts.timeline"),
    (["specs"], "forewarn.specs"),
], ids=lambda a: " ".join(x for x in a if "/" not in x) if isinstance(a, list) else "")
def test_offline_commands_never_import_the_ssh_stack(args: list[str], ran: str) -> None:
    mods = modules(*args)
    assert ran in mods  # the command did its work
    assert loaded(mods, SSH_STACK) == []


def test_a_command_that_connects_over_ssh_imports_it() -> None:
    # the control: port 1 on loopback refuses at once, after asyncssh was imported to try
    mods = modules("scan", "-q", "--connect-timeout", "2", "--format", "json", "root@127.0.0.1:1")
    assert "asyncssh" in mods


def test_a_clean_run_prints_nothing_on_stderr() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "PYTHONWARNINGS": "default"}
    for args in (["scan", EXAMPLE], ["scan", "-q", "--connect-timeout", "2", "root@127.0.0.1:1"]):
        r = subprocess.run([sys.executable, "-m", "forewarn.cli.main", *args], capture_output=True,
                           text=True, timeout=120, env=env, cwd=ROOT)
        assert r.returncode == 1
        lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
        if args[1] == "-q":  # the unreachable node is forewarn's own one-line message, nothing more
            assert all(ln.startswith("forewarn") for ln in lines), r.stderr
        else:
            assert lines == [], r.stderr


WARN_PROBE = PROBE.replace("out.write(", "import warnings; warnings.warn('probe-warning'); out.write(")


@pytest.mark.parametrize("args,env,shown", [
    (["rules"], {}, False), (["--debug", "rules"], {}, True), (["rules"], {"FOREWARN_DEBUG": "1"}, True),
])
def test_library_warnings_are_silenced_unless_debugging(args: list[str], env: dict[str, str], shown: bool) -> None:
    r = subprocess.run([sys.executable, "-c", WARN_PROBE, json.dumps(args)], capture_output=True, text=True,
                       timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT / "src"), **env}, cwd=ROOT)
    assert ("probe-warning" in r.stderr) is shown, r.stderr
