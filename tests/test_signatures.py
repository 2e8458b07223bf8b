"""The knowledge base (src/forewarn/signatures/*.yaml): every signature is tested on real lines.

- every example line, read as the reader reads any text (unwrapped, header taken off), is named
  by that signature (so knowledge-base order is right too), with the groups the example states;
- no near miss is matched by the signature;
- every example whose source is a file of this repository is verbatim in that file, at that line;
- every regex is in the common dialect and compiles, as the engine uses it, in Hyperscan, RE2
  and Python, and the three offer the examples' lines;
- every carried finding is complete, names the problem in forewarn's words (its message is not
  the raw line) and has no code that a Python rule also has.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forewarn import signatures as kb
from forewarn.logscan import engine
from forewarn.parse.log.match import match
from forewarn.parse.log.syslog import parse_text
from forewarn.parse.log.unwrap import outer, pieces
from forewarn.signatures._dialect import DialectError, parse

ROOT = Path(__file__).resolve().parent.parent
SIGS = kb.load()
IDS = [s.id for s in SIGS]


def _read(line: str) -> list[tuple[str, dict[str, str]]]:
    """What the reader makes of one pasted line: (kind, attrs) per event."""
    r = parse_text([line])
    return [(e.kind, e.attrs) for e in r.value.events] if r.value else []


@pytest.mark.parametrize("sig", SIGS, ids=IDS)
def test_examples_are_named_by_their_signature(sig):
    for ex in sig.examples:
        found = _read(ex.line)
        assert found, f"{sig.id}: the reader finds nothing in {ex.line!r}"
        kind, attrs = found[0]
        assert kind == sig.kind, f"{sig.id}: {ex.line!r} is named {kind} (an earlier signature), not {sig.kind}"
        for k, v in ex.groups:
            assert attrs.get(k) == v, f"{sig.id}: group {k} is {attrs.get(k)!r}, the example says {v!r}"


@pytest.mark.parametrize("sig", SIGS, ids=IDS)
def test_near_misses_do_not_match(sig):
    for nm in sig.near_misses:
        for piece in pieces(outer(nm.line)[0]) + [nm.line]:
            assert not sig.regex.search(piece), f"{sig.id} matches its near miss {nm.line!r}"


_LOCAL = re.compile(r"^(tests/\S+):(\d+)$")


@pytest.mark.parametrize("sig", SIGS, ids=IDS)
def test_local_sources_hold_the_lines_verbatim(sig):
    for ln in sig.examples + sig.near_misses:
        assert ln.source.strip(), f"{sig.id}: {ln.line!r} has no source"
        m = _LOCAL.match(ln.source)
        if not m:
            assert "://" in ln.source or "find_string" in ln.source, \
                f"{sig.id}: source {ln.source!r} is neither a repository path:line nor a public address"
            continue
        lines = (ROOT / m.group(1)).read_text(encoding="utf-8", errors="replace").split("\n")
        assert ln.line.strip() in lines[int(m.group(2)) - 1], f"{sig.id}: {ln.line!r} is not at {ln.source}"


MATCHERS = []
for _name in ("hyperscan", "re2", "python"):
    try:
        engine.make(engine.build_patterns(SIGS[:1]), _name)
        MATCHERS.append(_name)
    except RuntimeError:
        pass


@pytest.mark.parametrize("name", MATCHERS)
def test_every_signature_compiles_in_every_matcher(name):
    """Each signature alone, as the engine compiles it: no fallback to its literals anywhere,
    and the matcher offers every example line."""
    if name == "hyperscan":
        import hyperscan as hs
    if name == "re2":
        import re2
    for sig in SIGS:
        if name == "hyperscan":
            db = hs.Database(mode=hs.HS_MODE_BLOCK)
            db.compile(expressions=[sig.engine_pattern.encode()], ids=[0], elements=1, flags=[0])
        elif name == "re2":
            re2.compile(sig.re2_pattern)
        else:
            re.compile(sig.engine_pattern.encode())
        m = engine.make(engine.build_patterns([sig]), name)
        for ex in sig.examples:
            raw = ex.line.encode() + b"\n"
            if "\\" in ex.line or ex.line.lstrip().startswith("{"):
                continue  # offered by the escape/JSON marks: the raw text need not match
            assert m.positions(raw), f"{name} does not offer {sig.id}'s example {ex.line!r}"


@pytest.mark.parametrize("pattern,why", [
    (r"^Token has not been received", "anchor"),
    (r"lost lock (?=x)", "look-around"),
    (r"(a)\1", "back-reference"),
    (r"host .? down", "non-ASCII"),
    (r"host [^ ]{2} down", "non-ASCII"),
    (r"(?i)abc", "inline flag"),
    (r"a{2", "quantifier"),
    (r"x*", "empty"),
    ("caf\u00e9", "ASCII"),
])
def test_the_dialect_refuses_what_matchers_read_differently(pattern, why):
    with pytest.raises(DialectError, match=why):
        parse(pattern)


def test_issue_literal_only_signatures_are_fixed():
    """The real lines the issue names, which the old literal signatures missed."""
    assert match("E0117 kubelet: Failed to find subsystem mount for required subsystem: pids")[0].kind \
        == "kubelet_cgroup_subsystem_missing"
    sig, attrs = match("TASK ERROR: VM is locked (snapshot-delete)")
    assert (sig.kind, attrs["lock"]) == ("guest_locked", "snapshot-delete")


def test_findings_are_complete_and_in_forewarns_words():
    from forewarn.rules import RULES

    carried = kb.findings()
    assert carried
    for kind, f in carried.items():
        assert f.code not in RULES, f"{f.code} is both a Python rule and a signature's finding"
        assert f.severity in kb.SEVERITIES and f.fix and f.cause and f.source
        examples = [ex.line for s in SIGS if s.kind == kind for ex in s.examples]
        assert all(f.message not in ex for ex in examples), f"{f.code}: the message is the raw line"
        assert f.title[:1].isupper(), f.code


def test_each_finding_kind_is_carried_once():
    kinds = [s.kind for s in SIGS if s.finding is not None]
    assert len(kinds) == len(set(kinds))


def test_knowledge_base_errors_are_clear(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("family: x\nsignatures:\n- id: a\n  regex: '^anchored'\n  examples: []\n  near_misses: []\n")
    with pytest.raises(kb.SignatureError, match="bad.yaml a: anchor"):
        kb.load_file(bad)
    bad.write_text("family: x\nsignatures:\n- id: a\n  regex: 'no example here'\n  examples: []\n  near_misses: []\n")
    with pytest.raises(kb.SignatureError, match="at least one example"):
        kb.load_file(bad)


@pytest.mark.parametrize("pattern,lits", [
    (r"\[KNET *\] link: host: (?P<host>\d+) link: (?P<link>\d+) is down", ("] link: host: ",)),
    (r"cfs-lock '(?P<lock>[^']+)' error: (?P<err>.*)|error with cfs lock '(?P<lock2>[^']+)'", ("cfs-lock '", "error with cfs lock '")),
    (r"fo+bar", ("obar",)),  # `o+`: the text before touches the first o, the text after the last
    (r"(?:status|code)=226/NAMESPACE", ("=226/namespace",)),
])
def test_literals_are_text_every_match_contains(pattern, lits):
    from forewarn.signatures._dialect import literals

    assert literals(parse(pattern), fold=True) == lits


@pytest.mark.parametrize("pattern,engine", [
    (r"lost lock '(?P<lock>[^' ]+)'?(?: - (?P<err>.*))?", r"lost lock '(?P<lock>[^\n\r' ])"),
    (r"Retransmit List: (?P<list>.*)", r"Retransmit List: "),
    (r"x+ is down", r" is down"),  # from the first literal run on
])
def test_engine_form_drops_edges_that_match_nothing(pattern, engine):
    """... and keeps negated classes inside a line (the matchers run over blocks of lines)."""
    from forewarn.signatures._dialect import engine_form

    assert engine_form(parse(pattern)) == engine


def test_engine_form_matches_wherever_the_signature_does():
    """The edges the engine drops never decide whether a line matches."""
    for sig in SIGS:
        rx = re.compile(sig.engine_pattern.encode())
        for ex in sig.examples:
            for piece in pieces(outer(ex.line)[0]):
                if sig.regex.search(piece):
                    assert rx.search(piece.encode()), (sig.id, piece)


def _literal_soup() -> st.SearchStrategy[str]:
    from forewarn.parse.log.match import _literal_table

    lits = [lit for lit, _ix in _literal_table()[0]]
    piece = st.one_of(st.sampled_from(lits), st.sampled_from(lits).map(str.upper),
                      st.sampled_from(lits).map(lambda s: s[1:] + s[:1]), st.text(max_size=6))
    return st.lists(piece, max_size=6).map(" ".join)


@settings(max_examples=500, deadline=None)
@given(_literal_soup())
def test_the_literal_set_finds_what_testing_each_literal_finds(text: str) -> None:
    """match() asks an RE2 set which literals a line holds: the same signatures, in the same
    order, as testing every literal in turn (the path without RE2)."""
    from forewarn.parse.log import match as m

    table, found = m._literal_table()
    low = text.lower()
    by_set = sorted({i for k in (found.Match(low) or ()) for i in table[k][1]})
    assert by_set == sorted({i for lit, ix in table if lit in low for i in ix})
