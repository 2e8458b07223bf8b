"""The HTML report (`scan|explain --format html -o FILE`, `timeline --html FILE`), checked in a real
headless browser: Debian's chromium driven by Playwright (never a browser Playwright downloads).

Known incidents: the lab's 06-five-faults capture (5 real corosync nodes: two splits, a crash, a
clean restart, a pulled cable; its truth is read from the lab's own record
06-five-faults-timeline.txt), seed 001's paste (one node, no timestamps: an ordinal axis), and a
real watchdog fence. The browser has no network: every request that is not file:// is refused and
recorded, and the test fails if there was any.
"""

from __future__ import annotations

import re
import shutil
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from forewarn.cli.main import cli

ROOT = Path(__file__).resolve().parent.parent
LAB = ROOT / "tests" / "evidence" / "corosync-lab"
SEED = ROOT / "examples" / "seed001-quorum-flap"
FENCE = ROOT / "tests" / "evidence" / "ha-fence-watchdog"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# markup a browser runs, and markup Plotly itself renders in hover labels (<b>, <a href>)
PAYLOAD = ("<script>document.title='PWNED'</script><img src=x onerror=\"document.title='PWNED'\"> "
           "<b>bold</b> <a href=\"javascript:alert(1)\">link</a> &amp; busy")
LANES_06 = [f"node{i}" for i in range(1, 6)]
SLACK = 3.0  # seconds: syslog has whole seconds and corosync takes a moment to log

pytest.importorskip("plotly", reason="the HTML report needs the `html` extra (pip install 'forewarn[html]')")


def invoke(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    assert "Traceback" not in result.output and "internal error" not in result.output, result.output
    assert result.exit_code in (0, 1), result.output
    return result.output


def lab06() -> list[str]:
    return [str(LAB / f"06-five-faults-node{i}-syslog.log") for i in range(1, 6)]


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> dict[str, Path]:
    """The pages of the known incidents, made by the commands as a user runs them."""
    d = tmp_path_factory.mktemp("html")
    out = {"lab": d / "lab06.html", "seed": d / "seed001.html", "fence": d / "fence.html"}
    text = invoke("timeline", "--now", "2026-11-22T06:00:00", "--html", str(out["lab"]), *lab06())
    assert "Episode 1" in text  # --html writes the page and the terminal still gets the story
    # seed 001's bundle with a hostile log line: one of the lines PVE103 cites carries HTML
    seed = d / "seed001"
    shutil.copytree(SEED, seed)
    syslog = seed / "pve5" / "var" / "log" / "syslog"
    lines = syslog.read_text(encoding="utf-8").split("\n")
    assert "lost lock 'ha_manager_lock" in lines[69]
    lines[69] = lines[69].replace("Device or resource busy", PAYLOAD)
    syslog.write_text("\n".join(lines), encoding="utf-8")
    from forewarn.collect.bundle import write_manifest
    write_manifest(seed, created=datetime.fromisoformat("2026-03-21T10:00:00+00:00"))
    invoke("scan", str(seed), "--format", "html", "-o", str(out["seed"]))
    invoke("explain", "--now", "2026-05-16T00:00:00", *map(str, sorted(FENCE.glob("*.log"))),
           "--format", "html", "-o", str(out["fence"]))
    return out


# -- without a browser --------------------------------------------------------------------------
def test_page_is_one_self_contained_file(pages):
    page = pages["lab"].read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"<script[^>]*\bsrc=", page), "every script is inline"
    assert not re.search(r"<link\b", page) and "@import" not in page, "every style is inline"
    assert "cdn.plot.ly" not in page.split("</head>", 1)[1]
    assert 'id="timeline-chart"' in page
    # every node's lane and the findings of the same evidence
    for n in LANES_06:
        assert n in page
    assert 'data-code="PVE101"' in page and 'data-code="PVE102"' in page


