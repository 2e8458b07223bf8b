"""One node's collection: its plan's items through its source, each bounded by its own timeout and
the node's whole budget, each result redacted before it is kept or written (collect/run.py
runs many nodes and makes the bundle)."""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from forewarn.collect.bundle import _safe_rel
from forewarn.collect.plan import (EXPAND_MAX_BYTES, SKIP_MARK, SKIP_RC, Expansion, Plan, Task,
                                   parse_listing)
from forewarn.collect.readonly import check_script
from forewarn.collect.redact import Redactor
from forewarn.collect.sources.base import CommandResult, Source, SourceError
from forewarn.model.evidence import EvidenceRecord, looks_binary

MIN_SLICE = 1.0  # a command is not started with less than this left in the node's budget
BACKSTOP = 15.0  # beyond a command's timeout, how long to wait for a source that does not return
LOST_AFTER = 3  # this many errors in a row (no exit code, no timeout) and the node counts as lost
OPEN_TIMEOUT = 60.0
CLOSE_TIMEOUT = 10.0


@dataclass(frozen=True, slots=True)
class Progress:
    """One step of a collection, for a progress display (never carries collected content)."""

    node: str
    event: str  # node-start | node-open | start | done | skipped | timeout | error | not-run | node-done | node-error
    spec: str = ""
    label: str = ""
    done: int = 0
    total: int = 0
    detail: str = ""


ProgressFn = Callable[[Progress], None]


