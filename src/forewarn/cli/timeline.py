"""`forewarn timeline`: every node's cluster events on one time axis, episode by episode.

Inputs as for `scan` (a bundle) and `explain` (loose files, `--node NODE=FILE`). A loose log
whose node nobody named is put on the lane of the host name its lines carry.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from forewarn.cli.output import Fail, Output, check_html, common, pairs, parse_now


def _load(targets: tuple[str, ...], nodes: dict[str, str]) -> Any:
    from forewarn.pipeline import InputError, is_bundle_path, load

    try:
        if len(targets) == 1 and not nodes and is_bundle_path(targets[0]):
            return load(targets)
        # a file nobody named: its node is the host its lines carry (collect/loose.py), not the
        # first folder of its path
        unnamed = {t: "unknown" for t in targets if t not in nodes and Path(t).name not in nodes}
        return load(targets, nodes={**nodes, **unnamed})
    except InputError as exc:
        raise Fail(str(exc)) from None
    except OSError as exc:
        raise Fail(f"{exc.filename or ''}: {exc.strerror or exc}") from None


def _render(run: Any, source: str, fmt: str, output: Output, verbose: bool) -> None:
    if fmt == "json":
        from forewarn.report.timeline_json import timeline_to_json

        output.write(json.dumps(timeline_to_json(run.timeline, source=source), indent=2, ensure_ascii=False))
    elif fmt == "markdown":
        from forewarn.report.timeline_text import render_timeline_markdown

        output.write(render_timeline_markdown(run.timeline, source=source, verbose=verbose))
    else:
        from forewarn.report.timeline_text import render_timeline_text

        render_timeline_text(run.timeline, output.console(), source=source, verbose=verbose)


def _write_page(path: str, bundle: Any, run: Any) -> None:
    """The HTML page of the timeline, with the findings of the same evidence (every rule is run
    on it, as `scan` would)."""
    from forewarn.pipeline import diagnose
    from forewarn.report.html import page_for

    diagnosis = diagnose(bundle, command="timeline", ctx=(run.context, run.now))
    try:
        Path(path).write_text(page_for(diagnosis.report, run.context, timeline=run.timeline), encoding="utf-8")
    except OSError as exc:
        raise Fail(f"--html {path}: {exc.strerror or exc}") from None
    click.echo(f"forewarn: wrote {path} (HTML report: timeline chart and findings)", err=True)


@click.command()
@click.argument("targets", nargs=-1, required=True)
@click.option("--node", "node_pairs", multiple=True, metavar="NODE=FILE",
              help="Say which node a log comes from (repeatable); default: the host name in its lines.")
@click.option("--tz", "tz", multiple=True, metavar="ZONE|NODE=ZONE",
              help="Time zone of logs whose times carry none (Europe/Berlin, +02:00); NODE=ZONE for one node.")
@click.option("--now", "now", help="Treat this as the current time (ISO): the year of syslog lines without one.")
@click.option("-v", "--verbose", is_flag=True, help="Show every event of every episode.")
@click.option("--html", "html_out", type=click.Path(dir_okay=False), metavar="FILE",
              help="Also write the HTML report (chart of the nodes' states and events, findings) to FILE.")
@common
def timeline(targets: tuple[str, ...], node_pairs: tuple[str, ...], tz: tuple[str, ...], now: str | None,
             verbose: bool, fmt: str, out: str | None, color: bool | None, html_out: str | None = None) -> None:
    """Line up every node's corosync, pmxcfs, HA, watchdog and boot events on one time axis and tell
    the incident episode by episode (a bundle, or loose logs)."""
    from forewarn import pipeline

    if html_out:
        check_html(html_out)
    bundle = _load(targets, pairs(node_pairs, "--node"))
    try:
        zone, node_tz = pipeline.parse_zones(tz)
        run = pipeline.timeline(bundle, now=parse_now(now), tz=zone, node_tz=node_tz)
    except pipeline.InputError as exc:
        raise Fail(str(exc)) from None
    _render(run, bundle.source, fmt, Output(fmt, out, color), verbose)
    if html_out:
        _write_page(html_out, bundle, run)
    for message in pipeline.internal_messages(run.context):
        click.echo(f"forewarn: {message}", err=True)
    bundle.close()
    sys.exit(0)
