"""The `forewarn` command: a thin layer that parses arguments and calls the layers below.

Exit codes, like a linter: 0 nothing at or above --fail-on, 1 findings, 2 usage or input error.
No traceback reaches the user: input problems are one-line messages.
"""

from __future__ import annotations

import json
import os
import sys
import warnings
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from forewarn import __version__
from forewarn.cli.ssh import collect_ssh, pop_ssh, ssh_options, wants_ssh
from forewarn.model.findings import Severity

FORMATS = ("text", "json", "markdown")
REPORT_FORMATS = (*FORMATS, "html")  # scan and explain


class Output:
    """Where a report goes: the terminal (coloured) or a file given with -o."""

    def __init__(self, fmt: str, out: str | None, color: bool | None) -> None:
        self.fmt, self.out = fmt, out
        self.color = color

    def console(self) -> Console:
        if self.out:
            return Console(file=_open_out(self.out), force_terminal=False,
                           no_color=True, width=120)
        return Console(no_color=self.color is False, highlight=False, soft_wrap=False)

    def write(self, text: str) -> None:
        if self.out:
            with _open_out(self.out) as fh:
                fh.write(text)
        else:
            click.echo(text)


def _open_out(path: str):  # type: ignore[no-untyped-def]
    try:
        return open(path, "w", encoding="utf-8")
    except OSError as exc:
        _fail(f"-o {path}: cannot write: {exc.strerror}")
        raise


def _fail(msg: str) -> None:
    click.echo(f"forewarn: {msg}", err=True)
    sys.exit(2)


