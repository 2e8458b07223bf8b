"""The chart's x axis: the timeline's times, or lacking them its line or event order."""

from __future__ import annotations

from datetime import datetime
from typing import Any


class Axis:
    """Turns the timeline's times, or lacking them its line/event order, into x values."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.events: list[dict[str, Any]] = doc.get("events", [])
        self.timed = bool(doc.get("clock", {}).get("timed"))
        untimed = [n for n in doc.get("nodes", []) if not n.get("timed")]
        if self.timed:
            self.kind = "time"
        elif len(doc.get("nodes", [])) == 1:
            self.kind = "line"
        else:
            self.kind = "order"
        self.lane_untimed = {n["name"] for n in untimed} if self.timed else set()
        self.first_seq: dict[str, int] = {}
        self.last_seq: dict[str, int] = {}
        for e in self.events:
            self.first_seq.setdefault(e["node"], e["seq"])
            self.last_seq[e["node"]] = e["seq"]

    def event_x(self, e: dict[str, Any]) -> Any:
        if self.kind == "time":
            return plot_time(e.get("time"))
        if self.kind == "line":
            return e.get("line")
        return e.get("seq")

    def seq_x(self, seq: int | None) -> Any:
        if seq is None or not 0 <= seq < len(self.events):
            return None
        return self.event_x(self.events[seq])

    def interval(self, iv: dict[str, Any], lane: dict[str, Any]) -> tuple[Any, Any] | None:
        """(start, end) of a state interval on this axis; None when it cannot be placed."""
        if self.kind == "time":
            a = plot_time(iv.get("from") or lane.get("log_from"))
            b = plot_time(iv.get("to") or lane.get("log_to"))
        elif self.kind == "line":
            a = self.seq_x(iv.get("from_seq"))
            b = self.seq_x(iv.get("to_seq"))
            a = lane.get("first_line") if a is None else a
            b = lane.get("last_line") if b is None else b
        else:
            name = lane["name"]
            a = self.seq_x(iv.get("from_seq"))
            b = self.seq_x(iv.get("to_seq"))
            a = self.first_seq.get(name, 0) - 0.5 if a is None else a
            b = self.last_seq.get(name, 0) + 0.5 if b is None else b
        if a is None or b is None:
            return None
        return a, b

    def length(self, a: Any, b: Any) -> float:
        if self.kind == "time":
            return (datetime.fromisoformat(b) - datetime.fromisoformat(a)).total_seconds() * 1000.0
        return float(b) - float(a)


def plot_time(iso: str | None) -> str | None:
    """An ISO time as Plotly reads it: in the display zone, without an offset (Plotly has no zones)."""
    if not iso:
        return None
    dt = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    return dt.replace(tzinfo=None).isoformat(sep=" ", timespec="milliseconds")
