"""`--max-artifact-size`: the cap on the bytes read from any one artifact (model/bounded.py).

Set while the command line is parsed, so it holds for everything read afterwards: a bundle's
checksums, the rules, the report.
"""

from __future__ import annotations

from typing import Any

import click

from forewarn.model.bounded import LIMITS, human, parse_size


def _set(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is None:
        return
    try:
        LIMITS.artifact_bytes = parse_size(value)
    except ValueError:
        raise click.BadParameter(f"{value!r}: give a size such as 4G, 512M or 100000") from None


def max_size_option(func: Any) -> Any:
    return click.option("--max-artifact-size", metavar="SIZE", callback=_set, expose_value=False,
                        is_eager=True,
                        help=f"Read at most SIZE bytes of any one file or member, after decompression "
                             f"(default {human(LIMITS.artifact_bytes)}; 4G, 512M ...).")(func)
