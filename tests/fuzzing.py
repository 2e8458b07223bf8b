"""The number of examples a fuzz test runs: its everyday budget, or the loaded profile's.

`@settings(max_examples=...)` on a test overrides any Hypothesis profile, so a test states its
budget through `examples(n)`: `n` normally, the profile's `max_examples` once one is loaded
(tests/conftest.py: FOREWARN_FUZZ_EXAMPLES, HYPOTHESIS_PROFILE, or --hypothesis-profile).
"""

from __future__ import annotations

from hypothesis import settings


def examples(everyday: int) -> int:
    if settings.default is settings.get_profile("default"):
        return everyday
    return settings.default.max_examples
