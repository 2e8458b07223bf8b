"""`forewarn completion bash|zsh|fish`: the shell's completion script, from click's own machinery.

The script calls `forewarn` back with `_FOREWARN_COMPLETE` set, and click answers with the
commands, options and choices (formats, severities) that fit where the cursor is.
"""

from __future__ import annotations

import click

SHELLS = ("bash", "zsh", "fish")
COMPLETE_VAR = "_FOREWARN_COMPLETE"


@click.command()
@click.argument("shell", type=click.Choice(SHELLS))
def completion(shell: str) -> None:
    """Print the completion script for SHELL. Install it once:

    \b
    bash   forewarn completion bash > /etc/bash_completion.d/forewarn
           (or: eval "$(forewarn completion bash)" in ~/.bashrc)
    zsh    forewarn completion zsh > "${fpath[1]}/_forewarn"   (then: compinit)
    fish   forewarn completion fish > ~/.config/fish/completions/forewarn.fish
    """
    from click.shell_completion import get_completion_class

    cls = get_completion_class(shell)
    assert cls is not None  # click ships all three
    root = click.get_current_context().find_root().command
    click.echo(cls(root, {}, "forewarn", COMPLETE_VAR).source())
