"""`forewarn timeline`: the arguments of the command, turned into a timeline and rendered.

Inputs as for `scan` (a bundle) and `explain` (loose files, `--node NODE=FILE`). A loose log
whose node nobody named is put on the lane of the host name its lines carry.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any


def load_inputs(targets: tuple[str, ...], nodes: dict[str, str]) -> Any:
    from forewarn.collect.bundle import load_bundle
    from forewarn.collect.loose import load_files

    if len(targets) == 1 and not nodes and (Path(targets[0]).is_dir() or _is_tar(targets[0])):
        return load_bundle(targets[0])
    # a file nobody named: its node is the host its lines carry (collect/loose.py), not the first
    # folder of its path
    unnamed = {t: "unknown" for t in targets if t not in nodes and Path(t).name not in nodes}
    return load_files(list(targets), nodes={**nodes, **unnamed})


def _is_tar(path: str) -> bool:
    from forewarn.cli.main import _is_tar as is_tar

    return is_tar(path)


def file_time(targets: tuple[str, ...]) -> datetime | None:
    """The newest modification time of loose files given: the year of a syslog without one. A
    bundle has its own time (`created` in its manifest): None."""
    if len(targets) == 1 and (Path(targets[0]).is_dir() or _is_tar(targets[0])):
        return None
    times = []
    for t in targets:
        try:
            times.append(os.stat(t).st_mtime)
        except OSError:
            continue
    return datetime.fromtimestamp(max(times), tz=timezone.utc) if times else None


def run(bundle: Any, *, now: datetime | None, tz: tuple[str, ...], fmt: str, output: Any,
        verbose: bool, html: str | None = None) -> int:
    from forewarn.facts.context import Context
    from forewarn.facts.timeline import build_timeline, parse_zone

    zone: str | None = None
    node_tz: dict[str, str] = {}
    for v in tz:
        node, sep, z = v.rpartition("=")
        try:
            parse_zone(z)
        except ValueError as exc:
            raise UsageError(f"--tz {v!r}: {exc}") from None
        if sep:
            node_tz[node] = z
        elif zone is not None:
            raise UsageError("--tz: give one zone for all nodes, and NODE=ZONE for the others")
        else:
            zone = z
    ctx = Context(bundle.records, now=now or bundle.created)
    tl = build_timeline(ctx, tz=zone, node_tz=node_tz)
    if not any(r.kind == "log" for r in bundle.records):
        raise UsageError("no log among the inputs: the timeline is made from logs (syslog, journal, "
                         "corosync.log, dmesg)")
    source = bundle.source
    if fmt == "json":
        from forewarn.report.timeline_json import timeline_to_json

        output.write(json.dumps(timeline_to_json(tl, source=source), indent=2, ensure_ascii=False))
    elif fmt == "markdown":
        from forewarn.report.timeline_text import render_timeline_markdown

        output.write(render_timeline_markdown(tl, source=source, verbose=verbose))
    else:
        from forewarn.report.timeline_text import render_timeline_text

        render_timeline_text(tl, output.console(), source=source, verbose=verbose)
    if html:
        from forewarn.report.html import write_timeline_page

        write_timeline_page(html, bundle, ctx, tl)
    for f in ctx.internal_findings():
        if f.code in ("FW901", "FW903"):
            import click

            click.echo(f"forewarn: {f.message}", err=True)
    return 0


class UsageError(Exception):
    """A bad argument: one line on stderr, exit code 2."""
