"""The `forewarn` command: a thin layer that parses arguments and calls the layers below.

Exit codes, like a linter: 0 nothing at or above --fail-on, 1 findings, 2 usage or input error.
No traceback reaches the user: input problems are one-line messages.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from forewarn import __version__
from forewarn.model.findings import Severity

FORMATS = ("text", "json", "markdown")


class Output:
    """Where a report goes: the terminal (coloured) or a file given with -o."""

    def __init__(self, fmt: str, out: str | None, color: bool | None) -> None:
        self.fmt, self.out = fmt, out
        self.color = color

    def console(self) -> Console:
        if self.out:
            return Console(file=open(self.out, "w", encoding="utf-8"), force_terminal=False,
                           no_color=True, width=120)
        return Console(no_color=self.color is False, highlight=False, soft_wrap=False)

    def write(self, text: str) -> None:
        if self.out:
            Path(self.out).write_text(text, encoding="utf-8")
        else:
            click.echo(text)


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


def common(func: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="forewarn")
def cli() -> None:
    """forewarn: says what is wrong with a Proxmox VE cluster, why, how bad, and what to type.

    \b
    forewarn scan BUNDLE|DIR        diagnose a bundle (directory or .tar.gz)
    forewarn explain FILE...        diagnose loose files (syslog, pvecm status, storage.cfg ...)
    forewarn why "ERROR TEXT"       find the pitfall behind an error message
    forewarn rules [CODE]           list the rules, or document one
    """


def _run_report(command: str, bundle: Any, *, fmt: str, out: str | None, color: bool | None,
                fail_on: str, suppress_file: str | None, now: str | None, only: tuple[str, ...],
                verbose: bool, show_passed: bool) -> None:
    from forewarn.facts.context import Context
    from forewarn.report.model import Report, SuppressionError, exit_code, load_suppressions
    from forewarn.rules._engine import RULES, run_all

    unknown = [c for c in only if c.upper() not in RULES]
    if unknown:
        _fail(f"--only: unknown rule code(s): {', '.join(unknown)}")
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
    _emit(report, Output(fmt, out, color), verbose=verbose, show_passed=show_passed)
    bundle.close()
    sys.exit(exit_code(report, Severity.parse(fail_on)))


def _emit(report: Any, output: Output, *, verbose: bool, show_passed: bool) -> None:
    if output.fmt == "json":
        output.write(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
    elif output.fmt == "markdown":
        from forewarn.report.markdown import render_markdown

        output.write(render_markdown(report))
    else:
        from forewarn.report.text import render_text

        render_text(report, output.console(), verbose=verbose, show_passed=show_passed)


@cli.command()
@click.argument("targets", nargs=-1)
@common
@report_options
def scan(targets: tuple[str, ...], **kw: Any) -> None:
    """Diagnose a bundle: a directory or .tar.gz with manifest.json, or a folder of node folders.

    Plain files are read as with `forewarn explain`.
    """
    from forewarn.collect.bundle import BundleError, load_bundle
    from forewarn.collect.loose import load_files

    if not targets:
        _fail("live collection is not available in this version: give a bundle, e.g. "
              "`forewarn scan examples/seed001-quorum-flap` (or files: `forewarn explain FILE...`)")
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
@common
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


def main() -> None:
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
        click.echo(f"forewarn: internal error: {exc!r} (this is a bug; please report it)", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
