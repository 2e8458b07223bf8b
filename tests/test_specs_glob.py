"""A loose file's name is matched against every spec's globs without compiling them
(specs/_base.glob_matches): the same answers as fnmatch."""

from __future__ import annotations

import fnmatch

from hypothesis import given, settings
from hypothesis import strategies as st

from fuzzing import examples

from forewarn.specs import all_specs
from forewarn.specs._base import glob_matches

GLOBS = sorted({g for s in all_specs() for g in s.names})


@settings(max_examples=examples(3000), deadline=None)
@given(st.text(alphabet="a.*", max_size=7), st.text(alphabet="a.", max_size=6))
def test_a_glob_of_literals_and_stars_matches_as_fnmatch_does(pattern: str, name: str) -> None:
    assert glob_matches(name, pattern) == fnmatch.fnmatchcase(name, pattern), (pattern, name)


@settings(max_examples=examples(1000), deadline=None)
@given(st.sampled_from(GLOBS), st.lists(st.sampled_from(["kube", "-apiserver", ".log", ".1", "status", "pvecm",
                                                          "ip-addr", ".json", "bond0", "nova", "_compute",
                                                          "api", "x", "*", "[", "0"]), max_size=6))
def test_every_spec_glob_matches_as_fnmatch_does(pattern: str, parts: list[str]) -> None:
    """Names built from the globs' own pieces, so that many of them match."""
    for name in ("".join(parts), pattern.replace("*", "".join(parts)), pattern.replace("*", "")):
        assert glob_matches(name, pattern) == fnmatch.fnmatchcase(name, pattern), (pattern, name)
