"""The views in a real browser: Debian's Chromium driven by Playwright, offline.

Every page is opened from file:// in an offline browser context; a test fails on any request
other than the page itself and on any console error. Skipped when Playwright or
/usr/bin/chromium is missing (`.ci/run` installs both, so CI runs them)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import flowgraph as fg
from flowgraph.views.graph import graph_html
from flowgraph.views.sankey import sankey_html

from .view_cases import AB, CHAIN_MASS, chain, small_park

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-default-apps", "--disable-extensions"]
GRAPHS = "Object.values(window.flowgraph.graphs)"


@pytest.fixture(scope="session")
def browser():
    """One Playwright and one Chromium for the whole session. Without them the tests skip,
    unless FLOWGRAPH_REQUIRE_BROWSER is set (CI sets it): then they fail."""
    required = bool(os.environ.get("FLOWGRAPH_REQUIRE_BROWSER"))
    try:
        from playwright import sync_api
    except ImportError:
        if required:
            pytest.fail("playwright is not installed (pip install -e '.[browser]')")
        pytest.skip("playwright is not installed (pip install -e '.[browser]')")
    if not CHROMIUM.exists():
        if required:
            pytest.fail(f"{CHROMIUM} is not installed (apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@dataclass
class Opened:
    page: object
    url: str
    requests: list = field(default_factory=list)
    errors: list = field(default_factory=list)

    def assert_clean(self):
        assert self.requests == [self.url], f"requests beyond the file: {self.requests}"
        assert self.errors == [], f"console errors: {self.errors}"


@pytest.fixture
def open_page(browser, tmp_path):
    """Write HTML to a file and open it offline; returns an Opened."""
    contexts = []

    def _open(html: str, name: str = "view.html", wait_graph: bool = True) -> Opened:
        path = tmp_path / name
        path.write_text(html, encoding="utf-8")
        ctx = browser.new_context(offline=True, viewport={"width": 1280, "height": 900})
        contexts.append(ctx)
        page = ctx.new_page()
        opened = Opened(page, path.resolve().as_uri())
        page.on("request", lambda r: opened.requests.append(r.url))
        page.on("console", lambda m: opened.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: opened.errors.append(str(e)))
        page.goto(opened.url)
        if wait_graph:
            page.wait_for_function(f"window.flowgraph && {GRAPHS}.length > 0 && "
                                   f"{GRAPHS}.every(g => g.rendered)", timeout=20000)
        return opened

    yield _open
    for ctx in contexts:
        ctx.close()


def rendered_counts(page, index: int = 0) -> dict:
    return page.evaluate(f"""() => {{
        const g = {GRAPHS}[{index}];
        return {{nodes: g.network.body.nodeIndices.length,
                 edges: g.network.body.edgeIndices.length,
                 dataNodes: g.nodes.length, dataEdges: g.edges.length,
                 ids: g.network.body.edgeIndices.slice().sort()}};
    }}""")


def test_graph_renders_every_node_and_flow_offline(open_page):
    r = chain().solve()
    opened = open_page(graph_html(r))
    counts = rendered_counts(opened.page)
    assert counts["nodes"] == counts["dataNodes"] == r.compiled.n_nodes == 6
    assert counts["edges"] == counts["dataEdges"] == r.compiled.n_flows == 7
    assert counts["ids"] == sorted(r.flows.index)
    assert opened.page.inner_text(".fg-count") == "6 nodes, 7 flows shown"
    opened.assert_clean()


def test_tooltip_shows_the_flow_quantity(open_page):
    opened = open_page(graph_html(chain().solve()))
    page = opened.page
    point = page.evaluate(f"""() => {{
        const g = {GRAPHS}[0];
        const p = g.network.body.edges["ab"].edgeType.getPoint(0.5);
        const d = g.network.canvasToDOM(p);
        const r = g.network.canvas.frame.canvas.getBoundingClientRect();
        return {{x: r.left + d.x, y: r.top + d.y}};
    }}""")
    page.mouse.move(point["x"] - 3, point["y"])
    page.mouse.move(point["x"], point["y"])
    page.wait_for_function("() => { const t = document.querySelector('div.vis-tooltip');"
                           " return t && t.style.visibility === 'visible'; }", timeout=5000)
    text = page.inner_text("div.vis-tooltip")
    assert text.splitlines()[0] == "ab"
    assert f"quantity: {AB:,.6g} t" in text                      # 98.9011 t by hand
    opened.assert_clean()


def test_filters_and_search(open_page):
    opened = open_page(graph_html(small_park().solve()))
    page = opened.page
    # firm filter: hide the fish farm -> its pond and the two flows touching it go
    page.click(".fg-filter[data-filter=firm] summary")
    page.uncheck('.fg-filter[data-filter=firm] input[data-firm="farm"]')
    page.wait_for_timeout(100)
    c = rendered_counts(page)
    assert (c["nodes"], c["edges"]) == (6, 5)
    assert page.inner_text(".fg-count") == "6 nodes, 5 flows shown"
    page.check('.fg-filter[data-filter=firm] input[data-firm="farm"]')
    # carrier filter: hide limestone -> one flow fewer, no node hidden
    page.click(".fg-filter[data-filter=carrier] summary")
    page.uncheck('.fg-filter[data-filter=carrier] input[data-carrier="limestone"]')
    page.wait_for_timeout(100)
    c = rendered_counts(page)
    assert (c["nodes"], c["edges"]) == (7, 6)
    page.click('.fg-filter[data-filter=carrier] button[data-all="1"]')
    # search selects and reports what it found
    found = page.evaluate(f"() => {GRAPHS}[0].search('scrub')")
    assert found == ["scrubber"]
    assert page.evaluate(f"() => {GRAPHS}[0].network.getSelectedNodes()") == ["scrubber"]
    assert page.inner_text(".fg-search-result") == "1 found"
    opened.assert_clean()


def test_park_is_drawn_on_the_map_in_firm_colours(open_page):
    opened = open_page(graph_html(small_park().solve()))
    page = opened.page
    pos = page.evaluate(f"() => {GRAPHS}[0].network.getPositions()")
    assert pos["boiler"]["x"] < pos["board line"]["x"] < pos["ponds"]["x"]
    assert pos["board line"]["y"] < pos["ponds"]["y"]             # further north: higher up
    colours = page.evaluate(f"() => {GRAPHS}[0].nodes.get().map(n => [n.id, n.firm, "
                            f"n.color.background])")
    by_firm = {}
    for _, firm, colour in colours:
        by_firm.setdefault(firm, set()).add(colour)
    assert all(len(c) == 1 for c in by_firm.values())
    assert len({next(iter(c)) for f, c in by_firm.items() if f}) == 3
    assert page.evaluate(f"() => {GRAPHS}[0].spec.options.physics.enabled") is False
    opened.assert_clean()


def test_force_layout_settles_and_stops(open_page):
    opened = open_page(graph_html(small_park(geo=False).solve()))
    page = opened.page
    page.wait_for_function(f"() => {GRAPHS}[0].network.physics.options.enabled === false",
                           timeout=20000)
    assert rendered_counts(page)["nodes"] == 7
    opened.assert_clean()


def test_sankey_links_match_the_result(open_page):
    r = chain().solve()
    opened = open_page(sankey_html(r, "mass", group_by=None), wait_graph=False)
    page = opened.page
    page.wait_for_selector(".js-plotly-plot .sankey-link", state="attached", timeout=20000)
    data = page.evaluate("""() => {
        const gd = document.querySelector('.js-plotly-plot');
        const t = gd.data[0];
        return {labels: t.node.label, source: t.link.source, target: t.link.target,
                value: t.link.value, text: t.link.customdata,
                drawn: gd.querySelectorAll('.sankey-link').length};
    }""")
    got = {text.split(" ")[0]: (data["labels"][s], data["labels"][t], v)
           for s, t, v, text in zip(data["source"], data["target"], data["value"], data["text"])}
    f = r.flows
    assert set(got) == set(CHAIN_MASS)                 # power carries no mass: not a link
    for fid, value in CHAIN_MASS.items():
        src, dst, v = got[fid]
        labels = {"a": "Mill", "b": "Kiln"}
        assert (src, dst) == (labels.get(f.loc[fid, "source"], f.loc[fid, "source"]),
                              labels.get(f.loc[fid, "target"], f.loc[fid, "target"]))
        assert v == pytest.approx(value, rel=1e-9)
    assert data["drawn"] == len(CHAIN_MASS)            # the recycle loop is drawn too
    opened.assert_clean()


def test_run_report_opens_offline(open_page, tmp_path):
    from flowgraph.app.runner import run_case
    from flowgraph.views.render import page_html, report_html
    case = fg.load("cases/demo")
    report = run_case(case)
    opened = open_page(report_html(report), "report.html")
    page = opened.page
    r = case.result()
    counts = rendered_counts(page)
    assert (counts["nodes"], counts["edges"]) == (r.compiled.n_nodes, r.compiled.n_flows)
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot .sankey').length === 2",
                           timeout=20000)
    drawn = page.evaluate("""() => [...document.querySelectorAll('.js-plotly-plot')].map(
        gd => [gd.data[0].link.value.length, gd.querySelectorAll('.sankey-link').length])""")
    mass_links = int((r.flows["quantity"] * r.compiled.W[:, 0] > 0).sum())
    assert drawn[0] == [mass_links, mass_links]
    assert drawn[1][0] == drawn[1][1] > r.compiled.n_flows        # cost: plus own costs
    # the fines recycle is among the mass links (a loop, drawn)
    assert "fines (fines)" in page.evaluate(
        "() => document.querySelectorAll('.js-plotly-plot')[0].data[0].link.customdata")
    opened.assert_clean()
    graph_page = open_page(page_html(report.files["graph.html"]), "graph.html")
    assert rendered_counts(graph_page.page)["edges"] == r.compiled.n_flows
    graph_page.assert_clean()


def test_big_view_renders(open_page):
    """A 2,000-node layered network draws with physics off and straight edges."""
    import numpy as np
    import pandas as pd
    n = 2000
    nodes = pd.DataFrame({"id": ["src", *[f"p{i}" for i in range(n - 2)], "sink"],
                          "kind": ["source", *["process"] * (n - 2), "sink"]})
    chain_ids = nodes["id"].tolist()
    quantity = np.full(n - 1, np.nan)
    quantity[0] = 100.0                       # the balances carry it down the chain
    flows = pd.DataFrame({"source": chain_ids[:-1], "target": chain_ids[1:], "carrier": "m",
                          "quantity": quantity})
    net = fg.Network.from_frames(nodes, flows, [{"name": "m", "kind": "material", "unit": "t"}])
    opened = open_page(graph_html(net.solve()))
    counts = rendered_counts(opened.page)
    assert (counts["nodes"], counts["edges"]) == (n, n - 1)
    assert opened.page.evaluate(f"() => {GRAPHS}[0].spec.options.physics.enabled") is False
    opened.assert_clean()


def test_screenshot_tool(browser, tmp_path):
    """python -m flowgraph.views.browser: a PNG of the page, exit 0 when it is clean."""
    import subprocess
    import sys
    page = tmp_path / "graph.html"
    page.write_text(graph_html(chain().solve()), encoding="utf-8")
    png = tmp_path / "graph.png"
    done = subprocess.run([sys.executable, "-m", "flowgraph.views.browser", str(page), str(png),
                           "--width", "800", "--height", "500"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "requests beyond the file: 0; console errors: 0" in done.stdout


def test_two_graphs_on_one_page(open_page):
    from flowgraph.views.graph import graph_section
    from flowgraph.views.page import html_page
    page = html_page("two", [graph_section(chain().solve()), graph_section(small_park().solve())])
    opened = open_page(page)
    assert [rendered_counts(opened.page, i)["nodes"] for i in (0, 1)] == [6, 7]
    opened.assert_clean()
