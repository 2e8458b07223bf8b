"""Live collection at the command line: `forewarn collect`, and `scan` of this host or over SSH.

The collector (collect/run.py, plan.py, sources/) is imported only when a command really collects:
`--help`, `why`, `rules` and offline scans never load it (tests/test_imports.py).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import click

from forewarn.cli.api import api_options, collect_via_api, pop_api, wants_api
from forewarn.cli.output import Fail
from forewarn.cli.ssh import collect_ssh, pop_ssh, ssh_options, wants_ssh
from forewarn.collect.defaults import DEFAULT_BUDGET, DEFAULT_JOBS

LIVE_KEYS = ("budget", "command_timeout", "jobs", "quiet")


def live_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Options of a live collection (`scan` without a bundle, `collect`)."""
    options = [
        click.option("--budget", type=click.FloatRange(5, 3600), default=DEFAULT_BUDGET, show_default=True,
                     help="Seconds one node may take in all; what has not started by then is not run."),
        click.option("--command-timeout", "command_timeout", type=click.FloatRange(1, 600),
                     help="Cap every command's own timeout (seconds); default: each spec's own."),
        click.option("--jobs", type=click.IntRange(1, 32), default=DEFAULT_JOBS, show_default=True,
                     help="Commands run at the same time on one node."),
    ]
    for opt in reversed(options):
        func = opt(func)
    return func


def pop_live(kw: dict[str, Any]) -> dict[str, Any]:
    return {k: kw.pop(k) for k in LIVE_KEYS if k in kw}


def _plan_and_runner(live: dict[str, Any], fmt: str) -> tuple[dict[str, Any], Any, bool]:
    """(runner keywords, plan, show progress) of the live options."""
    from forewarn.collect.plan import build_plan

    plan = build_plan(max_timeout=live.get("command_timeout"))
    show = not live.get("quiet") and fmt != "json"
    return {"budget": live.get("budget"), "jobs": live.get("jobs")}, plan, show


def _with_progress(show: bool, run: Callable[[Any], Any]) -> Any:
    if not show:
        return run(None)
    from forewarn.cli.progress import TerminalProgress

    with TerminalProgress() as progress:
        return run(progress)


def _echo_err(message: str) -> None:
    click.echo(message, err=True)


def collect_remote(targets: tuple[str, ...], ssh: dict[str, Any], live: dict[str, Any], fmt: str,
                   out_dir: Path | None = None) -> Any:
    """Collect SSH targets (or `--cluster`) into a Bundle."""
    run_kw, plan, show = _plan_and_runner(live, fmt)
    try:
        return _with_progress(show, lambda progress: collect_ssh(
            targets, ssh, out_dir=out_dir, echo=_echo_err, progress=progress, plan=plan, **run_kw))
    except click.ClickException as exc:
        raise Fail(exc.message) from None


def collect_here(live: dict[str, Any], fmt: str, out_dir: Path) -> Any:
    """Collect this host into `out_dir`; returns the Bundle."""
    from forewarn.collect.run import collect_nodes
    from forewarn.collect.sources.local import LocalSource

    run_kw, plan, show = _plan_and_runner(live, fmt)
    return _with_progress(show, lambda progress: collect_nodes(
        [LocalSource()], plan, out_dir=out_dir, progress=progress, **run_kw))


def _plan_text(plan: Any) -> str:
    from forewarn.collect.plan import PRELUDE, Expansion

    out = [f"# every script starts with: {PRELUDE.strip()}", ""]
    for item in plan.items:
        kind = "list, then read each" if isinstance(item, Expansion) else item.kind
        cap = "" if isinstance(item, Expansion) else f", keeps at most {item.max_bytes // 1024} KiB"
        out.append(f"## {item.spec} ({kind}; timeout {item.timeout:g} s{cap})")
        out.append(item.script[len(PRELUDE):].rstrip())
        out.append("")
    for title, items in (("not collected live", plan.not_live), ("refused (not read-only)", plan.refused),
                         ("never collected (secret)", plan.never)):
        for x in items:
            out.append(f"# {title}: {x['spec']}{' ' + x['path'] if x.get('path') else ''}: {x['reason']}")
    return "\n".join(out)


