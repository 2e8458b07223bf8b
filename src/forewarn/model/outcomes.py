"""The two outcomes a rule (or a fact combiner a rule calls) raises instead of returning hits."""

from __future__ import annotations


class NotApplicable(Exception):
    """Raised by a rule when what it checks does not exist here (no HA, no ZFS, ...)."""


class CouldNotCheck(Exception):
    """Raised by a rule when its evidence is there but does not let it decide."""
