"""Reports: the same findings as terminal text, JSON (stable schema) or Markdown."""

from forewarn.report.model import Report, exit_code  # noqa: F401
