"""Parsers: pure functions from text to typed values. They never raise on bad input.

Each module registers its parsers with `@parser("spec.name")`. A run imports a parser's module
when its spec is first parsed (`get_parser`: forewarn/index.py knows where each one is), so a
new parser costs one file and no registry edits; `all_parsers()` imports them all.
"""

from forewarn.parse._registry import PARSERS, Parser, all_parsers, get_parser, parser  # noqa: F401
