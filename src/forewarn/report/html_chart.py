"""The incident chart of the HTML report: one lane per node, drawn with Plotly.

Built from the documented timeline JSON (`forewarn.timeline`, docs/report-json.md), nothing else:
each node's `states` become coloured bars (quorum state, thick; the membership ring, a thin band
above it; the HA agent's state, a thin band below it), its `events` become markers by `category`
(link drops, token losses, lock losses …), the `fences` a big cross, the `episodes` shaded spans.

Logs with timestamps get a time axis (zoom by dragging, a range slider below). Logs without any
(a pasted excerpt) get an ordinal axis: the log's line numbers for one node, the merged event
order for several, and the axis title says that this is order, not time.

Text that comes from logs is HTML-escaped before Plotly sees it: Plotly renders a subset of HTML
in hover labels, and a log line is untrusted.
"""

from __future__ import annotations

import html
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

CHART_ID = "timeline-chart"
MAX_MARKERS_PER_GROUP = 3000  # per node and marker type; beyond that an even sample is drawn
_TEXT_MAX = 220

# quorum track: value -> (legend label, colour)
QUORUM_STYLE: dict[str, tuple[str, str]] = {
    "quorate": ("quorate", "#4caf50"),
    "non-quorate": ("NOT quorate", "#e53935"),
    "stopped": ("corosync stopped", "#9e9e9e"),
    "down": ("node down (fenced)", "#212121"),
    "unknown": ("quorum unknown", "#e0e0e0"),
}
_HA_OK = {"active", "master", "slave", "idle"}
RING_SHADES = ("#7e57c2", "#b39ddb")

from forewarn.facts.words import dur
from forewarn.report.html_axis import Axis, plot_time


@dataclass(frozen=True, slots=True)
class MarkerType:
    key: str
    label: str
    symbol: str
    color: str
    size: int
    dy: float  # vertical place in the lane, so that types that happen together do not hide each other


MARKERS: tuple[MarkerType, ...] = (
    MarkerType("link_down", "link down", "triangle-down", "#d81b60", 11, 0.12),
    MarkerType("link_up", "link up", "triangle-up-open", "#2e7d32", 9, 0.12),
    MarkerType("totem", "token lost / totem", "diamond", "#ef6c00", 10, -0.12),
    MarkerType("membership", "membership change", "line-ns-open", "#5e35b1", 14, 0.0),
    MarkerType("quorum", "quorum lost / regained", "square", "#1a237e", 9, 0.0),
    MarkerType("lock_lost", "HA lock lost", "x", "#b71c1c", 13, -0.12),
    MarkerType("ha", "HA state", "circle", "#00838f", 8, -0.12),
    MarkerType("watchdog", "watchdog", "hexagram", "#c62828", 12, 0.0),
    MarkerType("pmxcfs", "pmxcfs", "circle-open", "#616161", 7, -0.2),
    MarkerType("lifecycle", "boot / shutdown / corosync start-exit", "star", "#000000", 13, 0.0),
    MarkerType("host", "host (NFS, hung task, OOM)", "square-open", "#6d4c41", 10, 0.2),
    MarkerType("other", "kubelet / nova", "cross", "#455a64", 9, 0.2),
    MarkerType("fence", "FENCE", "x-thin-open", "#d50000", 26, 0.0),
)
_MARKER = {m.key: m for m in MARKERS}


def marker_type(event: dict[str, Any]) -> str:
    """The marker an event of the timeline JSON is drawn with."""
    kind, cat = event.get("kind", ""), event.get("category", "")
    if kind in ("knet_link_down", "knet_no_links"):
        return "link_down"
    if kind == "knet_link_up":
        return "link_up"
    if kind in ("ha_lost_lock", "ha_fence"):
        return "lock_lost"
    if cat in ("totem", "membership", "quorum", "ha", "watchdog", "pmxcfs", "lifecycle", "host"):
        return cat
    return "other"


@dataclass(slots=True)
class Chart:
    """The chart's HTML (a div and its script) and what it shows, for the page around it."""

    html: str
    axis: str  # "time", "line" or "order"
    axis_note: str
    lanes: list[str]
    markers: dict[str, int]  # marker type label -> how many drawn
    notes: list[str] = field(default_factory=list)


def _esc(text: Any, limit: int = _TEXT_MAX) -> str:
    s = str(text if text is not None else "")
    if len(s) > limit:
        s = s[: limit - 1] + "…"
    return html.escape(s, quote=False)