@dataclass(slots=True)
class NodeOutcome:
    node: str
    where: str
    started: datetime
    ended: datetime | None = None
    error: str | None = None
    budget_exhausted: bool = False
    records: list[tuple[tuple[int, ...], EvidenceRecord]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    not_run: list[dict[str, Any]] = field(default_factory=list)
    refused: list[dict[str, Any]] = field(default_factory=list)
    never_collected: list[dict[str, Any]] = field(default_factory=list)
    problems: list[dict[str, Any]] = field(default_factory=list)
    named: bool = False  # its name was claimed (unique in the bundle)

    def sorted_records(self) -> list[EvidenceRecord]:
        return [r for _, r in sorted(self.records, key=lambda kr: kr[0])]

    def to_manifest(self, budget: float) -> dict[str, Any]:
        ended = self.ended or _now()
        return {
            "source": self.where,
            "started": _iso(self.started),
            "ended": _iso(ended),
            "duration": round((ended - self.started).total_seconds(), 3),
            "budget": budget,
            "budget_exhausted": self.budget_exhausted,
            "error": self.error,
            "redacted": sum(r.redacted or 0 for _, r in self.records),
            "skipped": self.skipped,
            "not_run": self.not_run,
            "refused": self.refused,
            "never_collected": self.never_collected,
            "problems": self.problems,
        }


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _iso(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def safe_node_name(name: str) -> str:
    """A node name usable as a bundle folder (a remote `uname -n` is not trusted blindly)."""
    clean = re.sub(r"[^A-Za-z0-9._\-]", "_", name or "").strip(".")
    return clean[:64] or "node"


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


class _Writer:
    """Writes redacted artifacts under `root/<node>/...` as they arrive."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.written: set[str] = set()

    def write(self, rec: EvidenceRecord) -> None:
        rel = _safe_rel(rec.artifact)
        if rec.data is None or rel is None:
            return
        path = self.root / rel
        if rel not in self.written:
            d = self.root
            for part in Path(rel).parent.parts:  # every level private, not just the last
                d = d / part
                if not d.is_dir():
                    d.mkdir(mode=0o700)
            _write_private(path, rec.data)
            self.written.add(rel)
        rec.opener = lambda p=path: open(p, "rb")  # type: ignore[misc]
        rec.data = None


class _NodeRun:
    def __init__(self, source: Source, plan: Plan, *, redactor: Redactor, budget: float, jobs: int,
                 progress: ProgressFn | None, writer: _Writer | None, claim: Callable[[str], str]) -> None:
        self.source = source
        self.plan = plan
        self.redactor = redactor
        self.budget = budget
        self.jobs = max(1, jobs)
        self.progress = progress
        self.writer = writer
        self.claim = claim
        where = getattr(source, "where", None) or source.node
        self.out = NodeOutcome(node=safe_node_name(source.node), where=str(where), started=_now())
        self.hung_groups: dict[str, str] = {}
        self.stop_reason: str | None = None
        self.errors_in_a_row = 0
        self.done = 0
        self.total = 0
        self.deadline = 0.0

    def emit(self, event: str, spec: str = "", label: str = "", detail: str = "") -> None:
        if self.progress is None:
            return
        try:
            self.progress(Progress(self.out.node, event, spec, label, self.done, self.total, detail))
        except Exception:  # noqa: BLE001 - a broken display must not break a collection
            pass

    async def run(self) -> NodeOutcome:
        self.emit("node-start", detail=self.out.where)
        try:
            await asyncio.wait_for(self.source.open(), OPEN_TIMEOUT)
        except SourceError as exc:
            return self._failed(str(exc))
        except (asyncio.TimeoutError, TimeoutError):
            return self._failed(f"{self.out.where}: no answer within {OPEN_TIMEOUT:g} s")
        except Exception as exc:  # noqa: BLE001 - a source's own bug is this node's failure only
            return self._failed(f"{self.out.where}: could not be opened ({exc!r})")
        self.out.node = self.claim(safe_node_name(self.source.node))
        self.out.named = True
        self.out.refused = list(self.plan.refused)
        self.out.never_collected = list(self.plan.never)
        self.emit("node-open", detail=self.out.where)
        loop = asyncio.get_running_loop()
        self.deadline = loop.time() + self.budget
        queue: asyncio.Queue[tuple[tuple[int, ...], Task | Expansion]] = asyncio.Queue()
        for i, item in enumerate(self.plan.items):
            queue.put_nowait(((i,), item))
        self.total = queue.qsize()
        workers = [asyncio.ensure_future(self._worker(queue)) for _ in range(self.jobs)]
        try:
            await queue.join()
        finally:
            for w in workers:
                w.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            try:
                await asyncio.wait_for(self.source.close(), CLOSE_TIMEOUT)
            except Exception:  # noqa: BLE001 - closing is best effort
                pass
        self.out.ended = _now()
        self.emit("node-done", detail=self.stop_reason or "")
        return self.out

    def _failed(self, why: str) -> NodeOutcome:
        self.out.error = why
        self.out.ended = _now()
        self.emit("node-error", detail=why)
        return self.out

    async def _worker(self, queue: asyncio.Queue[tuple[tuple[int, ...], Task | Expansion]]) -> None:
        while True:
            key, item = await queue.get()
            try:
                await self._one(key, item, queue)
            except Exception as exc:  # noqa: BLE001 - one item's failure never stops the node
                self.out.problems.append({"spec": item.spec, "error": f"collection failed: {exc!r}"})
                self.emit("error", item.spec, item.label, repr(exc))
            finally:
                self.done += 1
                queue.task_done()

    def _not_run(self, item: Task | Expansion, why: str) -> None:
        entry: dict[str, Any] = {"spec": item.spec, "reason": why}
        if isinstance(item, Task) and item.kind != "command":
            entry["path"] = item.source
        self.out.not_run.append(entry)
        self.emit("not-run", item.spec, item.label, why)

    async def _one(self, key: tuple[int, ...], item: Task | Expansion,
                   queue: asyncio.Queue[tuple[tuple[int, ...], Task | Expansion]]) -> None:
        if self.stop_reason:
            return self._not_run(item, self.stop_reason)
        remaining = self.deadline - asyncio.get_running_loop().time()
        if remaining < MIN_SLICE:
            self.out.budget_exhausted = True
            return self._not_run(item, f"the node's budget of {self.budget:g} s was used up")
        if item.hang_group and item.hang_group in self.hung_groups:
            return self._not_run(item, f"{self.hung_groups[item.hang_group]} timed out before it "
                                       f"(everything under {item.hang_group} hangs)")
        timeout = min(item.timeout, remaining)
        max_bytes = EXPAND_MAX_BYTES if isinstance(item, Expansion) else item.max_bytes
        self.emit("start", item.spec, item.label)
        res = await self._run(item.script, timeout, max_bytes)
        self._check_lost(res)
        if res.rc == SKIP_RC and SKIP_MARK.encode() in res.stderr:
            why = _skip_reason(res.stderr)
            entry = {"spec": item.spec, "reason": why}
            if isinstance(item, Task) and item.kind != "command":
                entry["path"] = item.source
            self.out.skipped.append(entry)
            return self.emit("skipped", item.spec, item.label, why)
        if res.timed_out and item.hang_group:
            self.hung_groups.setdefault(item.hang_group, item.source if isinstance(item, Task)
                                        else " ".join(item.patterns))
        if isinstance(item, Expansion):
            return self._expanded(key, item, res, queue)
        rec = self._record(item, res)
        self.out.records.append((key, rec))
        if self.writer is not None:
            self.writer.write(rec)
        event = "timeout" if res.timed_out else "error" if rec.error else "done"
        self.emit(event, item.spec, item.label, rec.error or "")

    async def _run(self, script: str, timeout: float, max_bytes: int) -> CommandResult:
        started = _now()
        try:
            return await asyncio.wait_for(self.source.run(script, timeout=timeout, max_bytes=max_bytes),
                                          timeout + BACKSTOP)
        except (asyncio.TimeoutError, TimeoutError):
            return CommandResult(b"", b"", None, started, _now(), timed_out=True,
                                 error=f"the source did not return within {timeout + BACKSTOP:g} s")
        except Exception as exc:  # noqa: BLE001 - a source must not raise; if it does, it is this command's error
            return CommandResult(b"", b"", None, started, _now(), error=f"could not run: {exc!r}")

    def _check_lost(self, res: CommandResult) -> None:
        lost = getattr(self.source, "lost", None)
        if res.error and res.rc is None and not res.timed_out:
            self.errors_in_a_row += 1
        else:
            self.errors_in_a_row = 0
        if not lost and self.errors_in_a_row >= LOST_AFTER:
            lost = f"the node stopped answering ({LOST_AFTER} commands in a row failed: {res.error})"
        if lost and not self.stop_reason:
            self.stop_reason = str(lost)
            self.out.error = f"{self.out.where}: {lost} during collection"

    def _expanded(self, key: tuple[int, ...], exp: Expansion, res: CommandResult,
                  queue: asyncio.Queue[tuple[tuple[int, ...], Task | Expansion]]) -> None:
        if res.timed_out or res.error or res.rc not in (0, None):
            problem: dict[str, Any] = {"spec": exp.spec, "path": " ".join(exp.patterns),
                                       "timed_out": res.timed_out, "duration": round(res.duration, 3)}
            if res.error or res.rc not in (0, None):
                problem["error"] = self._text(res.error or res.stderr.decode("utf-8", "replace")
                                              or f"exit status {res.rc}")
            self.out.problems.append(problem)
        paths, dropped = parse_listing(exp, res.stdout, self.plan.root)
        for d in dropped:
            (self.out.never_collected if d["reason"].startswith("never collected") else self.out.skipped).append(d)
        if not paths:
            if not res.timed_out and not res.error:
                self.out.skipped.append({"spec": exp.spec, "reason": "not present",
                                         "path": " ".join(exp.patterns)})
                self.emit("skipped", exp.spec, exp.label, "not present")
            else:
                self.emit("timeout" if res.timed_out else "error", exp.spec, exp.label, "listing failed")
            return
        for j, (p, real) in enumerate(paths):
            task = self.plan.instance(exp, p, real)
            if task is None:
                continue
            problems = check_script(task.script)
            if problems:
                self.out.refused.append({"spec": exp.spec, "path": task.source,
                                         "reason": "not provably read-only: " + str(problems[0])})
                continue
            queue.put_nowait((key + (j,), task))
            self.total += 1
        self.emit("done", exp.spec, exp.label, f"{len(paths)} instance(s)")

    def _text(self, text: str) -> str:
        """Error text for the manifest: redacted, last lines only."""
        red, _ = self.redactor.redact_text(text.strip())
        lines = [ln for ln in red.splitlines() if ln.strip()]
        return " / ".join(lines[-3:])[:500]

    def _record(self, task: Task, res: CommandResult) -> EvidenceRecord:
        data: bytes | None = res.stdout
        truncated = res.truncated
        error: str | None = self._text(res.error) if res.error else None
        stderr = res.stderr.decode("utf-8", "replace").strip()
        if task.tail and data and len(data) >= task.max_bytes:
            # `tail -c` cut the file: drop the partial first line
            cut = data.find(b"\n")
            data = data[cut + 1:] if cut >= 0 else data
            truncated = True
        is_output = task.kind == "command" or (task.kind == "log" and not task.tail)  # vs a file read
        if error is None and not res.timed_out:
            if not is_output and res.rc not in (0, None):
                error = self._text(stderr) or f"exit status {res.rc}"  # cat: Permission denied
            elif is_output and not data and res.rc not in (0, None):
                error = self._text(stderr) or f"exit status {res.rc}"
            elif is_output and not data and stderr and not task.merge_stderr:
                error = self._text(stderr)  # a pipeline's first command failed (journalctl | tac)
        redacted = 0
        if data and looks_binary(data[:8192]):
            error = f"binary content ({len(data)} bytes) was not stored"
            data = None
        elif data is not None:
            r = self.redactor.redact_bytes(data, path=task.source if task.kind != "command" else "")
            data, redacted = r.data, r.count
        if data is not None and not data and (error and not res.timed_out) and res.rc is None:
            data = None  # nothing ran: no empty file pretending to be output
        rec = EvidenceRecord(
            spec=task.record_spec, node=self.out.node, artifact=f"{self.out.node}/{task.artifact}",
            source=task.source, kind=task.kind, rc=res.rc, started=_iso(res.started), ended=_iso(res.ended),
            duration=round(res.duration, 3), timed_out=res.timed_out, truncated=truncated, error=error,
            redacted=redacted, data=data,
        )
        if data is not None:
            rec.sha256 = hashlib.sha256(data).hexdigest()
            rec.size = len(data)
        return rec


def _skip_reason(stderr: bytes) -> str:
    for line in stderr.decode("utf-8", "replace").splitlines():
        if SKIP_MARK in line:
            return line.split(SKIP_MARK, 1)[1].strip() or "not applicable"
    return "not applicable"
