"""The number of examples a fuzz test runs: its everyday budget, or the loaded profile's.

`@settings(max_examples=...)` on a test overrides any Hypothesis profile, so a test states its
budget through `examples(n)`: `n` normally, the profile's `max_examples` once one is loaded
(tests/conftest.py: FOREWARN_FUZZ_EXAMPLES, HYPOTHESIS_PROFILE, or --hypothesis-profile).
"""

from __future__ import annotations

from hypothesis import settings


def _builtin_profiles() -> list[settings]:
    """Hypothesis's own profiles: "default", and "ci", which it loads by itself when the CI
    variable is set. Neither is a request for another budget."""
    out = []
    for name in ("default", "ci"):
        try:
            out.append(settings.get_profile(name))
        except Exception:  # noqa: BLE001 - an older Hypothesis has no "ci" profile
            pass
    return out


def examples(everyday: int) -> int:
    if any(settings.default is p for p in _builtin_profiles()):
        return everyday
    return settings.default.max_examples