def _parse_now(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        _fail(f"--now {value!r}: not an ISO date/time (e.g. 2026-03-21T10:00:00)")
        raise
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def _pairs(values: tuple[str, ...], option: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for v in values:
        if "=" not in v:
            _fail(f"{option} {v!r}: expected NAME=FILE")
        k, _, f = v.partition("=")
        out[f] = k
    return out


def common(func: Callable[..., Any] | None = None, *, formats: tuple[str, ...] = FORMATS) -> Any:
    if func is None:
        return lambda f: common(f, formats=formats)
    options = [
        click.option("--format", "fmt", type=click.Choice(formats), default="text", show_default=True,
                     help="Output format."),
        click.option("-o", "--output", "out", type=click.Path(dir_okay=False), help="Write the report to FILE."),
        click.option("--color/--no-color", default=None, help="Force colour on or off."),
    ]
    for opt in reversed(options):
        func = opt(func)
    return func


def report_options(func: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--fail-on", type=click.Choice([s.label for s in Severity]), default="high",
                     show_default=True, help="Exit 1 when a finding is at or above this severity."),
        click.option("--suppress", "suppress_file", type=click.Path(dir_okay=False),
                     help="YAML file of accepted findings (code, node, reason)."),
        click.option("--now", "now", help="Treat this as the current time (ISO); default: the bundle's time."),
        click.option("--only", "only", multiple=True, help="Run only these rule codes (repeatable)."),
        click.option("-v", "--verbose", is_flag=True, help="Show all evidence lines and inputs."),
        click.option("--show-passed", is_flag=True, help="List the rules that passed too."),
    ]
    for opt in reversed(options):
        func = opt(func)
    return func


def live_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Options of a live collection (`scan` without a bundle, `collect`)."""
    from forewarn.collect.defaults import DEFAULT_BUDGET, DEFAULT_JOBS

    options = [
        click.option("--budget", type=click.FloatRange(5, 3600), default=DEFAULT_BUDGET, show_default=True,
                     help="Seconds one node may take in all; what has not started by then is not run."),
        click.option("--command-timeout", "command_timeout", type=click.FloatRange(1, 600),
                     help="Cap every command's own timeout (seconds); default: each spec's own."),
        click.option("--jobs", type=click.IntRange(1, 32), default=DEFAULT_JOBS, show_default=True,
                     help="Commands run at the same time on one node."),
        click.option("-q", "--quiet", is_flag=True, help="No progress display on stderr."),
    ]
    for opt in reversed(options):
        func = opt(func)
    return func


LIVE_KEYS = ("budget", "command_timeout", "jobs", "quiet")


def _live(kw: dict[str, Any], fmt: str) -> tuple[dict[str, Any], Any, bool]:
    """Pop the live options: (runner keywords, plan, show progress)."""
    from forewarn.collect.plan import build_plan

    live = {k: kw.pop(k) for k in LIVE_KEYS if k in kw}
    plan = build_plan(max_timeout=live.get("command_timeout"))
    show = not live.get("quiet") and fmt != "json"
    return {"budget": live.get("budget"), "jobs": live.get("jobs")}, plan, show


def _collect_here(plan: Any, run_kw: dict[str, Any], out_dir: Path, show: bool) -> Any:
    """Collect this host into `out_dir`; returns the Bundle (records read from the files)."""
    from forewarn.cli.progress import TerminalProgress
    from forewarn.collect.run import collect_nodes
    from forewarn.collect.sources.local import LocalSource

    if show:
        with TerminalProgress() as progress:
            return collect_nodes([LocalSource()], plan, out_dir=out_dir, progress=progress, **run_kw)
    return collect_nodes([LocalSource()], plan, out_dir=out_dir, **run_kw)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="forewarn")
@click.option("--debug", is_flag=True, help="Show library warnings, and the traceback of an internal error.")
def cli(debug: bool) -> None:
    """forewarn: says what is wrong with a Proxmox VE cluster, why, how bad, and what to type.

    \b
    forewarn scan                   collect this host live and diagnose it
    forewarn scan BUNDLE|DIR        diagnose a bundle (directory or .tar.gz)
    forewarn collect [-o FILE]      collect this host into a bundle (secrets redacted)
    forewarn explain FILE...        diagnose loose files (syslog, pvecm status, storage.cfg ...)
    forewarn why "ERROR TEXT"       find the pitfall behind an error message
    forewarn timeline BUNDLE|LOG... every node's cluster events on one time axis (post-mortem)
    forewarn rules [CODE]           list the rules, or document one
    """


def _run_report(command: str, bundle: Any, *, fmt: str, out: str | None, color: bool | None,
                fail_on: str, suppress_file: str | None, now: str | None, only: tuple[str, ...],
                verbose: bool, show_passed: bool) -> None:
    from forewarn.facts.context import Context
    from forewarn.report.model import Report, SuppressionError, exit_code, load_suppressions
    from forewarn.rules._engine import RULES, run_all
    from forewarn.signatures import findings as signature_findings

    known = set(RULES) | {f.code for f in signature_findings().values()}
    unknown = [c for c in only if c.upper() not in known]
    if unknown:
        _fail(f"--only: unknown rule code(s): {', '.join(unknown)}")
    if fmt == "html":
        from forewarn.report.html import html_problem

        if problem := html_problem(out):
            _fail(problem)
    sups = []
    if suppress_file:
        try:
            sups = load_suppressions(suppress_file)
        except SuppressionError as exc:
            _fail(str(exc))
    ctx = Context(bundle.records, now=_parse_now(now) or bundle.created)
    findings = run_all(ctx, [c.upper() for c in only] or None) + bundle.findings
    report = Report(command=command, source=bundle.source, findings=findings, nodes=bundle.nodes,
                    inputs=list(bundle.notes))
    report.apply_suppressions(sups)
    _emit(report, Output(fmt, out, color), verbose=verbose, show_passed=show_passed, ctx=ctx)
    bundle.close()
    sys.exit(exit_code(report, Severity.parse(fail_on)))


def _emit(report: Any, output: Output, *, verbose: bool, show_passed: bool, ctx: Any = None) -> None:
    if output.fmt == "html":
        from forewarn.report.html import page_for

        output.write(page_for(report, ctx))
    elif output.fmt == "json":
        output.write(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
    elif output.fmt == "markdown":
        from forewarn.report.markdown import render_markdown

        output.write(render_markdown(report))
    else:
        from forewarn.report.text import render_text

        render_text(report, output.console(), verbose=verbose, show_passed=show_passed)


@cli.command()
@click.argument("targets", nargs=-1)
@ssh_options
@live_options
@common(formats=REPORT_FORMATS)
@report_options
def scan(targets: tuple[str, ...], **kw: Any) -> None:
    """Diagnose a bundle: a directory or .tar.gz with manifest.json, or a folder of node folders.

    Plain files are read as with `forewarn explain`. `[USER@]HOST ...` or `--cluster
    [USER@]HOST` collect live over SSH (see docs/collection.md).
    """
    from forewarn.collect.bundle import load_bundle
    from forewarn.collect.loose import load_files

    ssh = pop_ssh(kw)
    live_kw = {k: kw.pop(k) for k in LIVE_KEYS if k in kw}
    if wants_ssh(targets, ssh):
        run_kw, plan, show = _live(live_kw, kw["fmt"])
        try:
            bundle = _with_progress(show, lambda progress: collect_ssh(
                targets, ssh, echo=lambda m: click.echo(m, err=True), progress=progress, plan=plan, **run_kw))
        except click.ClickException as exc:
            _fail(exc.message)
        _run_report("scan", bundle, **kw)
    if not targets:
        # this host, live: collected (redacted) into a private temporary bundle, then read back
        # exactly as `forewarn scan BUNDLE` reads one, so both give the same findings
        import tempfile

        run_kw, plan, show = _live(live_kw, kw["fmt"])
        with tempfile.TemporaryDirectory(prefix="forewarn-scan-") as tmp:
            live = _collect_here(plan, run_kw, Path(tmp) / "bundle", show)
            bundle = load_bundle(Path(tmp) / "bundle")
            bundle.source = live.source
            _run_report("scan", bundle, **kw)
    try:
        if len(targets) == 1 and (Path(targets[0]).is_dir() or _is_tar(targets[0])):
            bundle = load_bundle(targets[0])
        else:
            bundle = load_files(list(targets))
    except Exception as exc:  # noqa: BLE001
        _input_error(exc)
    _run_report("scan", bundle, **kw)


def _is_tar(path: str) -> bool:
    import tarfile

    if path.endswith((".tar", ".tar.gz", ".tgz", ".tar.xz", ".tar.bz2")):
        return True  # named like a bundle: a damaged one must say so, not be read as a log
    try:
        return Path(path).is_file() and tarfile.is_tarfile(path)
    except Exception:  # noqa: BLE001 - a damaged compressed file raises EOFError and friends
        return False


def _input_error(exc: Exception) -> None:
    from forewarn.collect.bundle import BundleError

    if isinstance(exc, BundleError):
        _fail(str(exc))
    if isinstance(exc, OSError):
        _fail(f"{exc.filename or ''}: {exc.strerror or exc}")
    raise exc


@cli.command()
@click.argument("files", nargs=-1, required=True)
@click.option("--node", "node_pairs", multiple=True, metavar="NODE=FILE",
              help="Say which node a file comes from (repeatable).")
@click.option("--as", "as_pairs", multiple=True, metavar="SPEC=FILE",
              help="Say what a file is when it is not recognised (see `forewarn specs`).")
@common(formats=REPORT_FORMATS)
@report_options
def explain(files: tuple[str, ...], node_pairs: tuple[str, ...], as_pairs: tuple[str, ...], **kw: Any) -> None:
    """Work out what each FILE is (or - for standard input) and run every rule they allow."""
    from forewarn.collect.loose import load_files

    try:
        bundle = load_files(list(files), nodes=_pairs(node_pairs, "--node"), forced=_pairs(as_pairs, "--as"))
    except Exception as exc:  # noqa: BLE001
        _input_error(exc)
    _run_report("explain", bundle, **kw)


@cli.command()
@click.argument("text", nargs=-1, required=True)
@click.option("-n", "--limit", default=5, show_default=True, help="How many hits to show.")
@common
def why(text: tuple[str, ...], limit: int, fmt: str, out: str | None, color: bool | None) -> None:
    """Find the pitfall behind an error message or symptom (any language the seeds use)."""
    from forewarn.why import render_hits, search

    query = " ".join(text)
    if query.strip() == "-":
        query = sys.stdin.read(1 << 20)
    if not query.strip():
        _fail("why: give the error text or symptom to look up")
    hits = search(query, limit=limit)
    output = Output(fmt, out, color)
    if fmt == "json":
        output.write(json.dumps({"schema": "forewarn.why", "schema_version": 1, "query": query,
                                 "hits": [h.to_json() for h in hits]}, indent=2, ensure_ascii=False))
    else:
        output.write(render_hits(query, hits, markdown=(fmt == "markdown")))
    sys.exit(0 if hits else 1)


@cli.command()
@click.argument("code", required=False)
@common
def rules(code: str | None, fmt: str, out: str | None, color: bool | None) -> None:
    """List every rule, or document one (What it does / Why it matters / Example / Fix)."""
    from forewarn.rules.docs import rule_doc_json, rule_doc_markdown, rules_table

    output = Output(fmt, out, color)
    if code is None:
        if fmt == "json":
            output.write(json.dumps(rules_table(), indent=2, ensure_ascii=False))
        else:
            rows = rules_table()
            output.write("\n".join(f"{r['code']:7} {r['severity']:8} {r['kind']:6} {r['name']:34} {r['title']}"
                                   for r in rows))
        return
    try:
        doc = rule_doc_json(code.upper())
    except KeyError:
        _fail(f"rules: no rule {code!r} (run `forewarn rules` for the list)")
    if fmt == "json":
        output.write(json.dumps(doc, indent=2, ensure_ascii=False))
    else:
        output.write(rule_doc_markdown(code.upper()))


@cli.command()
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
    from forewarn.cli import timeline as tlcmd

    if html_out:
        from forewarn.report.html import html_problem

        if problem := html_problem(html_out):
            _fail(problem)
    try:
        bundle = tlcmd.load_inputs(targets, _pairs(node_pairs, "--node"))
    except Exception as exc:  # noqa: BLE001
        _input_error(exc)
    try:
        rc = tlcmd.run(bundle, now=_parse_now(now) or tlcmd.file_time(targets), tz=tz, fmt=fmt,
                       output=Output(fmt, out, color), verbose=verbose, html=html_out)
    except tlcmd.UsageError as exc:
        _fail(str(exc))
    bundle.close()
    sys.exit(rc)


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


def _with_progress(show: bool, run: Callable[[Any], Any]) -> Any:
    from forewarn.cli.progress import TerminalProgress

    if not show:
        return run(None)
    with TerminalProgress() as progress:
        return run(progress)


@cli.command()
@click.argument("targets", nargs=-1)
@click.option("-o", "--output", "out", type=click.Path(),
              help="Bundle to write: FILE.tar.gz, or a new (or empty) directory. "
                   "Default: ./forewarn-<node>-<time>.tar.gz")
@click.option("--show-plan", is_flag=True,
              help="Print every script collection would run (guards, timeouts, size caps) and exit; runs nothing.")
@ssh_options
@live_options
def collect(targets: tuple[str, ...], out: str | None, show_plan: bool, **kw: Any) -> None:
    """Collect this host (or [USER@]HOST ... / --cluster over SSH) into a bundle for offline
    analysis: `forewarn scan BUNDLE` later. Read-only; secrets are redacted before anything is
    written; the manifest records every command's exit code, timing, timeout and truncation.

    Exit code: 0 collected, 1 some nodes could not be collected, 2 nothing could be collected.
    """
    import shutil
    import tempfile

    from forewarn.collect.bundle import pack
    from forewarn.collect.run import safe_node_name
    from forewarn.collect.sources.local import local_node_name

    ssh = pop_ssh(kw)
    run_kw, plan, show = _live(kw, "text")
    if show_plan:
        click.echo(_plan_text(plan))
        return
    remote = wants_ssh(targets, ssh)
    if targets and not remote:
        _fail("collect: give SSH targets ([USER@]HOST ...) or nothing for this host; "
              f"{' '.join(targets)} look like files (to diagnose a bundle: `forewarn scan BUNDLE`)")
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    name = "cluster" if remote else safe_node_name(local_node_name())
    dest = Path(out or f"forewarn-{name}-{stamp}.tar.gz")
    as_tar = dest.name.endswith((".tar.gz", ".tgz"))
    if as_tar:
        if dest.is_dir():
            _fail(f"collect: {dest} is a directory; give a FILE.tar.gz or a directory without .tar.gz")
        if not dest.parent.is_dir():
            _fail(f"collect: {dest.parent}: no such directory")
    elif dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        _fail(f"collect: {dest} exists and is not an empty directory")
    work = Path(tempfile.mkdtemp(prefix=".forewarn-collect-", dir=dest.parent)) if as_tar else dest
    try:
        target_dir = work / "bundle" if as_tar else work
        if remote:
            try:
                bundle = _with_progress(show, lambda progress: collect_ssh(
                    targets, ssh, out_dir=target_dir, echo=lambda m: click.echo(m, err=True),
                    progress=progress, plan=plan, **run_kw))
            except click.ClickException as exc:
                _fail(exc.message)
        else:
            bundle = _collect_here(plan, run_kw, target_dir, show)
        if as_tar:
            tmp_tar = work / dest.name
            pack(target_dir, tmp_tar)
            tmp_tar.chmod(0o600)
            tmp_tar.replace(dest)
    finally:
        if as_tar:
            shutil.rmtree(work, ignore_errors=True)
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
        sys.exit(2)
    sys.exit(1 if failed else 0)


@cli.command()
def specs() -> None:
    """List the evidence forewarn understands (the names --as accepts)."""
    from forewarn.specs import all_specs

    for s in all_specs():
        click.echo(f"{s.name:28} {s.kind:8} {s.description}   [{s.source}]")


@cli.command("bundle")
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False), help="Also pack it as FILE.tar.gz.")
@click.option("--created", help="Time of collection to record (ISO); default now.")
def bundle_cmd(directory: str, out: str | None, created: str | None) -> None:
    """Turn a folder of node folders (pve1/etc/pve/storage.cfg, pve1/cmd/pvecm_status.txt …) into a bundle."""
    from forewarn.collect.bundle import pack, write_manifest

    root = Path(directory)
    if not root.is_dir():
        _fail(f"{directory}: no such directory")
    manifest = write_manifest(root, created=_parse_now(created))
    unknown = [a["path"] for a in manifest["artifacts"] if not a["spec"]]
    click.echo(f"wrote {root / 'manifest.json'}: {len(manifest['artifacts'])} artifacts, "
               f"nodes {', '.join(manifest['nodes'])}")
    for u in unknown:
        click.echo(f"  not recognised (kept, unused): {u}")
    if out:
        pack(root, Path(out))
        click.echo(f"packed {out}")


def _debugging(argv: list[str]) -> bool:
    """`forewarn --debug ...` or FOREWARN_DEBUG=1: read before click parses, because library
    warnings fire while modules are imported."""
    return bool(os.environ.get("FOREWARN_DEBUG")) or "--debug" in argv[: argv.index("--")
                                                                       if "--" in argv else None]


def main() -> None:
    debug = _debugging(sys.argv[1:])
    if not debug:
        # a library's deprecation notice (asyncssh on a newer cryptography, say) is for its
        # developers, not for an operator reading forewarn's output
        warnings.simplefilter("ignore")
    try:
        rc = cli.main(standalone_mode=False)
        sys.exit(rc if isinstance(rc, int) else 0)
    except click.exceptions.UsageError as exc:
        exc.show()
        sys.exit(2)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2)
    except (KeyboardInterrupt, click.exceptions.Abort):
        click.echo("forewarn: interrupted", err=True)
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
    except SystemExit:
        raise
    except Exception as exc:  # noqa: BLE001 - never a traceback at the user
        if debug:
            import traceback

            traceback.print_exc()
        click.echo(f"forewarn: internal error: {exc!r} (this is a bug; please report it)", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
