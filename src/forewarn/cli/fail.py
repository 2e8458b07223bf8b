"""`Fail`: a problem with what the user gave (its own module: cli/config and cli/output both raise it)."""

from __future__ import annotations

from typing import IO, Any

import click


class Fail(click.ClickException):
    """A problem with what the user gave: `forewarn: MESSAGE` on stderr, exit code 2."""

    exit_code = 2

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"forewarn: {self.format_message()}", err=True)