def test_headline_counts_the_cluster_not_only_the_nodes_read(pages):
    page = pages["seed"].read_text(encoding="utf-8")
    assert "<h1>Cluster “seed001” · 5 nodes in corosync.conf, evidence from 1</h1>" in page


def test_hostile_log_line_is_escaped_in_the_page_source(pages):
    page = pages["seed"].read_text(encoding="utf-8")
    assert "ha_manager_lock" in page
    assert "<script>document.title" not in page and "<img src=x" not in page
    assert "&lt;script&gt;document.title=&#39;PWNED&#39;&lt;/script&gt;" in page  # the evidence excerpt


def test_html_needs_the_extra_and_says_how(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "plotly", None)  # as if not installed
    for args in (["scan", str(SEED), "--format", "html", "-o", str(tmp_path / "r.html")],
                 ["timeline", str(SEED), "--html", str(tmp_path / "t.html")]):
        r = CliRunner().invoke(cli, args)
        assert r.exit_code == 2, r.output
        assert "pip install 'forewarn[html]'" in r.output
    assert not list(tmp_path.iterdir())


def test_html_only_where_it_makes_sense():
    r = CliRunner().invoke(cli, ["why", "CT is locked", "--format", "html"])
    assert r.exit_code == 2


def test_chart_axis_is_said(pages):
    from forewarn.report.html_chart import build_chart
    from forewarn.report.timeline_json import timeline_to_json
    from forewarn.facts.context import Context
    from forewarn.facts.timeline import build_timeline
    from forewarn.collect.bundle import load_bundle

    b = load_bundle(str(SEED))
    chart = build_chart(timeline_to_json(build_timeline(Context(b.records, now=b.created))))
    b.close()
    assert chart.axis == "line" and "no timestamps" in chart.axis_note and chart.lanes == ["pve5"]
    assert chart.markers["HA lock lost"] == 2


# -- in the browser -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Debian's chromium is not installed ({CHROMIUM} is absent): "
                    "apt-get install chromium chromium-driver (.ci/run does it when root)")
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")  # a fresh --user-data-dir
    with sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS, offline=True,
            viewport={"width": 1400, "height": 1000})
        yield ctx
        ctx.close()


class Loaded:
    def __init__(self, page, console, network, dialogs):
        self.page, self.console, self.network, self.dialogs = page, console, network, dialogs

    def js(self, script: str, arg=None):
        return self.page.evaluate(script, arg)


@pytest.fixture
def open_page(browser):
    opened = []

    def _open(path: Path) -> Loaded:
        page = browser.new_page()
        console, network, dialogs = [], [], []
        page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
        page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

        def route(r):
            if r.request.url.startswith("file://"):
                r.continue_()
            else:
                network.append(r.request.url)
                r.abort()

        page.route("**/*", route)
        page.goto(path.as_uri(), wait_until="load")
        page.wait_for_selector("#timeline-chart .main-svg", timeout=30000)
        opened.append(page)
        return Loaded(page, console, network, dialogs)

    yield _open
    for p in opened:
        p.close()


def _clean(loaded: Loaded) -> None:
    errors = [c for c in loaded.console if c.startswith(("error", "pageerror"))]
    assert errors == [], errors
    assert loaded.network == [], f"the page asked the network for {loaded.network}"
    assert loaded.dialogs == []


TRACES = """() => {
  const gd = document.getElementById('timeline-chart');
  const lanes = {};
  gd.layout.yaxis.tickvals.forEach((v, i) => { lanes[v] = gd.layout.yaxis.ticktext[i].replace(/<[^>]+>/g, ''); });
  return {
    lanes: gd.layout.yaxis.ticktext.map(t => t.replace(/<[^>]+>/g, '')),
    xtype: gd.layout.xaxis.type, xtitle: gd.layout.xaxis.title.text,
    shapes: (gd.layout.shapes || []).length,
    traces: gd.data.map(t => ({name: t.name, type: t.type, meta: t.meta || null,
      lane: Array.from(t.y, y => lanes[Math.round(y)]), x: Array.from(t.x), base: t.base ? Array.from(t.base) : null,
      hover: t.hovertext ? Array.from(t.hovertext) : []})),
  };
}"""


