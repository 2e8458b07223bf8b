"""`forewarn baseline TARGET... -o accepted.yaml`: today's findings as a suppression file.

The file is in the one `--suppress` schema (docs/suppress.md): an entry per finding and node
(code, node, reason, optional expiry), so that `forewarn scan TARGET --suppress accepted.yaml`
exits 0 until something new appears. Targets are read exactly as `scan` reads them.
"""

from __future__ import annotations

import contextlib
import re
import sys
import tempfile
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import click

from forewarn.cli.live import collect_here, collect_remote, live_options, pop_live
from forewarn.cli.output import Fail, parse_now
from forewarn.cli.ssh import pop_ssh, ssh_options, wants_ssh


@contextlib.contextmanager
def _bundle(targets: tuple[str, ...], ssh: dict[str, Any], live: dict[str, Any]) -> Iterator[Any]:
    """The evidence `scan` would read for these targets (this host live when none)."""
    from forewarn.pipeline import InputError, load

    if wants_ssh(targets, ssh):
        bundle = collect_remote(targets, ssh, live, "text")
    elif not targets:
        with tempfile.TemporaryDirectory(prefix="forewarn-baseline-") as tmp:
            collected = collect_here(live, "text", Path(tmp) / "bundle")
            bundle = load([str(Path(tmp) / "bundle")])
            bundle.source = collected.source
            try:
                yield bundle
            finally:
                bundle.close()
        return
    else:
        try:
            bundle = load(list(targets))
        except InputError as exc:
            raise Fail(str(exc)) from None
        except OSError as exc:
            raise Fail(f"{exc.filename or ''}: {exc.strerror or exc}") from None
    try:
        yield bundle
    finally:
        bundle.close()


def expiry(value: str | None, today: date) -> date | None:
    """`--expires 2027-06-30` or `--expires 90d` (days from today)."""
    if not value:
        return None
    if m := re.fullmatch(r"(\d{1,5})d", value.strip()):
        return today + timedelta(days=int(m.group(1)))
    try:
        when = date.fromisoformat(value.strip())
    except ValueError:
        raise Fail(f"--expires {value!r}: give a date (YYYY-MM-DD) or a number of days (90d)") from None
    if when < today:
        raise Fail(f"--expires {value}: that day has passed; an expired entry suppresses nothing")
    return when


def entries(report: Any, *, reason: str | None, expires: date | None, today: date) -> list[dict[str, Any]]:
    """An entry per finding and node it names (none: every node), worst first, without repeats."""
    out: list[dict[str, Any]] = []
    seen: set[tuple[str, str | None]] = set()
    for f in report.failed(include_suppressed=True):
        for node in f.nodes or (None,):
            if (f.code, node) in seen:
                continue
            seen.add((f.code, node))
            entry: dict[str, Any] = {"code": f.code}
            if node is not None:
                entry["node"] = node
            entry["reason"] = reason or f"baseline {today}: {f.severity.label} {f.title}"
            if expires:
                entry["expires"] = expires
            out.append(entry)
    return out


def render(items: list[dict[str, Any]], *, source: str, today: date, findings: int) -> str:
    head = (f"# forewarn baseline of {source}, {today}: {findings} finding(s) accepted as they are today.\n"
            "# With `--suppress THIS_FILE`, scan exits 0 until something new appears; give each entry a\n"
            "# real reason and an expiry date (docs/suppress.md).\n")
    import yaml  # here: `forewarn why` and every other command start without it

    class Plain(yaml.SafeDumper):
        """No `&id001` anchors for the one expiry date every entry shares: a person edits this file."""

        def ignore_aliases(self, data: Any) -> bool:
            return True

    return head + yaml.dump({"suppress": items}, Dumper=Plain, sort_keys=False, allow_unicode=True, width=100)


@click.command()
@click.argument("targets", nargs=-1)
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False),
              help="Suppression file to write (default: standard output).")
@click.option("--reason", help="The reason written on every entry (default: 'baseline DATE: SEVERITY TITLE').")
@click.option("--expires", metavar="DATE|DAYSd",
              help="When the entries stop suppressing: a date (2027-06-30) or days from today (90d).")
@click.option("--only", "only", multiple=True, help="Run only these rule codes (repeatable).")
@click.option("--now", "now", help="Treat this as the current time (ISO); default: the evidence's own time.")
@ssh_options
@live_options
@click.option("-q", "--quiet", is_flag=True, help="Say nothing on stderr but errors.")
def baseline(targets: tuple[str, ...], out: str | None, reason: str | None, expires: str | None,
             only: tuple[str, ...], now: str | None, **kw: Any) -> None:
    """Accept today's findings of TARGET (as `scan` takes it: this host, [USER@]HOST ..., a bundle,
    or files): write them as a suppression file for `scan --suppress` (docs/suppress.md)."""
    from forewarn.pipeline import InputError, diagnose

    quiet = kw.get("quiet")
    ssh, live = pop_ssh(kw), pop_live(kw)
    today = date.today()
    until = expiry(expires, today)
    with _bundle(targets, ssh, live) as bundle:
        try:
            report = diagnose(bundle, now=parse_now(now), only=only, command="baseline").report
        except InputError as exc:
            raise Fail(str(exc)) from None
    items = entries(report, reason=reason, expires=until, today=today)
    text = render(items, source=report.source, today=today, findings=len(report.failed()))
    if not out:
        click.echo(text, nl=False)
    else:
        try:
            Path(out).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise Fail(f"-o {out}: cannot write: {exc.strerror or exc}") from None
    if not quiet:
        click.echo(f"forewarn: {'wrote ' + out if out else 'baseline'}: {len(items)} entr"
                   f"{'y' if len(items) == 1 else 'ies'} for {len(report.failed())} finding(s)"
                   + (f", until {until}" if until else ", no expiry (consider --expires)"), err=True)
    sys.exit(0)
