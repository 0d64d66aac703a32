"""The views in a real browser: Debian's Chromium driven by Playwright, offline.

Every page is opened from file:// in an offline browser context; a test fails on any request
other than the page itself and on any console error. Skipped when Playwright or
/usr/bin/chromium is missing (`.ci/run` installs both, so CI runs them)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest

import flowgraph as fg
from flowgraph.views.graph import graph_html
from flowgraph.views.sankey import sankey_html

from .view_cases import AB, CHAIN_MASS, chain, small_park

GRAPHS = "Object.values(window.flowgraph.graphs)"


@pytest.fixture(scope="session")
def browser(chromium_session):
    """The session's one Chromium (tests/conftest.py: Playwright's sync API runs one
    instance per process)."""
    return chromium_session


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
    # values that would overlap are left out, and counted
    assert re.fullmatch(r"6 nodes, 7 flows shown(; \d+ labels? hidden \(overlap\))?",
                        opened.page.inner_text(".fg-count"))
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
    assert page.inner_text(".fg-count").startswith("6 nodes, 5 flows shown")
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


#: the links a Sankey page draws (sankey.js, SVG): one per bundle of flows
SANKEY_LINKS = """() => [...document.querySelectorAll('.fg-sankey')].map(root =>
    [...root.querySelectorAll('path.fg-link')].map(p => ({
        s: p.getAttribute('data-source'), t: p.getAttribute('data-target'),
        value: +p.getAttribute('data-value'), carrier: p.getAttribute('data-carrier'),
        flows: p.querySelector('title').textContent.split('flows: ')[1],
        ret: p.classList.contains('fg-return')})))"""
SANKEY_DRAWN = ("() => [...document.querySelectorAll('.fg-sankey')].every("
                "r => r.getAttribute('data-rendered') === '1')")


def test_sankey_links_match_the_result(open_page):
    r = chain().solve()
    opened = open_page(sankey_html(r, "mass", group_by=None), wait_graph=False)
    page = opened.page
    page.wait_for_function(SANKEY_DRAWN, timeout=20000)
    links = page.evaluate(SANKEY_LINKS)[0]
    labels = dict(zip(page.eval_on_selector_all(
        "rect.fg-node", "rs => rs.map(r => r.getAttribute('data-node'))"),
        page.eval_on_selector_all("text.fg-node-label", "ts => ts.map(t => [...t.querySelectorAll('tspan')].map(s => s.textContent).join(' '))")))
    got = {k["flows"]: (k["s"], k["t"], k["value"], k["ret"]) for k in links}
    f = r.flows
    assert set(got) == set(CHAIN_MASS)                 # power carries no mass: not a link
    for fid, value in CHAIN_MASS.items():
        src, dst, v, ret = got[fid]
        assert (src, dst) == (f.loc[fid, "source"], f.loc[fid, "target"])
        assert v == pytest.approx(value, rel=1e-9)
        assert ret == (fid == "back")                  # the recycle runs back, with an arrow
    assert labels["a"] == "Mill" and labels["b"] == "Kiln"
    assert page.locator("polygon.fg-arrow").count() == 1
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
    page.wait_for_function(SANKEY_DRAWN, timeout=20000)
    drawn = page.evaluate(SANKEY_LINKS)
    assert len(drawn) == 2                                        # mass and cost
    mass = r.flows[r.flows["quantity"] * r.compiled.W[:, 0] > 0]
    # one link per (source, target, carrier), carrying the flows' sum
    want = mass.groupby(["source", "target", "carrier"])["quantity"].sum()
    got = {(k["s"], k["t"], k["carrier"]): k["value"] for k in drawn[0]}
    assert sorted(got) == sorted(want.index)
    for key, v in want.items():
        assert got[key] == pytest.approx(v, rel=1e-9)
    cost_links = {(k["s"], k["t"]) for k in drawn[1]}
    assert any(s == "added at the centres" for s, _ in cost_links)  # cost: plus own costs
    # the fines recycle is among the mass links (a loop, drawn as a return link)
    assert [k["ret"] for k in drawn[0] if k["carrier"] == "fines"] == [True]
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
