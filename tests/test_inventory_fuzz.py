"""No exception escapes the inventory readers and `--limit`: random text, and real inventories
(tests/evidence/inventory) with junk put in; an inventory or a one-line InventoryError."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fuzzing import examples

from forewarn.collect.inventory import InventoryError, from_text, hosts_of, select, split_pattern

EVIDENCE = Path(__file__).resolve().parent / "evidence/inventory"
FIXTURES = sorted(p for p in EVIDENCE.rglob("*")
                  if p.is_file() and p.name != "SOURCE.md" and "group_vars" not in p.parts)
REAL = [(p.read_text(), p.suffix in (".yml", ".yaml")) for p in FIXTURES]


def _read_all_the_way(text: str, as_yaml: bool, limit: str) -> None:
    try:
        inv = from_text(text, "fuzz", as_yaml=as_yaml)
        hosts = hosts_of(inv, select(inv, limit)[0])
    except InventoryError as exc:
        assert "\n" not in str(exc)
        return
    for h in hosts:
        assert (h.target is None) != (not h.refused)


@settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(max_size=600), as_yaml=st.booleans(), limit=st.text(max_size=30))
def test_random_text_is_an_inventory_or_a_one_line_error(text: str, as_yaml: bool, limit: str) -> None:
    _read_all_the_way(text, as_yaml, limit)


@settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(idx=st.integers(min_value=0), pos=st.floats(min_value=0, max_value=1), junk=st.text(max_size=40),
       limit=st.sampled_from(["all", "pve*", "a:&b:!c", "web,db", "!x", "[1:2]", "g[0]", ":", ",,"]))
def test_mutated_real_inventories_read_or_fail_in_one_line(idx: int, pos: float, junk: str, limit: str) -> None:
    text, as_yaml = REAL[idx % len(REAL)]
    at = int(len(text) * pos)
    _read_all_the_way(text[:at] + junk + text[at:], as_yaml, limit)
    split_pattern(limit + junk)
