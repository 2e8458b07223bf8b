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

from forewarn.cli.bounds import max_size_option
from forewarn.cli.output import (
    MACHINE_FORMATS,
    REPORT_FORMATS,
    SEVERITIES,
    Fail,
    Output,
    check_html,
    common,
    load_or_fail,
    pairs,
    parse_now,
    render_machine,
)


def _load(targets: tuple[str, ...], nodes: dict[str, str]) -> Any:
    from forewarn.pipeline import is_bundle_path

    if len(targets) == 1 and not nodes and is_bundle_path(targets[0]):
        return load_or_fail(targets)
    # a file nobody named: its node is the host its lines carry (collect/loose.py), not the first
    # folder of its path
    unnamed = {t: "unknown" for t in targets if t not in nodes and Path(t).name not in nodes}
    return load_or_fail(targets, nodes={**nodes, **unnamed})


def _findings_text(report: Any) -> list[str]:
    """One line per finding, worst first: the same findings the HTML page shows in full."""
    failed = report.failed()
    s = report.summary()
    out = [f"Findings of the same evidence ({len(failed)}; `forewarn scan`/`explain` shows them in full):"]
    out += [f"  {f.severity.label.upper():8} {f.code} {f.title}" + (f"  [{', '.join(f.nodes)}]" if f.nodes else "")
            for f in failed]
    if not failed:
        out.append("  none at any severity")
    out.append(f"{s['rules']} rules: {s['failed']} failed, {s['passed']} passed, {s['not_applicable']} not "
               f"applicable, {s['could_not_check']} could not check")
    return out


def _render(run: Any, report: Any, source: str, fmt: str, output: Output, verbose: bool) -> None:
    if fmt == "json":
        from forewarn.report.timeline_json import timeline_to_json

        doc = timeline_to_json(run.timeline, source=source)
        doc["findings"] = [f.to_json() for f in report.failed()]
        output.write(json.dumps(doc, indent=2, ensure_ascii=False))
    elif fmt == "markdown":
        from forewarn.report.timeline_text import render_timeline_markdown

        lines = _findings_text(report)
        output.write(render_timeline_markdown(run.timeline, source=source, verbose=verbose)
                     + "\n\n## " + lines[0].rstrip(":") + "\n\n" + "\n".join(lines[1:]) + "\n")
    elif fmt == "html":
        output.write(_page(report, run))
    elif fmt in MACHINE_FORMATS:  # the findings of the same evidence, for the program that reads them
        output.write(render_machine(fmt, report))
    else:
        from rich.text import Text

        from forewarn.report.timeline_text import render_timeline_text

        console = output.console()
        render_timeline_text(run.timeline, console, source=source, verbose=verbose)
        console.print()
        for i, line in enumerate(_findings_text(report)):
            console.print(Text(line, style="bold" if i == 0 else ""), overflow="ignore", crop=False, no_wrap=True)


def _page(report: Any, run: Any) -> str:
    from forewarn.report.html import page_for

    return page_for(report, run.context, timeline=run.timeline)


def _write_page(path: str, report: Any, run: Any) -> None:
    try:
        Path(path).write_text(_page(report, run), encoding="utf-8")
    except OSError as exc:
        raise Fail(f"--html {path}: {exc.strerror or exc}") from None


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
@click.option("--fail-on", type=click.Choice(SEVERITIES), default="high", show_default=True,
              help="Exit 1 when a finding of the same evidence is at or above this severity.")
@max_size_option
@common(formats=REPORT_FORMATS)
def timeline(targets: tuple[str, ...], node_pairs: tuple[str, ...], tz: tuple[str, ...], now: str | None,
             verbose: bool, fmt: str, out: str | None, color: bool | None, quiet: bool, fail_on: str,
             html_out: str | None = None) -> None:
    """Line up every node's corosync, pmxcfs, HA, watchdog and boot events on one time axis and tell
    the incident episode by episode (a bundle, or loose logs); then the findings of the same evidence."""
    from forewarn import pipeline
    from forewarn.model.findings import Severity
    from forewarn.report.model import exit_code

    if fmt == "html":
        check_html(out)
    if html_out:
        check_html(html_out)
    bundle = _load(targets, pairs(node_pairs, "--node"))
    try:
        zone, node_tz = pipeline.parse_zones(tz)
        run = pipeline.timeline(bundle, now=parse_now(now), tz=zone, node_tz=node_tz)
    except pipeline.InputError as exc:
        raise Fail(str(exc)) from None
    report = pipeline.diagnose(bundle, command="timeline", ctx=(run.context, run.now)).report
    _render(run, report, bundle.source, fmt, Output(fmt, out, color), verbose)
    if html_out:
        _write_page(html_out, report, run)
        if not quiet:
            click.echo(f"forewarn: wrote {html_out} (HTML report: timeline chart and findings)", err=True)
    if not quiet:
        for message in pipeline.internal_messages(run.context):
            click.echo(f"forewarn: {message}", err=True)
    bundle.close()
    sys.exit(exit_code(report, Severity.parse(fail_on)))
