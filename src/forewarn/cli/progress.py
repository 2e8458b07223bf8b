"""Progress of a live collection on stderr: per node, per spec. Never shows collected content.

On a terminal: one live bar per node (`pve1  12/70  pve.pvecm_status`), removed when done.
Elsewhere (CI logs, a pipe): one line when a node starts and one when it ends. Silent with
`--format json` or `--quiet` (the caller then passes no progress function at all).
"""

from __future__ import annotations

import sys
import threading
from typing import Any

from rich.console import Console

from forewarn.collect.run import Progress


class TerminalProgress:
    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True, highlight=False)
        self.live = self.console.is_terminal
        self._lock = threading.Lock()
        self._bars: Any = None
        self._tasks: dict[str, Any] = {}
        self._timeouts: dict[str, int] = {}
        if self.live:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                TextColumn,
                TimeElapsedColumn,
            )
            from rich.progress import Progress as Bars

            self._bars = Bars(TextColumn("[bold]{task.fields[node]:<14}"), BarColumn(bar_width=24),
                              MofNCompleteColumn(), TimeElapsedColumn(), TextColumn("{task.description}"),
                              console=self.console, transient=True)

    def __enter__(self) -> "TerminalProgress":
        if self._bars is not None:
            self._bars.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bars is not None:
            self._bars.stop()

    def __call__(self, p: Progress) -> None:
        with self._lock:
            if p.event == "timeout":
                self._timeouts[p.node] = self._timeouts.get(p.node, 0) + 1
            if not self.live:
                self._line(p)
                return
            task = self._tasks.get(p.node)
            if task is None:
                task = self._tasks[p.node] = self._bars.add_task("connecting", node=p.node, total=None)
            if p.event == "node-error":
                self._bars.update(task, description=f"[red]unreachable: {p.detail[:60]}", total=1, completed=1)
                self.console.print(f"[red]{p.node}: {p.detail}[/]", highlight=False)
                return
            if p.event == "node-done":
                self._bars.update(task, total=p.total or 1, completed=p.total or 1, description="done")
                return
            what = p.spec or p.event
            if p.event == "timeout":
                what = f"[yellow]{p.spec} timed out[/]"
            self._bars.update(task, total=p.total or None, completed=p.done, description=what)

    def _line(self, p: Progress) -> None:
        if p.event == "node-start":
            print(f"forewarn: collecting {p.node} ({p.detail}) …", file=sys.stderr, flush=True)
        elif p.event == "node-error":
            print(f"forewarn: {p.node}: {p.detail}", file=sys.stderr, flush=True)
        elif p.event == "node-done":
            t = self._timeouts.get(p.node, 0)
            extra = f", {t} timed out" if t else ""
            print(f"forewarn: collected {p.node}: {p.total} item(s){extra}"
                  + (f" ({p.detail})" if p.detail else ""), file=sys.stderr, flush=True)
