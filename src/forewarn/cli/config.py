"""`forewarn.toml`: defaults for the command-line options (docs/config.md).

The first of these is read, whole: the file `$FOREWARN_CONFIG` names; `./forewarn.toml`;
`[tool.forewarn]` in `./pyproject.toml`; `$XDG_CONFIG_HOME/forewarn/forewarn.toml`
(`~/.config/forewarn/forewarn.toml`). A key is an option's long name (`fail-on`, `format`,
`suppress`, `identity` ...) or `targets`; at the top it applies to every command that has that
option and takes that value, in a `[scan]`-like table to that command alone. They become click's
`default_map`, so whatever the command line says wins. Paths are relative to the file's directory.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

import click

ENV = "FOREWARN_CONFIG"
# a config file must not switch off host-key checking behind the operator's back
REFUSED = {"insecure-no-host-key-check": "give it on the command line, where it can be seen",
           "help": "not an option with a value", "version": "not an option with a value"}


class ConfigError(ValueError):
    pass


def find(cwd: Path | None = None) -> tuple[Path, dict[str, Any]] | None:
    """(file, its forewarn settings), or None when there is no config."""
    cwd = cwd or Path.cwd()
    named = os.environ.get(ENV)
    if named:
        return Path(named), _read(Path(named))
    if (cwd / "forewarn.toml").is_file():
        return cwd / "forewarn.toml", _read(cwd / "forewarn.toml")
    if (cwd / "pyproject.toml").is_file():
        try:
            tool = _read(cwd / "pyproject.toml").get("tool", {})
        except ConfigError:
            tool = {}  # another project's broken pyproject.toml is no reason to refuse to run
        if isinstance(tool, dict) and isinstance(tool.get("forewarn"), dict):
            return cwd / "pyproject.toml", tool["forewarn"]
    try:
        home = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    except RuntimeError:  # no HOME and no passwd entry (a bare service environment)
        return None
    user = home / "forewarn" / "forewarn.toml"
    if user.is_file():
        return user, _read(user)
    return None


def _read(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file (${ENV})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None


def _params(cmd: click.Command) -> dict[str, click.Parameter]:
    keys: dict[str, click.Parameter] = {}
    for p in cmd.params:
        if isinstance(p, click.Option):
            keys.update({o[2:]: p for o in p.opts if o.startswith("--")})
        elif p.name == "targets":
            keys["targets"] = p
    return keys


def _value(cmd: click.Command, param: click.Parameter, value: Any, base: Path) -> Any:
    """The value as the option will take it; raises click.BadParameter when it does not fit."""
    many = param.multiple or param.nargs == -1
    if many and not isinstance(value, list):
        value = [value]
    if isinstance(param.type, click.Path):
        def place(v: Any) -> Any:
            p = Path(os.path.expanduser(str(v)))
            return str(p if p.is_absolute() else base / p)
        value = [place(v) for v in value] if many else place(value)
    with click.Context(cmd) as ctx:
        param.type_cast_value(ctx, value)
    return value


def defaults(group: click.Group, path: Path, data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """click's default_map for `group`'s commands. Raises ConfigError for a key no command takes,
    a value none takes, or a refused key."""
    base = path.resolve().parent
    commands = dict(group.commands)
    out: dict[str, dict[str, Any]] = {name: {} for name in commands}
    tables = {k: v for k, v in data.items() if isinstance(v, dict)}
    for key, value in data.items():
        if key in tables:
            if key not in commands:
                raise ConfigError(f"{path}: [{key}]: no such command (commands: {', '.join(sorted(commands))})")
            continue
        _check(path, key)
        errors, taken = [], 0
        for name, cmd in commands.items():
            param = _params(cmd).get(key)
            if param is None:
                continue
            try:
                out[name][param.name or key] = _value(cmd, param, value, base)
                taken += 1
            except click.BadParameter as exc:
                errors.append(f"{name}: {exc.format_message()}")
        if not taken:
            raise ConfigError(f"{path}: {key} = {value!r}: " + ("; ".join(errors[:2]) if errors else
                              "no command has this option (`forewarn COMMAND --help` lists them)"))
    for name, table in tables.items():
        params = _params(commands[name])
        for key, value in table.items():
            _check(path, key)
            if key not in params:
                raise ConfigError(f"{path}: [{name}] {key}: `forewarn {name}` has no such option")
            try:
                out[name][params[key].name or key] = _value(commands[name], params[key], value, base)
            except click.BadParameter as exc:
                raise ConfigError(f"{path}: [{name}] {key} = {value!r}: {exc.format_message()}") from None
    return {k: v for k, v in out.items() if v}


def _check(path: Path, key: str) -> None:
    if key in REFUSED:
        raise ConfigError(f"{path}: {key}: not taken from a config file: {REFUSED[key]}")


def apply(ctx: click.Context) -> None:
    """Give the command about to run its defaults from the config file (the group's callback)."""
    from forewarn.cli.fail import Fail

    try:
        found = find()
        if found:
            ctx.default_map = defaults(ctx.command, *found)  # type: ignore[arg-type]
            ctx.meta["forewarn.config"] = str(found[0])
    except ConfigError as exc:
        raise Fail(str(exc)) from None


def from_config(param: str) -> bool:
    """Whether the running command's `param` came from the config file, not the command line."""
    ctx = click.get_current_context(silent=True)
    return ctx is not None and ctx.get_parameter_source(param) is click.core.ParameterSource.DEFAULT_MAP


@click.command("config")
def show_config() -> None:
    """Show which config file is read (forewarn.toml, pyproject.toml's [tool.forewarn]) and the
    defaults it gives each command."""
    from forewarn.cli.fail import Fail

    try:
        found = find()
        if not found:
            click.echo("no config file (./forewarn.toml, ./pyproject.toml [tool.forewarn], "
                       "~/.config/forewarn/forewarn.toml; docs/config.md)")
            return
        group = click.get_current_context().find_root().command
        table = defaults(group, *found)  # type: ignore[arg-type]
    except ConfigError as exc:
        raise Fail(str(exc)) from None
    click.echo(f"# read from {found[0]}")
    for name, values in sorted(table.items()):
        click.echo(f"[{name}]")
        for key, value in values.items():
            click.echo(f"{key} = {value!r}")
