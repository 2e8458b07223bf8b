"""What every command runs between its arguments and its renderer: evidence → facts → rules → report.

    bundle = load(["examples/seed001-quorum-flap"])
    diagnosis = diagnose(bundle, only=["PVE101"])
    diagnosis.report.failed()

The CLI parses arguments, calls these, hands the result to a renderer and turns it into an exit
code; tests call them directly. Nothing here prints, exits or reads the wall clock except as the
last resort of `reference_time`, which says so.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from forewarn.collect.bundle import Bundle
    from forewarn.facts.context import Context
    from forewarn.facts.timeline import Timeline
    from forewarn.report.model import Report, Suppression


class InputError(ValueError):
    """A problem with what the user gave (one line, exit code 2 at the CLI)."""


@dataclass(frozen=True, slots=True)
class Now:
    """The time the evidence is read at: it gives syslog lines their year and ages to
    certificates and jobs."""

    when: datetime
    basis: str  # "given" | "logs" | "bundle" | "files" | "clock"

    def note(self) -> str | None:
        """A line for the report's inputs when the time is a guess worth knowing."""
        if self.basis == "clock":
            return (f"time reference: the clock of this machine ({self.when:%Y-%m-%d %H:%M} UTC): "
                    "the evidence has no dated line, bundle time or file time; give --now if the "
                    "logs are from another year")
        if self.basis == "files":
            return f"time reference: the newest file's modification time ({self.when:%Y-%m-%d %H:%M} UTC)"
        return None


@dataclass(slots=True)
class Diagnosis:
    report: "Report"
    context: "Context"
    now: Now


def is_bundle_path(path: str) -> bool:
    """A directory or a tarball (named like one, or holding a tar member: a file that merely
    starts with NUL bytes reads as an empty tar archive and is no bundle)."""
    from forewarn.collect.bundle_tree import looks_like_tarball

    return Path(path).is_dir() or looks_like_tarball(path)


def load(targets: Sequence[str], *, nodes: dict[str, str] | None = None,
         forced: dict[str, str] | None = None) -> "Bundle":
    """One bundle (a directory or tarball), or loose files read as `explain` reads them.

    Raises InputError for a bundle that cannot be read; OSError for a file that cannot be opened.
    """
    from forewarn.collect.bundle import BundleError, load_bundle
    from forewarn.collect.loose import load_files

    try:
        if len(targets) == 1 and not nodes and not forced and is_bundle_path(targets[0]):
            return load_bundle(targets[0])
        return load_files(list(targets), nodes=nodes or {}, forced=forced or {})
    except BundleError as exc:
        raise InputError(str(exc)) from None


def _dated_log_time(ctx: "Context") -> datetime | None:
    """The latest timestamp that carries its own year (ISO/RFC 3339 lines, the journal's JSON)."""
    from forewarn.facts.logs import LOG_SPECS

    latest: datetime | None = None
    for spec in LOG_SPECS:
        for fact in ctx.facts(spec):
            for ev in getattr(fact.value, "events", ()):
                if ev.year_known and ev.ts is not None and (latest is None or ev.ts > latest):
                    latest = ev.ts
    return latest.replace(tzinfo=timezone.utc) if latest is not None else None


def _file_time(bundle: "Bundle") -> datetime | None:
    """The newest modification time of the loose files read (a bundle has its own time)."""
    if bundle.manifest:
        return None
    times = []
    for rec in bundle.records:
        try:
            times.append(os.stat(rec.source).st_mtime)
        except (OSError, ValueError):
            continue
    return datetime.fromtimestamp(max(times), tz=timezone.utc) if times else None


def reference_time(bundle: "Bundle", ctx: "Context", given: datetime | None = None) -> Now:
    """"Now", the same way for every command: what the user gave; else the latest timestamp the
    evidence gives with a year; else the bundle's creation time (live collection records its own);
    else the files' times; the wall clock only when nothing else says."""
    if given is not None:
        return Now(given, "given")
    for when, basis in ((_dated_log_time(ctx), "logs"), (bundle.created, "bundle"), (_file_time(bundle), "files")):
        if when is not None:
            return Now(when if when.tzinfo else when.replace(tzinfo=timezone.utc), basis)
    return Now(datetime.now(timezone.utc), "clock")


def context(bundle: "Bundle", now: datetime | None = None) -> tuple["Context", Now]:
    """The facts of a bundle, with "now" settled before any log year is fixed."""
    from forewarn.collect.outcome import uncollected_nodes
    from forewarn.facts.context import Context

    # a node nothing was collected from is "could not check" in every rule, never health
    ctx = Context(bundle.records, now=now, uncollected=uncollected_nodes(getattr(bundle, "manifest", None)))
    ref = reference_time(bundle, ctx, now)
    ctx.now = ref.when
    return ctx, ref


def known_codes() -> set[str]:
    """Every code a finding can carry: the rules', the signatures' and forewarn's own."""
    from forewarn.catalogue import CATALOGUE
    from forewarn.model.internal import INTERNAL
    from forewarn.rules._engine import RULES
    from forewarn.signatures import findings as signature_findings

    return set(RULES) | set(CATALOGUE) | set(INTERNAL) | {f.code for f in signature_findings().values()}