def _trace(info: dict, name: str) -> dict:
    found = [t for t in info["traces"] if t["name"] == name]
    assert found, f"no {name!r} in {[t['name'] for t in info['traces']]}"
    return found[0]


def _bars(info: dict, name: str) -> dict[str, list[tuple[datetime, datetime]]]:
    t = _trace(info, name)
    out: dict[str, list[tuple[datetime, datetime]]] = {}
    for lane, base, ms in zip(t["lane"], t["base"], t["x"]):
        a = datetime.fromisoformat(base)
        out.setdefault(lane, []).append((a, a + timedelta(milliseconds=ms)))
    return out


def lab_truth() -> tuple[list[tuple[str, datetime]], datetime]:
    """(node, when it lost quorum) and when node5's corosync was killed, from the lab's own record."""
    losses: list[tuple[str, datetime]] = []
    killed = None
    step, start = "", None
    for line in (LAB / "06-five-faults-timeline.txt").read_text().splitlines():
        m = re.match(r"^===== (.*) \((\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+)\)$", line)
        if m:
            step, start = m.group(1), datetime.fromisoformat(m.group(2))
            if "kill -9 corosync on node5" in step:
                killed = start
            continue
        m = re.match(r"^(node\d) sees Quorate: No after:\s+([\d.]+) s", line)
        if m and start is not None:
            when = start + timedelta(seconds=float(m.group(2)))
            s = re.match(r"split ([\d,]+) \| ([\d,]+)", step)
            if s:
                minority = min((s.group(1).split(","), s.group(2).split(",")), key=len)
                losses += [(f"node{i}", when) for i in minority]
            else:
                losses.append((m.group(1), when))
    assert killed is not None and len(losses) == 5
    return losses, killed


def test_lab_incident_lanes_states_and_markers(pages, open_page, tmp_path):
    loaded = open_page(pages["lab"])
    _clean(loaded)
    info = loaded.js(TRACES)
    # one lane per node, in the chart's data and drawn in the DOM
    assert info["lanes"] == LANES_06
    drawn = loaded.js("() => Array.from(document.querySelectorAll('#timeline-chart .ytick text'), e => e.textContent)")
    assert drawn == LANES_06
    assert info["xtype"] == "date" and info["shapes"] == 5  # the 5 episodes, shaded
    # the quorum losses of the lab's record, each a red bar on the right lane
    losses, killed = lab_truth()
    red = _bars(info, "NOT quorate")
    for node, when in losses:
        assert any(abs((a - when).total_seconds()) <= SLACK for a, _ in red.get(node, [])), (node, when, red.get(node))
    assert "node3" not in red  # node3 was on the majority side of both splits
    stopped = _bars(info, "corosync stopped")
    assert any(abs((a - killed).total_seconds()) <= SLACK for a, _ in stopped["node5"])
    # markers of the known incident, on the lanes they belong to
    assert set(_trace(info, "link down")["lane"]) == set(LANES_06)
    assert set(_trace(info, "token lost / totem")["lane"]) == set(LANES_06)
    assert set(_trace(info, "membership change")["lane"]) == set(LANES_06)
    assert {"node4", "node5"} <= set(_trace(info, "boot / shutdown / corosync start-exit")["lane"])
    assert {"node1", "node2", "node4", "node5"} <= set(_trace(info, "quorum lost / regained")["lane"])
    points = loaded.js("() => document.querySelectorAll('#timeline-chart .scatterlayer .point').length")
    assert points >= 300  # drawn, not only in the data (the range slider draws them again)
    # hovering a marker shows its log line
    loaded.js("""() => { const gd = document.getElementById('timeline-chart');
        const i = gd.data.findIndex(t => t.name === 'link down');
        Plotly.Fx.hover(gd, [{curveNumber: i, pointNumber: 0}]); }""")
    hover = loaded.page.locator("#timeline-chart .hoverlayer").text_content()
    assert "link 0 to" in hover and "[KNET  ] link: host:" in hover
    # zoom onto episode 1 from its row, and back
    loaded.page.click("#episode-1 button.zoom")
    rng = loaded.js("() => document.getElementById('timeline-chart').layout.xaxis.range")
    assert rng[0] <= "2026-11-22 04:04:30" and "2026-11-22 04:04:45" <= rng[1] < "2026-11-22 04:04:50", rng
    loaded.page.click("button.zoom[data-zoom='null']")
    rng = loaded.js("() => document.getElementById('timeline-chart').layout.xaxis.range")
    assert rng[0] <= "2026-11-22 04:04:30" and rng[1] >= "2026-11-22 04:05:45", rng
    # a screenshot, and it shows the chart: quorate green and non-quorate red are on it
    shot = tmp_path / "lab06.png"
    loaded.page.screenshot(path=str(shot), full_page=True)
    chart = tmp_path / "lab06-chart.png"
    loaded.page.locator("#timeline-chart").screenshot(path=str(chart))
    _not_blank(shot, chart, colours={"quorate": (76, 175, 80), "NOT quorate": (229, 57, 53)})
    _clean(loaded)


