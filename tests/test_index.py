"""The start-up index (forewarn/index.py): a run imports only the parsers and rules it uses, and
a rule whose module was not imported gives the same outcome as the rule itself would."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest

from forewarn.index import _sources, index
from forewarn.parse._registry import all_parsers, get_parser
from forewarn.pipeline import diagnose, load
from forewarn.rules._engine import RULES, run_all
from forewarn.rules._registry import as_indexed, unloaded

ROOT = Path(__file__).resolve().parent.parent
LOG = ROOT / "tests/evidence/corosync-lab-2/2x-node1-syslog.log"  # real corosync output, SOURCE.md beside it


def test_the_index_names_every_parser_and_rule() -> None:
    idx = index()
    assert set(idx["parsers"]) == set(all_parsers())
    assert set(idx["rules"]) == {code for code in RULES}
    assert all(get_parser(spec) is not None for spec in idx["parsers"])


@pytest.mark.parametrize("code", sorted(index()["rules"]))
def test_an_indexed_rule_is_the_rule_but_for_its_code(code: str) -> None:
    """What the engine decides from the index alone (not applicable, could not check) it decides
    from exactly the metadata the rule registers when imported."""
    real = RULES[code]
    assert as_indexed(code) == dataclasses.replace(real, func=unloaded, fix=())


def test_the_index_is_rebuilt_when_a_source_changes() -> None:
    """Its cache key covers every module that declares a parser, a rule or a key."""
    names = {p.relative_to(ROOT / "src/forewarn").as_posix() for p in _sources()}
    assert {"rules/pve/pve101_quorum_lost.py", "parse/log/syslog.py", "model/keys.py", "facts/logs.py"} <= names


def test_findings_are_the_same_whichever_modules_were_imported() -> None:
    """All rules imported (this process) against a fresh process that imports only what it uses."""
    here = [(f.code, f.status.value, f.message) for f in diagnose(load([str(LOG)]), command="explain").report.findings]
    code = ("import json, sys\n"
            "from forewarn.pipeline import diagnose, load\n"
            f"r = diagnose(load([{str(LOG)!r}]), command='explain').report\n"
            "mods = sorted(m for m in sys.modules if m.startswith('forewarn.rules.') and m.count('.') == 3)\n"
            "print(json.dumps([[[f.code, f.status.value, f.message] for f in r.findings], mods]))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    findings, modules = json.loads(out.stdout)
    assert [tuple(f) for f in findings] == here
    # a syslog of a corosync cluster: no rule of a platform it does not show needed its module
    # (some Kubernetes rules are about the Linux host under kubelet: those may)
    assert modules and not [m for m in modules if m.split(".")[2] in ("ceph", "osk")], modules
    assert "forewarn.rules.pve.pve101_quorum_lost" in modules and len(modules) < len(RULES) / 2


def test_only_limits_what_runs() -> None:
    ctx = diagnose(load([str(LOG)]), command="explain").context
    assert {f.code for f in run_all(ctx, ["PVE101", "CEPH101"])} <= {"PVE101", "CEPH101"}
