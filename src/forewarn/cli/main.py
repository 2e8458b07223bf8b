"""The `forewarn` command: arguments → pipeline (forewarn/pipeline.py) → renderer → exit code.

Exit codes, like a linter: 0 nothing at or above --fail-on, 1 findings, 2 usage or input error.
No traceback reaches the user: input problems are one-line messages (`Fail`, cli/output.py).
"""

from __future__ import annotations

import json
import os
import sys
import warnings
from pathlib import Path
from typing import Any

import click

from forewarn import __version__
from forewarn.cli.baseline import baseline
from forewarn.cli.completion import completion
from forewarn.cli.config import show_config
from forewarn.cli.live import (
    collect,
    collect_here,
    collect_remote,
    live_options,
    pop_live,
)
from forewarn.cli.output import (
    MACHINE_FORMATS,
    REPORT_FORMATS,
    Fail,
    Output,
    check_html,
    common,
    load_or_fail,
    pairs,
    parse_now,
    render_machine,
    report_options,
)
from forewarn.cli.api import api_options, collect_via_api, pop_api, wants_api
from forewarn.cli.ssh import pop_ssh, ssh_options, wants_ssh
from forewarn.cli.timeline import timeline


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="forewarn")
@click.option("--debug", is_flag=True, help="Show library warnings, and the traceback of an internal error.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """forewarn: says what is wrong with a Proxmox VE cluster, why, how bad, and what to type.

    \b
    forewarn scan                   collect this host live and diagnose it
    forewarn scan BUNDLE|DIR        diagnose a bundle (directory or .tar.gz)
    forewarn collect [-o FILE]      collect this host into a bundle (secrets redacted)
    forewarn explain FILE...        diagnose loose files (syslog, pvecm status, storage.cfg ...)
    forewarn why "ERROR TEXT"       find the pitfall behind an error message
    forewarn timeline BUNDLE|LOG... every node's cluster events on one time axis (post-mortem)
    forewarn rules [CODE]           list the rules, or document one
    forewarn baseline TARGET -o F   accept today's findings: a --suppress file
    forewarn completion SHELL       the shell completion script (bash, zsh, fish)

    Defaults for every option: forewarn.toml (docs/config.md; `forewarn config` shows them).
    """
    from forewarn.cli.config import apply

    apply(ctx)


cli.add_command(collect)
cli.add_command(timeline)
cli.add_command(baseline)
cli.add_command(show_config)
cli.add_command(completion)


def _known_codes() -> list[str]:
    from forewarn.pipeline import known_codes

    return sorted(known_codes())


def _report(command: str, bundle: Any, *, fmt: str, out: str | None, color: bool | None, fail_on: str,
            suppress_file: str | None, now: str | None, only: tuple[str, ...], verbose: bool,
            show_passed: bool) -> int:
    """Diagnose, render, and the exit code the findings call for."""
    from forewarn.model.findings import Severity
    from forewarn.pipeline import InputError, diagnose
    from forewarn.report.model import SuppressionError, exit_code, load_suppressions

    if fmt == "html":
        check_html(out)
    try:
        sups = load_suppressions(suppress_file, known_codes=_known_codes()) if suppress_file else []
        result = diagnose(bundle, now=parse_now(now), only=only, suppress=sups, command=command)
    except (InputError, SuppressionError) as exc:
        raise Fail(str(exc)) from None
    try:
        _emit(result.report, Output(fmt, out, color), verbose=verbose, show_passed=show_passed,
              ctx=result.context)
    finally:
        bundle.close()
    return exit_code(result.report, Severity.parse(fail_on))


def _emit(report: Any, output: Output, *, verbose: bool, show_passed: bool, ctx: Any = None) -> None:
    if output.fmt == "html":
        from forewarn.report.html import page_for

        output.write(page_for(report, ctx))
    elif output.fmt == "json":
        output.write(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
    elif output.fmt == "markdown":
        from forewarn.report.markdown import render_markdown

        output.write(render_markdown(report))
    elif output.fmt in MACHINE_FORMATS:
        output.write(render_machine(output.fmt, report))
    else:
        from forewarn.report.text import render_text

        render_text(report, output.console(), verbose=verbose, show_passed=show_passed)


@cli.command()
@click.argument("targets", nargs=-1)
@ssh_options
@api_options
@live_options
@common(formats=REPORT_FORMATS)
@report_options
def scan(targets: tuple[str, ...], **kw: Any) -> None:
    """Diagnose this host (no argument), nodes over SSH ([USER@]HOST ... or --cluster), a cluster
    through its API (--api https://HOST:8006, no root login), or a bundle (a directory or .tar.gz
    with manifest.json, or a folder of node folders).

    Plain files are read as with `forewarn explain`. See docs/collection.md for live collection.
    """
    import tempfile

    ssh = pop_ssh(kw)
    live = pop_live(kw)
    api = pop_api(kw)
    if wants_api(api, targets, ssh):
        sys.exit(_report("scan", collect_via_api(api, live, echo=lambda m: click.echo(m, err=True)
                                                 if not live.get("quiet") and kw["fmt"] == "text" else None), **kw))
    if wants_ssh(targets, ssh):
        sys.exit(_report("scan", collect_remote(targets, ssh, live, kw["fmt"]), **kw))
    if not targets:
        # this host, live: collected (redacted) into a private temporary bundle, then read back
        # exactly as `forewarn scan BUNDLE` reads one, so both give the same findings
        with tempfile.TemporaryDirectory(prefix="forewarn-scan-") as tmp:
            collected = collect_here(live, kw["fmt"], Path(tmp) / "bundle")
            bundle = load_or_fail([str(Path(tmp) / "bundle")])
            bundle.source = collected.source
            rc = _report("scan", bundle, **kw)
        sys.exit(rc)
    sys.exit(_report("scan", load_or_fail(targets), **kw))


@cli.command()
@click.argument("files", nargs=-1, required=True)
@click.option("--node", "node_pairs", multiple=True, metavar="NODE=FILE",
              help="Say which node a file comes from (repeatable).")
@click.option("--as", "as_pairs", multiple=True, metavar="SPEC=FILE",
              help="Say what a file is when it is not recognised (see `forewarn specs`).")
@common(formats=REPORT_FORMATS)
@report_options
def explain(files: tuple[str, ...], node_pairs: tuple[str, ...], as_pairs: tuple[str, ...], quiet: bool,
            **kw: Any) -> None:
    """Work out what each FILE is (or - for standard input) and run every rule they allow."""
    bundle = load_or_fail(list(files), nodes=pairs(node_pairs, "--node"), forced=pairs(as_pairs, "--as"))
    sys.exit(_report("explain", bundle, **kw))


@cli.command()
@click.argument("text", nargs=-1, required=True)
@click.option("-n", "--limit", default=5, show_default=True, help="How many hits to show.")
@common
def why(text: tuple[str, ...], limit: int, fmt: str, out: str | None, color: bool | None, quiet: bool) -> None:
    """Find the pitfall behind an error message or symptom (any language the seeds use)."""
    from forewarn.why import render_hits, search

    query = " ".join(text)
    if query.strip() == "-":
        query = sys.stdin.read(1 << 20)
    if not query.strip():
        raise Fail("why: give the error text or symptom to look up")
    hits = search(query, limit=limit)
    output = Output(fmt, out, color)
    if fmt == "json":
        output.write(json.dumps({"schema": "forewarn.why", "schema_version": 1, "query": query,
                                 "known": any(h.confident for h in hits),
                                 "hits": [h.to_json() for h in hits]}, indent=2, ensure_ascii=False))
    else:
        output.write(render_hits(query, hits, markdown=(fmt == "markdown")))
    # like grep: 0 when a known pitfall matched, 1 when none did (weak candidates are no answer)
    sys.exit(0 if any(h.confident for h in hits) else 1)


@cli.command()
@click.argument("code", required=False)
@common
def rules(code: str | None, fmt: str, out: str | None, color: bool | None, quiet: bool) -> None:
    """List every rule, or document one (What it does / Why it matters / Example / Fix)."""
    from forewarn.catalogue.docs import (
        rule_doc_json,
        rule_doc_markdown,
        rules_table,
        rules_table_text,
    )

    output = Output(fmt, out, color)
    if code is None:
        rows = rules_table()
        if fmt == "json":
            output.write(json.dumps(rows, indent=2, ensure_ascii=False))
        else:
            output.write(rules_table_text(rows, markdown=fmt == "markdown"))
        return
    try:
        doc = rule_doc_json(code.upper())
    except KeyError:
        raise Fail(f"rules: no rule {code!r} (run `forewarn rules` for the list)") from None
    if fmt == "json":
        output.write(json.dumps(doc, indent=2, ensure_ascii=False))
    elif fmt == "text" and not out:
        from rich.markdown import Markdown

        # in a terminal: headings, wrapping and code blocks; in a pipe, rich writes plain text
        output.console().print(Markdown(rule_doc_markdown(code.upper()), code_theme="ansi_dark"))
    else:
        output.write(rule_doc_markdown(code.upper()))


@cli.command()
@common
def specs(fmt: str, out: str | None, color: bool | None, quiet: bool) -> None:
    """List the evidence forewarn understands (the names --as accepts)."""
    from forewarn.specs import all_specs

    rows = [{"name": s.name, "kind": s.kind, "description": s.description, "source": s.source}
            for s in all_specs()]
    output = Output(fmt, out, color)
    if fmt == "json":
        output.write(json.dumps(rows, indent=2, ensure_ascii=False))
    elif fmt == "markdown":
        output.write("\n".join(["| spec | kind | what | read from |", "|---|---|---|---|"]
                               + [f"| `{r['name']}` | {r['kind']} | {r['description']} | `{r['source']}` |"
                                  for r in rows]))
    else:
        output.write("\n".join(f"{r['name']:28} {r['kind']:8} {r['description']}   [{r['source']}]" for r in rows))


@cli.command("bundle")
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False),
              help="The bundle to write (.tar.gz is added when missing); default: DIRECTORY.tar.gz beside it.")
@click.option("--created", help="Time of collection to record (ISO); default now.")
@click.option("--format", "fmt", type=click.Choice(("text", "json")), default="text", show_default=True,
              help="How to report what was written.")
@click.option("-q", "--quiet", is_flag=True, help="Say nothing when all went well.")
def bundle_cmd(directory: str, out: str | None, created: str | None, fmt: str, quiet: bool) -> None:
    """Pack a folder of node folders (pve1/etc/pve/storage.cfg, pve1/cmd/pvecm_status.txt …) as a
    bundle with its manifest. The folder itself is not changed."""
    from forewarn.collect.bundle import build_manifest, pack

    root = Path(directory)
    if not root.is_dir():
        raise Fail(f"{directory}: no such directory")
    dest = Path(out) if out else root.resolve().with_name(root.resolve().name + ".tar.gz")
    if not dest.name.endswith((".tar.gz", ".tgz")):
        dest = dest.with_name(dest.name + ".tar.gz")
    if dest.resolve().is_relative_to(root.resolve()):
        raise Fail(f"bundle: {dest} is inside {directory}: write the bundle elsewhere")
    manifest = build_manifest(root, created=parse_now(created))
    try:
        pack(root, dest, manifest=manifest)
    except OSError as exc:
        raise Fail(f"bundle: cannot write {dest}: {exc.strerror or exc}") from None
    unknown = [a["path"] for a in manifest["artifacts"] if not a["spec"]]
    if fmt == "json":
        click.echo(json.dumps({"written": str(dest), "artifacts": len(manifest["artifacts"]),
                               "nodes": manifest["nodes"], "not_recognised": unknown}, indent=2))
    elif not quiet or unknown:
        click.echo(f"wrote {dest} (tar.gz): {len(manifest['artifacts'])} artifacts, "
                   f"nodes {', '.join(manifest['nodes']) or 'none'}")
        for u in unknown:
            click.echo(f"  not recognised (kept, unused): {u}")


def _debugging(argv: list[str]) -> bool:
    """`forewarn --debug ...` or FOREWARN_DEBUG=1: read before click parses, because library
    warnings fire while modules are imported."""
    return bool(os.environ.get("FOREWARN_DEBUG")) or "--debug" in argv[: argv.index("--")
                                                                       if "--" in argv else None]


def main() -> None:
    debug = _debugging(sys.argv[1:])
    for stream in (sys.stdout, sys.stderr):  # a non-UTF-8 file name is shown, never a crash
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    if not debug:
        # a library's deprecation notice (asyncssh on a newer cryptography, say) is for its
        # developers, not for an operator reading forewarn's output
        warnings.simplefilter("ignore")
    try:
        # the completion variable named outright: `python -m forewarn.cli.main` completes too
        rc = cli.main(standalone_mode=False, complete_var="_FOREWARN_COMPLETE")
        sys.exit(rc if isinstance(rc, int) else 0)
    except click.ClickException as exc:  # Fail and click's usage errors: one line, exit 2
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
        if isinstance(exc, OSError) and exc.filename is not None:  # a path the system refuses: input
            click.echo(f"forewarn: {str(exc.filename)[:200]}: {exc.strerror or exc}", err=True)
        else:
            click.echo(f"forewarn: internal error: {repr(exc)[:300]} (this is a bug; please report it)", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