def _not_blank(page_png: Path, chart_png: Path, colours: dict[str, tuple[int, int, int]]) -> None:
    from PIL import Image, ImageStat

    with Image.open(page_png) as im:
        assert im.width >= 1000 and im.height >= 1000
        assert max(ImageStat.Stat(im.convert("L")).stddev) > 20, "the page screenshot is blank"
    with Image.open(chart_png) as im:
        rgb = im.convert("RGB")
        assert rgb.width > 800 and rgb.height > 300
        assert max(ImageStat.Stat(rgb.convert("L")).stddev) > 20, "the chart screenshot is blank"
        data = rgb.tobytes()
        pixels = [(data[i], data[i + 1], data[i + 2]) for i in range(0, len(data), 3)]
        for name, (r, g, b) in colours.items():
            near = sum(1 for p in pixels if abs(p[0] - r) + abs(p[1] - g) + abs(p[2] - b) < 40)
            assert near > 500, f"{name} ({r},{g},{b}) hardly drawn: {near} pixels"


def test_seed001_without_times_gets_an_ordinal_axis_and_hostile_text_stays_text(pages, open_page, tmp_path):
    loaded = open_page(pages["seed"])
    _clean(loaded)
    info = loaded.js(TRACES)
    assert info["lanes"] == ["pve5"]
    assert info["xtype"] == "linear" and "ORDER, not time" in info["xtitle"]
    assert "no timestamps" in loaded.page.locator("#axis-note").text_content()
    # the paste's story: its link drops, token losses, both HA locks lost, quorum lost from line 43 to 60
    assert len(_trace(info, "link down")["x"]) >= 5
    assert len(_trace(info, "token lost / totem")["x"]) >= 11
    assert sorted(_trace(info, "HA lock lost")["x"]) == [51, 70]
    red = _trace(info, "NOT quorate")
    assert red["base"] == [43] and red["x"] == [60 - 43]
    assert _trace(info, "HA agent lost lock / waiting")["lane"] == ["pve5"]
    # the hostile line: text in the findings and in the chart's hover, never markup
    assert loaded.js("() => document.title") != "PWNED"
    assert loaded.js("() => document.querySelectorAll('img').length") == 0
    excerpts = loaded.js("() => Array.from(document.querySelectorAll('#findings pre.excerpt'), e => e.textContent).join('\\n')")
    assert "<script>document.title='PWNED'</script><img src=x" in excerpts
    assert loaded.js("() => document.querySelectorAll('#findings pre.excerpt script').length") == 0
    loaded.js("""() => { const gd = document.getElementById('timeline-chart');
        const i = gd.data.findIndex(t => t.name === 'HA lock lost');
        const j = gd.data[i].hovertext.findIndex(h => h.includes('ha_manager_lock'));
        Plotly.Fx.hover(gd, [{curveNumber: i, pointNumber: j}]); }""")
    hover = loaded.page.locator("#timeline-chart .hoverlayer").text_content()
    assert "<script>document.title='PWNED'</script><img src=x" in hover, hover
    assert "<b>bold</b> <a href=" in hover, hover  # Plotly would render these: they must stay text
    assert loaded.js("() => document.querySelectorAll('#timeline-chart script, #timeline-chart img').length") == 0
    assert loaded.js("() => document.querySelectorAll('a[href^=\"javascript\"]').length") == 0
    # headline, then the timeline, then the findings
    order = loaded.js("""() => ['#verdict', '#timeline', '#findings', '#could-not-check']
        .map(s => document.querySelector(s).getBoundingClientRect().top)""")
    assert order == sorted(order)
    assert loaded.page.locator("#verdict").text_content().strip() == "worst: HIGH"
    assert "seed001" in loaded.page.locator("h1").text_content()
    shot = tmp_path / "seed001.png"
    loaded.page.screenshot(path=str(shot), full_page=True)
    chart = tmp_path / "seed001-chart.png"
    loaded.page.locator("#timeline-chart").screenshot(path=str(chart))
    _not_blank(shot, chart, colours={"quorate": (76, 175, 80), "NOT quorate": (229, 57, 53)})
    _clean(loaded)


