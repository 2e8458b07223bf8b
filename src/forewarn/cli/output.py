"""Where a command's output goes, the options every command shares, and the one-line failure.

A command function raises `Fail` (or click's UsageError) for a problem with its input; `main`
turns it into one line on stderr and exit code 2. Nothing below the command functions exits.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

import functools

import click

from forewarn.cli.bounds import max_size_option
from forewarn.cli.fail import Fail as Fail  # re-exported: the commands import it from here

SEVERITIES = ("critical", "high", "medium", "low", "info")  # model.findings.Severity, without importing it
FORMATS = ("text", "json", "markdown")
# for other programs: code-scanning views, CI test reports, node_exporter's textfile collector
MACHINE_FORMATS = ("sarif", "junit", "prometheus")
REPORT_FORMATS = (*FORMATS, "html", *MACHINE_FORMATS)  # scan, explain and timeline
# `-o FILE` without `--format`: the format its extension names
BY_EXTENSION = {".json": "json", ".md": "markdown", ".markdown": "markdown", ".html": "html", ".htm": "html",
                ".txt": "text", ".log": "text", ".sarif": "sarif", ".sarif.json": "sarif", ".xml": "junit",
                ".junit.xml": "junit", ".prom": "prometheus"}
STARTED = "forewarn.started"  # click context meta: when the command began (Unix time)


class Output:
    """Where a report goes: the terminal (coloured) or a file given with -o."""

    def __init__(self, fmt: str, out: str | None, color: bool | None) -> None:
        self.fmt, self.out = fmt, out
        self.color = color

    def console(self) -> "Console":
        from rich.console import Console

        if self.out:
            return Console(file=open_out(self.out), force_terminal=False, no_color=True, width=WIDTH)
        # None lets rich honour NO_COLOR and see whether stdout is a terminal; --color forces
        # colour into a pipe, --no-color takes it away
        if self.color is False:  # plain text: no escape sequence at all, bold included
            return Console(color_system=None, highlight=False, soft_wrap=False, width=_width())
        return Console(force_terminal=True if self.color else None, highlight=False, soft_wrap=False,
                       width=_width())

    def write(self, text: str) -> None:
        if self.out and self.fmt == "prometheus":
            _write_textfile(self.out, text)
        elif self.out:
            with open_out(self.out) as fh:
                fh.write(text)
        else:
            click.echo(text)


def _write_textfile(path: str, text: str) -> None:
    """node_exporter's textfile collector must never read half a file: temp file + rename. A
    pipe or a device (-o /dev/stdout) cannot be renamed over, and is written as it is."""
    import os
    import stat

    from forewarn.report.prometheus import write_atomically

    try:
        if os.path.exists(path) and not stat.S_ISREG(os.stat(path).st_mode):
            with open_out(path) as fh:
                fh.write(text)
            return
        write_atomically(path, text)
    except OSError as exc:
        raise Fail(f"-o {path}: cannot write: {exc.strerror or exc}") from None


def render_machine(fmt: str, report: Any) -> str:
    """SARIF, JUnit XML or Prometheus text of a report (report/sarif.py, junit.py, prometheus.py)."""
    if fmt == "sarif":
        import json

        from forewarn.report.sarif import render_sarif

        return json.dumps(render_sarif(report), indent=2, ensure_ascii=False)
    if fmt == "junit":
        from forewarn.report.junit import render_junit

        return render_junit(report)
    from forewarn.report.prometheus import render_prometheus

    ctx = click.get_current_context(silent=True)
    return render_prometheus(report, started=ctx.find_root().meta.get(STARTED) if ctx else None)


WIDTH = 120  # of a report written to a file, and the widest a terminal report gets


def _width() -> int | None:
    """Every command's terminal output: the terminal's width (COLUMNS wins), at most WIDTH."""
    import os
    import shutil

    cols = os.environ.get("COLUMNS")
    width = int(cols) if cols and cols.isdigit() else shutil.get_terminal_size((WIDTH, 40)).columns
    return max(40, min(width, WIDTH))


def named_by(out: str) -> str | None:
    """The format a file name's extension names (`.sarif.json` before `.json`)."""
    from pathlib import PurePath

    name = PurePath(out).name.lower()
    return next((f for ext, f in sorted(BY_EXTENSION.items(), key=lambda kv: -len(kv[0])) if name.endswith(ext)),
                None)