def _when(value: Any, axis: Axis) -> str:
    if value is None:
        return "?"
    if axis.kind == "time":
        return str(value)[11:19] if len(str(value)) >= 19 else str(value)
    return f"line {value}" if axis.kind == "line" else f"event #{value}"


def _sample(items: list[Any], limit: int) -> list[Any]:
    if len(items) <= limit:
        return items
    step = len(items) / limit
    return [items[int(i * step)] for i in range(limit)]


def build_chart(doc: dict[str, Any]) -> Chart:
    """The Plotly chart of a `forewarn.timeline` document (timeline_to_json)."""
    import plotly.graph_objects as go

    axis = Axis(doc)
    nodes = doc.get("nodes", [])
    names = [n["name"] for n in nodes]
    ypos = {name: len(names) - 1 - i for i, name in enumerate(names)}  # first node on top
    traces: list[Any] = []
    notes: list[str] = []

    # -- state bars ----------------------------------------------------------------------------
    quorum_bars: dict[str, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    ring_bars: dict[str, list[Any]] = defaultdict(list)
    ha_bars: dict[str, dict[str, list[Any]]] = {"ok": defaultdict(list), "bad": defaultdict(list)}
    for lane in nodes:
        name = lane["name"]
        if name in axis.lane_untimed:
            notes.append(f"{name}'s log has no timestamps: it cannot be placed on the time axis")
            continue
        y = ypos[name]
        ring_i = 0
        for iv in lane.get("states", []):
            span = axis.interval(iv, lane)
            if span is None:
                continue
            a, b = span
            length = axis.length(a, b)
            if length < 0:
                continue
            where = f"{_when(a, axis)} – {_when(b, axis)}"
            secs = f" ({_dur(iv['seconds'])})" if iv.get("seconds") is not None else ""
            why = f"<br>{_esc(iv['reason'])}" if iv.get("reason") else ""
            how = " (inferred)" if iv.get("source") == "inferred" else ""
            track = iv.get("track")
            if track == "quorum":
                value = iv.get("value") or "unknown"
                label = QUORUM_STYLE.get(value, (value, "#bdbdbd"))[0]
                bars = quorum_bars[value]
                hover = f"<b>{_esc(name)}</b>: {_esc(label)}{how}<br>{where}{secs}{why}"
            elif track == "membership":
                members = iv.get("members")
                value = iv.get("value")
                bars = ring_bars
                bars["color"].append(RING_SHADES[ring_i % 2] if value else "#eeeeee")
                ring_i += 1
                what = f"ring {_esc(value)}: members {_esc(' '.join(members or []))}" if value else "no ring (corosync not running)"
                hover = f"<b>{_esc(name)}</b>: {what}{how}<br>{where}{secs}"
            elif track == "ha_lrm":
                value = iv.get("value") or "?"
                bars = ha_bars["ok" if value in _HA_OK else "bad"]
                hover = f"<b>{_esc(name)}</b>: HA agent (pve-ha-lrm) {_esc(value)}{how}<br>{where}{secs}{why}"
            else:
                continue
            bars["base"].append(a)
            bars["x"].append(length)
            bars["y"].append(y + {"quorum": 0.0, "membership": 0.33, "ha_lrm": -0.33}[track])
            bars["hover"].append(hover)

    def bar(name: str, bars: dict[str, list[Any]], color: Any, width: float, group: str, opacity: float = 1.0) -> Any:
        return go.Bar(
            name=name, legendgroup=group, orientation="h", base=bars["base"], x=bars["x"], y=bars["y"],
            width=width, marker={"color": color, "line": {"width": 0}}, opacity=opacity,
            hovertext=bars["hover"], hovertemplate="%{hovertext}<extra></extra>",
        )

    for value, (label, color) in QUORUM_STYLE.items():
        if quorum_bars.get(value):
            traces.append(bar(label, quorum_bars[value], color, 0.44, "quorum"))
    for value, bars in quorum_bars.items():
        if value not in QUORUM_STYLE:
            traces.append(bar(value, bars, "#bdbdbd", 0.44, "quorum"))
    if ring_bars:
        traces.append(bar("membership ring (shade changes with each ring)", ring_bars, ring_bars["color"], 0.12,
                          "ring"))
    if ha_bars["ok"]:
        traces.append(bar("HA agent active", ha_bars["ok"], "#26a69a", 0.12, "ha"))
    if ha_bars["bad"]:
        traces.append(bar("HA agent lost lock / waiting", ha_bars["bad"], "#ff7043", 0.12, "ha"))

    # -- markers -------------------------------------------------------------------------------
    groups: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for e in doc.get("events", []):
        if e["node"] in ypos and e["node"] not in axis.lane_untimed and axis.event_x(e) is not None:
            groups[marker_type(e)][e["node"]].append(e)
    counts: Counter[str] = Counter()
    for mt in MARKERS:
        if mt.key == "fence":
            continue
        xs, ys, hover, seqs = [], [], [], []
        for node, evs in groups.get(mt.key, {}).items():
            shown = _sample(evs, MAX_MARKERS_PER_GROUP)
            if len(shown) < len(evs):
                notes.append(f"{node}: {len(evs)} {mt.label} events, {len(shown)} of them drawn (evenly sampled)")
            for e in shown:
                xs.append(axis.event_x(e))
                ys.append(ypos[node] + mt.dy)
                seqs.append(e["seq"])
                ep = f" · episode {e['episode']}" if e.get("episode") else ""
                where = f"line {e.get('line')}" if axis.kind == "line" else \
                    f"{_esc(_when(axis.event_x(e), axis))} · line {e.get('line')}"
                hover.append(
                    f"<b>{_esc(node)}</b> {where}{ep}<br>"
                    f"<b>{_esc(e.get('summary'), 120)}</b><br>{_esc(e.get('text'))}")
        if xs:
            counts[mt.label] += len(xs)
            traces.append(go.Scatter(
                name=mt.label, legendgroup=mt.key, mode="markers", x=xs, y=ys, customdata=seqs,
                marker={"symbol": mt.symbol, "color": mt.color, "size": mt.size,
                        "line": {"width": 1.5 if mt.symbol.endswith("open") else 0.5, "color": mt.color}},
                hovertext=hover, hovertemplate="%{hovertext}<extra></extra>", meta=mt.key,
            ))

    # fences: at the boot, else the watchdog, else the lock or quorum loss
    fx, fy, fhover, fseq = [], [], [], []
    for f in doc.get("fences", []):
        mark = f.get("boot") or f.get("watchdog") or f.get("lost_lock") or f.get("lost_quorum")
        if not mark or f["node"] not in ypos or f["node"] in axis.lane_untimed:
            continue
        x = axis.seq_x(mark.get("seq"))
        if x is None:
            continue
        parts = []
        for key, label in (("lost_quorum", "lost quorum"), ("lost_lock", "HA lock lost"),
                           ("watchdog", "watchdog expired"), ("boot", "booted")):
            m = f.get(key)
            if m:
                parts.append(f"{label}: {_esc(_when(axis.seq_x(m.get('seq')), axis))} (line {m.get('line')})")
        if f.get("boot") is None:
            parts.append("the next boot is not in the log")
        certain = "certain (the watchdog says so)" if f.get("certain") else "probable"
        fx.append(x)
        fy.append(ypos[f["node"]])
        fseq.append(mark.get("seq"))
        fhover.append(f"<b>{_esc(f['node'])} FENCED</b> — {certain}<br>" + "<br>".join(parts))
    if fx:
        mt = _MARKER["fence"]
        counts[mt.label] += len(fx)
        traces.append(go.Scatter(
            name=mt.label, legendgroup="fence", mode="markers+text", x=fx, y=fy, customdata=fseq,
            text=["FENCE"] * len(fx), textposition="top center", textfont={"color": mt.color, "size": 12},
            marker={"symbol": mt.symbol, "color": mt.color, "size": mt.size, "line": {"width": 4, "color": mt.color}},
            hovertext=fhover, hovertemplate="%{hovertext}<extra></extra>", meta="fence",
        ))

    # -- episodes as shaded spans ---------------------------------------------------------------
    shapes, annotations = [], []
    for ep in doc.get("episodes", []):
        span = _episode_span(ep, axis)
        if span is None:
            continue
        a, b = span
        shapes.append({"type": "rect", "xref": "x", "yref": "paper", "x0": a, "x1": b, "y0": 0, "y1": 1,
                       "fillcolor": "rgba(255, 193, 7, 0.13)", "line": {"width": 0}, "layer": "below"})
        annotations.append({"x": a, "xref": "x", "y": 1, "yref": "paper", "yanchor": "bottom", "xanchor": "left",
                            "text": f"E{ep['id']}", "showarrow": False,
                            "font": {"size": 11, "color": "#8d6e00"},
                            "hovertext": _esc(ep.get("title"), 160)})

    # -- layout ---------------------------------------------------------------------------------
    if axis.kind == "time":
        zone = doc.get("clock", {}).get("zone")
        title = f"time ({zone})" if zone else "time (as logged; zone unknown)"
        note = ("Drag across the chart to zoom in, double-click to zoom out, or use the range slider below "
                "it; hover over a marker for its log line.")
        xaxis = {"type": "date", "title": {"text": title}, "rangeslider": {"visible": True, "thickness": 0.08},
                 "tickformat": "%H:%M:%S", "hoverformat": "%H:%M:%S.%L"}
    else:
        what = "log line" if axis.kind == "line" else "event order (all nodes' events, merged)"
        title = f"{what} — the log has no timestamps: this axis is ORDER, not time"
        note = ("The log has no timestamps (a pasted excerpt?): the horizontal axis is "
                + ("the line number in the log" if axis.kind == "line" else "the merged order of the events")
                + ", so distances are not durations.")
        xaxis = {"type": "linear", "title": {"text": title}, "rangeslider": {"visible": True, "thickness": 0.08}}
    xaxis.update({"showgrid": True, "gridcolor": "#eeeeee", "zeroline": False})
    tick_text = [f"<b>{_esc(n)}</b>" + (" (no times)" if n in axis.lane_untimed else "") for n in names]
    layout = {
        "height": max(380, 150 + 78 * len(names)) + 20 * (1 + len(traces) // 3),  # and the legend's rows
        "margin": {"l": 10, "r": 10, "t": 30, "b": 50},
        "barmode": "overlay",
        "bargap": 0,
        "hovermode": "closest",
        "dragmode": "zoom",
        "plot_bgcolor": "#ffffff",
        "paper_bgcolor": "#ffffff",
        "font": {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 12},
        # below the chart, in rows: beside it, the legend took almost half of a narrow page
        "legend": {"orientation": "h", "yref": "container", "y": 0, "yanchor": "bottom", "x": 0,
                   "xanchor": "left", "font": {"size": 11}, "itemclick": "toggle",
                   "itemdoubleclick": "toggleothers"},
        "xaxis": xaxis,
        "yaxis": {"tickmode": "array", "tickvals": [ypos[n] for n in names], "ticktext": tick_text,
                  "range": [-0.6, len(names) - 0.4], "fixedrange": True, "showgrid": False, "zeroline": False,
                  "automargin": True},
        "shapes": shapes,
        "annotations": annotations,
    }
    fig = go.Figure(data=traces, layout=layout)
    div = fig.to_html(
        include_plotlyjs=False, full_html=False, div_id=CHART_ID,
        config={"displaylogo": False, "responsive": True, "scrollZoom": False,
                "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d"],
                "toImageButtonOptions": {"filename": "forewarn-timeline"}},
    )
    return Chart(html=div, axis=axis.kind, axis_note=note, lanes=names, markers=dict(counts), notes=notes)


def _episode_span(ep: dict[str, Any], axis: Axis) -> tuple[Any, Any] | None:
    if axis.kind == "time":
        a, b = plot_time(ep.get("from")), plot_time(ep.get("to"))
        if a is None or b is None:
            return None
        if a == b:  # a one-second episode still shows
            b = datetime.fromisoformat(b).replace(microsecond=500000).isoformat(sep=" ", timespec="milliseconds")
        return a, b
    xs = [axis.seq_x(s) for s in list(ep.get("events", [])) + list(ep.get("aftermath", []))]
    xs = [x for x in xs if x is not None]
    if not xs:
        return None
    return min(xs) - 0.5, max(xs) + 0.5


def episode_range(ep: dict[str, Any], doc: dict[str, Any]) -> list[Any] | None:
    """The x range the chart zooms to for an episode (a little wider than the episode)."""
    axis = Axis(doc)
    span = _episode_span(ep, axis)
    if span is None:
        return None
    a, b = span
    if axis.kind == "time":
        da, db = datetime.fromisoformat(a), datetime.fromisoformat(b)
        pad = max((db - da) * 0.15, (db - da).__class__(seconds=2))
        return [(da - pad).isoformat(sep=" ", timespec="milliseconds"),
                (db + pad).isoformat(sep=" ", timespec="milliseconds")]
    pad = max(1.0, (b - a) * 0.1)
    return [a - pad, b + pad]


def _dur(seconds: float | None) -> str:
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return "?"
    return dur(seconds)