def test_fence_is_marked(pages, open_page):
    loaded = open_page(pages["fence"])
    _clean(loaded)
    info = loaded.js(TRACES)
    fence = _trace(info, "FENCE")
    assert fence["lane"] == ["sd-sandbox-pve02"] and fence["x"] == ["2026-05-15 17:43:34.000"]
    assert "FENCED" in fence["hover"][0] and "watchdog" in fence["hover"][0]
    labels = loaded.js("() => Array.from(document.querySelectorAll('#timeline-chart .textpoint text'), e => e.textContent)")
    assert "FENCE" in labels
    assert "sd-sandbox-pve02 was fenced" in " ".join(loaded.page.locator("#timeline").text_content().split())
    assert loaded.page.locator('[data-code="PVE103"]').count() == 1


def test_findings_page_marks_disruptive_fixes_and_escapes_every_text():
    from forewarn.model.findings import EvidenceRef, Finding, FixStep, Severity, Status, When
    from forewarn.report.html import render_html
    from forewarn.report.model import Report

    hostile = "<script>alert('x')</script>"
    f = Finding(code="PVE999", name="test", title=f"title {hostile}", severity=Severity.CRITICAL, status=Status.FAIL,
                family="PVE", message=f"message {hostile}", nodes=("pve1",), when=When.NOW, cause=f"cause {hostile}",
                evidence=[EvidenceRef("log.syslog", "pve1", f"pve1/{hostile}", (7,), (f"line {hostile}",))],
                fix=[FixStep("pvecm status", node="pve1"),
                     FixStep(f"pvecm expected 1 {hostile}", node="pve1", safe=False),
                     FixStep("", note=f"manual {hostile}")])
    low = Finding(code="NET999", name="n", title="low one", severity=Severity.LOW, status=Status.FAIL, family="NET",
                  nodes=("pve2",))
    cnc = Finding(code="LVM999", name="lvm-x", title="t", severity=Severity.HIGH, status=Status.COULD_NOT_CHECK,
                  family="LVM", message="not checked: needs host.lvs", missing=("host.lvs",))
    page = render_html(Report("scan", f"src {hostile}", [low, f, cnc], nodes=["pve1", "pve2"], inputs=[hostile]))
    assert "<script>alert" not in page and page.count("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;") == 10
    assert '<code class="cmd disruptive">$ pvecm expected 1' in page and "DISRUPTIVE — read before running" in page
    assert page.count("DISRUPTIVE") == 1 and '<code class="cmd">$ pvecm status</code>' in page
    assert page.index('data-code="PVE999"') < page.index('data-code="NET999"')  # worst first
    assert "LVM999" in page.split('id="could-not-check"')[1]
    assert "worst: CRITICAL" in page and "plotly" not in page.lower()  # no chart, no Plotly