def check_only(only: Iterable[str]) -> list[str]:
    codes = [c.upper() for c in only]
    unknown = [c for c in codes if c not in known_codes()]
    if unknown:
        raise InputError(f"--only: unknown rule code(s): {', '.join(unknown)}")
    return codes


def diagnose(bundle: "Bundle", *, now: datetime | None = None, only: Iterable[str] = (),
             suppress: Sequence["Suppression"] = (), command: str = "scan",
             ctx: tuple["Context", Now] | None = None) -> Diagnosis:
    """Every rule (or `only` these) over the bundle: the report, with suppressions applied."""
    from forewarn.model.bounded import reading_findings
    from forewarn.report.model import Report
    from forewarn.rules._engine import run_all

    codes = check_only(only)
    with _bulk_gc() as settle:
        context_, ref = ctx or context(bundle, now)
        settle(context_)
        findings = run_all(context_, codes or None) + list(bundle.findings)
        findings += reading_findings(bundle.records)  # after the rules: they read what was capped
        inputs = list(bundle.notes)
        if note := ref.note():
            inputs.append(note)
        report = Report(command=command, source=bundle.source, findings=findings, nodes=list(bundle.nodes),
                        inputs=inputs, platforms=platforms_seen(context_))
        report.apply_suppressions(list(suppress))
        if not codes:  # a run of every rule: what none of them explained
            from forewarn.facts.unexplained import collect, sample_notes

            report.unexplained = collect(context_, report.failed(include_suppressed=True))
            report.notes = sample_notes(context_)
    return Diagnosis(report, context_, ref)


@contextmanager
def _bulk_gc() -> Iterator[Callable[["Context"], None]]:
    """Fewer garbage-collector passes while a run reads its logs and runs its rules: a big log
    leaves a million long-lived objects (its events) and makes many more that die young without
    cycles, so the default thresholds (a pass every 700 allocations, a full one as the heap
    grows) cost a run of a 200 MB log 15 %. `settle(ctx)` reads the logs (the report's platforms
    read them in any run; "now" given by the user left them unread until the first rule) and
    leaves what was made so far out of every later pass (gc.freeze): each full collection of
    the rules and the timeline walked the events again, a fifth of the timeline's time. Both are
    undone when the block ends."""
    from forewarn.facts.logs import LOG_SPECS

    def settle(ctx: "Context") -> None:
        for spec in LOG_SPECS:
            ctx.facts(spec)
        gc.freeze()

    old = gc.get_threshold()
    gc.set_threshold(100_000, 50, 100)
    try:
        yield settle
    finally:
        gc.unfreeze()
        gc.set_threshold(*old)


PLATFORMS = {"pve": "Proxmox VE", "lvm": "LVM", "osk": "OpenStack", "k8s": "Kubernetes"}


def platforms_seen(ctx: "Context") -> list[str]:
    """The platforms the evidence shows (Linux: any evidence at all), by name."""
    seen = [name for key, name in PLATFORMS.items() if ctx.platform_present(key)]
    return seen + (["Linux host"] if ctx.records else [])


@dataclass(slots=True)
class TimelineRun:
    timeline: "Timeline"
    context: "Context"
    now: Now


def timeline(bundle: "Bundle", *, now: datetime | None = None, tz: str | None = None,
             node_tz: dict[str, str] | None = None) -> TimelineRun:
    """Every node's cluster events on one axis. Raises InputError when no log was given."""
    from forewarn.facts.timeline import build_timeline

    if not any(r.kind == "log" for r in bundle.records):
        raise InputError("no log among the inputs: the timeline is made from logs (syslog, journal, "
                         "corosync.log, dmesg)")
    with _bulk_gc() as settle:
        ctx, ref = context(bundle, now)
        settle(ctx)
        return TimelineRun(build_timeline(ctx, tz=tz, node_tz=node_tz or {}), ctx, ref)


def parse_zones(values: Iterable[str]) -> tuple[str | None, dict[str, str]]:
    """`--tz ZONE` and `--tz NODE=ZONE` values: (the zone of every node, per-node zones)."""
    from forewarn.facts.timeline import parse_zone

    zone: str | None = None
    node_tz: dict[str, str] = {}
    for v in values:
        node, sep, z = v.rpartition("=")
        try:
            parse_zone(z)
        except ValueError as exc:
            raise InputError(f"--tz {v!r}: {exc}") from None
        if sep:
            node_tz[node] = z
        elif zone is not None:
            raise InputError("--tz: give one zone for all nodes, and NODE=ZONE for the others")
        else:
            zone = z
    return zone, node_tz


def internal_messages(ctx: "Context") -> list[str]:
    """Parser crashes and unreadable evidence, for commands whose output has no findings list."""
    return [f.message for f in ctx.internal_findings() if f.code in ("FW901", "FW903")]