def pick_format(fmt: str | None, out: str | None, allowed: tuple[str, ...], *, fmt_is_default: bool = False) -> str:
    """`--format` when given; else the one `-o FILE`'s extension names; else text. A format from
    the config file (`fmt_is_default`) gives way to the extension of an `-o` on the command line."""
    named = named_by(out) if out else None
    if fmt and not (fmt_is_default and named):
        return fmt
    if named in allowed:
        return named  # type: ignore[return-value]
    if named:
        raise Fail(f"-o {out}: this command does not write {named} (formats: {', '.join(allowed)})")
    return fmt or "text"


def open_out(path: str) -> IO[str]:
    try:
        return open(path, "w", encoding="utf-8", errors="backslashreplace")  # a non-UTF-8 file name
    except OSError as exc:
        raise Fail(f"-o {path}: cannot write: {exc.strerror}") from None


def parse_now(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Fail(f"--now {value!r}: not an ISO date/time (e.g. 2026-03-21T10:00:00)") from None
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def pairs(values: tuple[str, ...], option: str) -> dict[str, str]:
    """`NAME=FILE` values as {FILE: NAME}."""
    out: dict[str, str] = {}
    for v in values:
        if "=" not in v:
            raise Fail(f"{option} {v!r}: expected NAME=FILE")
        k, _, f = v.partition("=")
        out[f] = k
    return out


def _apply(func: Callable[..., Any], options: list[Callable[..., Any]]) -> Any:
    for opt in reversed(options):
        func = opt(func)
    return func


def common(func: Callable[..., Any] | None = None, *, formats: tuple[str, ...] = FORMATS) -> Any:
    """--format, -o and --color; the format defaults to what -o's extension names, else text."""
    if func is None:
        return lambda f: common(f, formats=formats)

    @functools.wraps(func)
    def resolved(*args: Any, **kw: Any) -> Any:
        import time

        ctx = click.get_current_context()
        ctx.find_root().meta.setdefault(STARTED, time.time())
        from forewarn.cli.config import from_config

        kw["fmt"] = pick_format(kw.get("fmt"), kw.get("out"), formats,
                                fmt_is_default=from_config("fmt") and not from_config("out"))
        return func(*args, **kw)

    return _apply(resolved, [
        click.option("--format", "fmt", type=click.Choice(formats), default=None,
                     help=f"Output format: {', '.join(formats)} (default: from -o's extension, else text)."),
        click.option("-o", "--output", "out", type=click.Path(dir_okay=False), help="Write the report to FILE."),
        click.option("--color/--no-color", default=None,
                     help="Force colour on (also into a pipe) or off; default: on a terminal, unless NO_COLOR is set."),
        click.option("-q", "--quiet", is_flag=True, help="Nothing on stderr but errors (no progress, no notes)."),
    ])


def report_options(func: Callable[..., Any]) -> Callable[..., Any]:
    return _apply(func, [
        click.option("--fail-on", type=click.Choice(SEVERITIES), default="high",
                     show_default=True, help="Exit 1 when a finding is at or above this severity."),
        click.option("--suppress", "suppress_file", type=click.Path(dir_okay=False),
                     help="YAML file of accepted findings (code, node, reason)."),
        click.option("--now", "now", help="Treat this as the current time (ISO); default: the evidence's own time."),
        click.option("--only", "only", multiple=True, help="Run only these rule codes (repeatable)."),
        click.option("-v", "--verbose", is_flag=True, help="Show all evidence lines and inputs."),
        click.option("--show-passed", is_flag=True, help="List the rules that passed too."),
        max_size_option,
    ])


def check_html(out: str | None) -> None:
    """Refuse an HTML report that cannot be written here (missing extra, or a terminal)."""
    from forewarn.report.html import html_problem

    if problem := html_problem(out):
        raise Fail(problem)


def load_or_fail(targets: tuple[str, ...] | list[str], **kw: Any) -> Any:
    """The bundle or loose files of a command's arguments (pipeline.load), or a one-line Fail."""
    from forewarn.pipeline import InputError, load

    try:
        return load(list(targets), **kw)
    except InputError as exc:
        raise Fail(str(exc)) from None
    except OSError as exc:
        raise Fail(f"{exc.filename or ''}: {exc.strerror or exc}") from None
