"""Prometheus metrics in node_exporter's textfile format (the monitoring mode: contrib/systemd/).

    forewarn_finding{code,severity,node,title} 1     one per unsuppressed finding and node
    forewarn_rules{outcome}                           rules by outcome (fail, pass, ...)
    forewarn_suppressed_findings                      findings an entry of --suppress accepts
    forewarn_up{node}                                 1: the node was read; 0: it could not be (FW908)
    forewarn_last_run_timestamp_seconds               when this run ended
    forewarn_last_run_duration_seconds                how long it took

Written with prometheus_client (its escaping, its format) and, to a file, atomically: a
temporary file in the same directory renamed over the target, so the textfile collector never
reads half a file. Only files ending in `.prom` are read by the collector, so the temporary one is
never picked up.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from forewarn.model.findings import Status
from forewarn.report.model import Report

OUTCOMES = (("fail", "failed"), ("pass", "passed"), ("not-applicable", "not_applicable"),
            ("could-not-check", "could_not_check"))


class _Collector:
    def __init__(self, report: Report, *, started: float | None, ended: float) -> None:
        self.report, self.started, self.ended = report, started, ended

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily

        r = self.report
        finding = GaugeMetricFamily("forewarn_finding", "A finding of the last run, 1 while it stands "
                                    "(accepted findings are left out).", labels=["code", "severity", "node", "title"])
        seen: set[tuple[str, ...]] = set()
        for f in r.failed():
            for node in f.nodes or ("",):
                labels = (f.code, f.severity.label, node, f.title)
                if labels not in seen:  # two hits of one rule on one node: one series
                    seen.add(labels)
                    finding.add_metric(list(labels), 1)
        yield finding

        summary = r.summary()
        rules = GaugeMetricFamily("forewarn_rules", "Rules of the last run by outcome.", labels=["outcome"])
        for outcome, key in OUTCOMES:
            rules.add_metric([outcome], summary[key])
        yield rules
        yield GaugeMetricFamily("forewarn_suppressed_findings", "Findings accepted by the suppression file.",
                                value=summary["suppressed"])

        unreachable = {n for f in r.findings if f.code == "FW908" and f.status is Status.FAIL for n in f.nodes}
        up = GaugeMetricFamily("forewarn_up", "1 when the node's evidence was read, 0 when the node could "
                               "not be collected.", labels=["node"])
        for node in sorted({*r.nodes, *unreachable}):
            up.add_metric([node], 0 if node in unreachable else 1)
        yield up

        yield GaugeMetricFamily("forewarn_last_run_timestamp_seconds", "When the last run ended (Unix time).",
                                value=self.ended)
        if self.started is not None:
            yield GaugeMetricFamily("forewarn_last_run_duration_seconds", "How long the last run took.",
                                    value=max(0.0, self.ended - self.started))


def render_prometheus(report: Report, *, started: float | None = None, ended: float | None = None) -> str:
    """The exposition text. `started`/`ended`: Unix times of the run (ended: now)."""
    from prometheus_client import CollectorRegistry, generate_latest

    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Collector(report, started=started, ended=time.time() if ended is None else ended))
    return generate_latest(registry).decode("utf-8")


def write_atomically(path: str | os.PathLike[str], text: str) -> None:
    """Replace `path` with `text` in one rename; readable by the collector's user (0644 less umask).

    Raises OSError when the directory cannot be written."""
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
