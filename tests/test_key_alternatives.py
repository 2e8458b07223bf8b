"""One typed key fed by two specs: a command's output or its API form (model/keys.py).

`ctx.facts(KEY)` merges them per node (the primary spec wins for a node that has both), a rule
that declares the key may read either (and nothing else), and could-not-check names the API
form. The cases are real: `ha-manager status` from the PVE docs, and the API's
`/cluster/ha/status/current` captured on a PVE 9.2.10 cluster (tests/parsers/*/SOURCE.md).
"""

from __future__ import annotations

from pathlib import Path

import pytest

import forewarn.parse  # noqa: F401 - registers every parser and key
import forewarn.rules  # noqa: F401 - registers every rule
import forewarn.specs  # noqa: F401
from forewarn.facts.context import Context
from forewarn.model.evidence import EvidenceRecord
from forewarn.model.keys import Key, UndeclaredRead, _ALTERNATIVES, forms, needs_text
from forewarn.parse import get_parser
from forewarn.parse.pve.ha_manager_status import HA_MANAGER_STATUS, HaManagerStatus
from forewarn.parse.pve.pvesm_status import PVESM_STATUS, PvesmStatus
from forewarn.rules._engine import RULES, run_rule
from forewarn.specs import all_specs

PARSERS = Path(__file__).parent / "parsers"
CLI_HA = (PARSERS / "pve.ha_manager_status" / "pve-docs-elsa.txt").read_bytes()
API_HA = (PARSERS / "pve.api_ha_status" / "pegaprox-pve9-maintenance.txt").read_bytes()
API_STORAGE = (PARSERS / "pve.api_storage_status" / "cv4pve-diag-52-enterprise.txt").read_bytes()


def rec(spec: str, node: str, data: bytes) -> EvidenceRecord:
    kind = "api" if ".api_" in spec else "command"
    return EvidenceRecord(spec=spec, node=node, artifact=f"{node}/{spec}", kind=kind, data=data, size=len(data))


def test_the_api_form_feeds_the_key_and_the_command_wins_on_a_node_with_both() -> None:
    ctx = Context([rec("pve.api_ha_status", "pve1", API_HA), rec("pve.ha_manager_status", "pve1", CLI_HA),
                   rec("pve.api_ha_status", "pve2", API_HA)])
    got = ctx.by_node(HA_MANAGER_STATUS)
    assert {n: f.spec for n, f in got.items()} == {"pve1": "pve.ha_manager_status", "pve2": "pve.api_ha_status"}
    assert len(ctx.facts(HA_MANAGER_STATUS)) == 2  # one node never counts twice
    assert all(isinstance(f.value, HaManagerStatus) for f in got.values())
    # the API's fact points at the JSON element of the master, by its line
    api = got["pve2"]
    ref = api.ref([api.value.master.line])
    assert ref.excerpt and '"type": "master"' in ref.excerpt[0]


def test_a_rule_that_declares_the_key_may_read_its_api_form_and_nothing_undeclared() -> None:
    ctx = Context([rec("pve.api_ha_status", "pve1", API_HA), rec("pve.api_storage_status", "pve1", API_STORAGE)])
    view = ctx.restricted([HA_MANAGER_STATUS], "TEST")
    assert view.has(HA_MANAGER_STATUS) and view.facts("pve.api_ha_status")
    with pytest.raises(UndeclaredRead):
        view.facts(PVESM_STATUS)


def test_declared_reads_of_a_rule_cover_the_alternatives() -> None:
    pve110 = RULES["PVE110"]
    assert "pve.ha_manager_status" in pve110.inputs
    assert "pve.api_ha_status" in pve110.declared


def test_could_not_check_names_the_api_form() -> None:
    ctx = Context([rec("pve.api_ha_status", "pve1", b"[]")])  # a node with no storage answer at all
    ctx.records.append(rec("pve.services", "pve1", b"Id=corosync.service\nActiveState=active\n"))
    msgs = [f.message for f in run_rule(RULES["PVE130"], ctx)]
    assert any("pve.pvesm_status (or its API form pve.api_storage_status)" in m for m in msgs), msgs
    assert needs_text("host.sysctl") == "host.sysctl"


def test_the_api_form_alone_lets_the_rule_check() -> None:
    ctx = Context([rec("pve.api_storage_status", "enterprise", API_STORAGE)])
    out = run_rule(RULES["PVE130"], ctx)
    assert [f.status.value for f in out] == ["pass"], [(f.status, f.message) for f in out]


def _case_values(spec: str) -> list[object]:
    """The parsed values of a spec's real cases (tests/parsers/<spec>/, those expected to parse)."""
    import json

    out = []
    for txt in sorted((PARSERS / spec).glob("*.txt")):
        expected = txt.with_suffix(".json")
        if expected.exists() and json.loads(expected.read_text()).get("value") is None:
            continue
        out.append(get_parser(spec)(txt.read_text()).value)
    return out


def _declared_keys() -> list[Key[object]]:
    import sys

    return [v for name, mod in list(sys.modules.items()) if name.startswith("forewarn.parse.")
            for v in vars(mod).values() if isinstance(v, Key)]


def test_every_alternative_is_a_spec_whose_parser_gives_the_keys_type() -> None:
    specs = {s.name: s for s in all_specs()}
    assert _ALTERNATIVES, "no key declares an alternative"
    for primary, alts in _ALTERNATIVES.items():
        assert primary in specs and get_parser(primary) is not None
        primary_types = {k.type for k in _declared_keys() if k.spec == primary}
        assert len(primary_types) == 1, (primary, primary_types)
        for alt in alts:
            assert alt in specs and get_parser(alt) is not None, alt
            values = _case_values(alt)
            assert values, f"{alt}: no case under tests/parsers/{alt}/"
            assert all(isinstance(v, tuple(primary_types)) for v in values), (alt, values)


def test_a_key_cannot_be_its_own_alternative() -> None:
    with pytest.raises(ValueError):
        Key("x.self", int, alternatives=("x.self",))
    assert forms("host.sysctl") == ("host.sysctl",)