def test_inline_markdown_in_messages_and_fix_steps_is_rendered_and_stays_escaped():
    from forewarn.model.findings import Finding, FixStep, Severity, Status
    from forewarn.report.html import render_html
    from forewarn.report.model import Report

    f = Finding(code="PVE999", name="t", title="t", severity=Severity.HIGH, status=Status.FAIL, family="PVE",
                message="11 `Token has not been received` warnings", nodes=("pve1",),
                fix=[FixStep("", note="run `pct unlock 100` **only** if no task runs; `<b>x</b>`")])
    page = render_html(Report("scan", "src", [f], nodes=["pve1"]))
    assert "11 <code>Token has not been received</code> warnings" in page
    assert "run <code>pct unlock 100</code> <strong>only</strong> if no task runs" in page
    assert "<code>&lt;b&gt;x&lt;/b&gt;</code>" in page and "`" not in page.split('id="findings"')[1].split("</section>")[0]


LAYOUT = """() => {
  const box = s => { const e = document.querySelector(s); if (!e) return null;
                     const r = e.getBoundingClientRect(); return {l: r.left, r: r.right, t: r.top, b: r.bottom, w: r.width, h: r.height}; };
  const all = s => Array.from(document.querySelectorAll(s)).map(e => { const r = e.getBoundingClientRect();
                     return {l: r.left, r: r.right, t: r.top, b: r.bottom}; });
  return {svg: box('#timeline-chart .main-svg'), plot: box('#timeline-chart .xy .nsewdrag'),
          legend: box('#timeline-chart .legend'), xtitle: box('#timeline-chart .g-xtitle'),
          ticks: all('#timeline-chart .ytick text'), annotations: all('#timeline-chart .annotation')};
}"""


@pytest.mark.parametrize("width", [800, 1400])
def test_chart_layout_at_narrow_and_wide_pages(pages, browser, width, tmp_path):
    """The legend is below the chart (at most a quarter of its width beside the plot: none), the
    axis title and lane names are inside the chart, and the legend overlaps nothing."""
    page = browser.new_page()
    page.set_viewport_size({"width": width, "height": 1000})
    try:
        page.goto(pages["lab"].as_uri(), wait_until="load")
        page.wait_for_selector("#timeline-chart .main-svg", timeout=30000)
        g = page.evaluate(LAYOUT)
        page.locator("#timeline-chart").screenshot(path=str(tmp_path / f"chart-{width}.png"))
    finally:
        page.close()
    svg, plot, legend = g["svg"], g["plot"], g["legend"]
    assert svg["r"] <= width  # the chart fits the page
    assert svg["r"] - plot["r"] <= 0.25 * svg["w"], g  # nothing wide beside the plot
    assert legend["t"] >= plot["b"], g  # the legend is below the plot, not on it
    assert svg["l"] <= legend["l"] and legend["r"] <= svg["r"] + 1 and legend["b"] <= svg["b"] + 1, g
    xt = g["xtitle"]
    assert xt and svg["l"] <= xt["l"] and xt["r"] <= svg["r"] and xt["b"] <= legend["t"] + 1, g
    for t in g["ticks"]:  # lane names are not cut at the left edge
        assert t["l"] >= svg["l"] - 1, g