def _destination(out: str | None, remote: bool) -> tuple[Path, bool]:
    """Where `collect` writes, and whether it is a tarball."""
    from forewarn.collect.run import safe_node_name
    from forewarn.collect.sources.local import local_node_name

    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    name = "cluster" if remote else safe_node_name(local_node_name())
    dest = Path(out or f"forewarn-{name}-{stamp}.tar.gz")
    as_tar = dest.name.endswith((".tar.gz", ".tgz"))
    if as_tar:
        if dest.is_dir():
            raise Fail(f"collect: {dest} is a directory; give a FILE.tar.gz or a directory without .tar.gz")
        if not dest.parent.is_dir():
            raise Fail(f"collect: {dest.parent}: no such directory")
    elif dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise Fail(f"collect: {dest} exists and is not an empty directory")
    return dest, as_tar


@click.command()
@click.argument("targets", nargs=-1)
@click.option("-o", "--output", "out", type=click.Path(),
              help="Bundle to write: FILE.tar.gz, or a new (or empty) directory. "
                   "Default: ./forewarn-<node>-<time>.tar.gz")
@click.option("--show-plan", is_flag=True,
              help="Print every script collection would run (guards, timeouts, size caps) and exit; runs nothing.")
@ssh_options
@api_options
@live_options
@click.option("-q", "--quiet", is_flag=True, help="No progress display on stderr.")
def collect(targets: tuple[str, ...], out: str | None, show_plan: bool, **kw: Any) -> None:
    """Collect this host (or [USER@]HOST ... / --cluster over SSH, or a cluster through its API with
    --api https://HOST:8006) into a bundle for offline analysis: `forewarn scan BUNDLE` later. Read-only; secrets are redacted before anything is
    written; the manifest records every command's exit code, timing, timeout and truncation.

    Exit code: 0 collected, 1 some nodes could not be collected, 2 nothing could be collected.
    """
    import shutil
    import tempfile

    from forewarn.collect.bundle import pack

    ssh = pop_ssh(kw)
    live = pop_live(kw)
    api = pop_api(kw)
    via_api = wants_api(api, targets, ssh)
    if show_plan:
        click.echo(_plan_text(_plan_and_runner(live, "text")[1]))
        return
    remote = via_api or wants_ssh(targets, ssh)
    if targets and not remote:
        raise Fail("collect: give SSH targets ([USER@]HOST ...) or nothing for this host; "
                   f"{' '.join(targets)} look like files (to diagnose a bundle: `forewarn scan BUNDLE`)")
    dest, as_tar = _destination(out, remote)
    work = Path(tempfile.mkdtemp(prefix=".forewarn-collect-", dir=dest.parent)) if as_tar else dest
    try:
        target_dir = work / "bundle" if as_tar else work
        if via_api:
            bundle = collect_via_api(api, live, out_dir=target_dir,
                                     echo=(lambda m: None) if live.get("quiet") else _echo_err)
        elif remote:
            bundle = collect_remote(targets, ssh, live, "text", out_dir=target_dir)
        else:
            bundle = collect_here(live, "text", target_dir)
        if as_tar:
            tmp_tar = work / dest.name
            pack(target_dir, tmp_tar)
            tmp_tar.chmod(0o600)
            tmp_tar.replace(dest)
    finally:
        if as_tar:
            shutil.rmtree(work, ignore_errors=True)
    sys.exit(_collect_summary(bundle, dest))


def _collect_summary(bundle: Any, dest: Path) -> int:
    coll = (bundle.manifest or {}).get("collection", {}).get("nodes", {})
    failed = [n for n, info in coll.items() if info.get("error")]
    timed = sum(1 for r in bundle.records if r.timed_out)
    redacted = sum(r.redacted or 0 for r in bundle.records)
    click.echo(f"wrote {dest}: {len(bundle.nodes)} node(s), {len(bundle.records)} artifacts"
               + (f", {timed} timed out" if timed else "")
               + (f", {redacted} secret value(s) redacted" if redacted else ""))
    for note in bundle.notes:
        click.echo(f"  {note}")
    for f in bundle.findings:
        if f.code == "FW908":
            click.echo(f"  {f.code}: {f.message}", err=True)
    if failed and len(failed) == len(coll):
        return 2
    return 1 if failed else 0
