"""Collection defaults, apart from the runner so the CLI can show them without importing it."""

DEFAULT_BUDGET = 120.0  # seconds for one node, all of its commands
DEFAULT_JOBS = 4  # commands at once on one node
DEFAULT_NODE_JOBS = 8  # nodes at once
