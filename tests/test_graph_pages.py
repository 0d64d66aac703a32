"""The graph page of every bundled case in headless Chromium at 1400 x 900, offline.

For each case: no console error, no request beyond the file, no horizontal overflow; every
node and every (bundled) edge drawn, the bundles holding every flow once; node labels at the
default zoom legible (10 px or more on the screen), inside the canvas and not overlapping
each other or another node (bounding boxes from vis-network's own label sizes); the click
panel shows the node's balances, costs and flows as the Result has them; the PNG and SVG
buttons save a PNG and an SVG of the drawing. A screenshot of each page, and one with the
panel open, is written to out/screenshots/graph/ (FLOWGRAPH_SCREENSHOTS overrides
out/screenshots) to be looked at.

Skipped without Playwright or /usr/bin/chromium, unless FLOWGRAPH_REQUIRE_BROWSER is set.
"""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import flowgraph as fg
from flowgraph.numbers import fmt
from flowgraph.views.graph import graph_view

ROOT = Path(__file__).resolve().parent.parent
CASES = sorted(p.name for p in (ROOT / "cases").iterdir() if (p / "case.toml").exists())
ARTEFACTS = Path(os.environ.get("FLOWGRAPH_SCREENSHOTS", ROOT / "out" / "screenshots")) / "graph"
G = "Object.values(window.flowgraph.graphs)[0]"
#: the smallest node label on the screen at the default zoom, px
LEGIBLE = 10.0

BOXES = f"""() => {{
    const g = {G}, net = g.network;
    const frame = net.canvas.frame.canvas.getBoundingClientRect();
    return {{scale: net.getScale(), width: frame.width, height: frame.height,
             nodes: g.nodeView.getIds().map(id => {{
        const n = net.body.nodes[id], s = n.labelModule.size, r = n.options.size;
        const a = net.canvasToDOM({{x: s.left, y: s.top}});
        const b = net.canvasToDOM({{x: s.left + s.width, y: s.top + s.height}});
        const c = net.canvasToDOM({{x: n.x - r, y: n.y - r}});
        const d = net.canvasToDOM({{x: n.x + r, y: n.y + r}});
        return {{id, text: n.options.label || "", font: n.options.font.size,
                 label: [a.x, a.y, b.x, b.y], shape: [c.x, c.y, d.x, d.y]}};
    }})}};
}}"""


@pytest.fixture(scope="module")
def chromium(chromium_session):
    """The session's one Chromium (tests/conftest.py: Playwright's sync API runs one
    instance per process)."""
    return chromium_session


@pytest.fixture
def page_of(chromium, tmp_path):
    """Write a page, open it offline at 1400 x 900 and wait for the graph's first frame;
    returns the page with .requests (beyond the file) and .errors (console)."""
    contexts = []

    def _open(html: str, name: str):
        path = tmp_path / f"{name}.html"
        path.write_text(html, encoding="utf-8")
        ctx = chromium.new_context(offline=True, viewport={"width": 1400, "height": 900},
                                   accept_downloads=True)
        contexts.append(ctx)
        page = ctx.new_page()
        url = path.resolve().as_uri()
        page.requests, page.errors = [], []
        page.on("request", lambda r: page.requests.append(r.url)
                if r.url != url and not r.url.startswith(("data:", "blob:")) else None)
        page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: page.errors.append(str(e)))
        page.goto(url)
        page.wait_for_function(f"window.flowgraph && {G} && {G}.rendered", timeout=30000)
        page.wait_for_timeout(300)
        return page

    yield _open
    for ctx in contexts:
        ctx.close()


@pytest.fixture(scope="module")
def results():
    return {}


def _result(results, case):
    """The case's base Result, or its network when the balances alone cannot solve it
    (reconcile_demo: readings to reconcile; the view then shows the given quantities)."""
    if case not in results:
        c = fg.load(ROOT / "cases" / case)
        try:
            results[case] = c.result()
        except fg.BalanceError:
            results[case] = c.network
    return results[case]


def _ids(obj):
    """Node and flow ids of a Result or Network."""
    if isinstance(obj, fg.Network):
        return sorted(map(str, obj.node_frame().index)), sorted(map(str, obj.flow_frame().index))
    return sorted(map(str, obj.compiled.node_ids)), sorted(map(str, obj.flows.index))


def _overlaps(boxes, pad: float = 0.5) -> list:
    """Pairs of labels overlapping each other, and labels over another node's shape."""
    out = []
    nodes = [b for b in boxes if b["text"].strip()]
    for i, a in enumerate(nodes):
        la = a["label"]
        for b in nodes[i + 1:]:
            lb = b["label"]
            if min(la[2], lb[2]) - max(la[0], lb[0]) > pad and \
                    min(la[3], lb[3]) - max(la[1], lb[1]) > pad:
                out.append((a["id"], b["id"], "label"))
        for b in boxes:
            if b is a:
                continue
            sb = b["shape"]
            if min(la[2], sb[2]) - max(la[0], sb[0]) > pad and \
                    min(la[3], sb[3]) - max(la[1], sb[1]) > pad:
                out.append((a["id"], b["id"], "node"))
    return out


@pytest.mark.parametrize("case", CASES)
def test_graph_page_reads_on_every_case(page_of, results, case):
    r = _result(results, case)
    view = graph_view(r)
    page = page_of(view.html(), case)
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / f"{case}.png"))
    assert page.errors == [], page.errors
    assert page.requests == [], page.requests
    assert page.evaluate("document.documentElement.scrollWidth <= "
                         "document.documentElement.clientWidth")
    # every node and every edge drawn; the bundles hold every flow once
    drawn = page.evaluate(f"""() => {{ const g = {G};
        return {{nodes: g.network.body.nodeIndices.slice().sort(),
                 edges: g.network.body.edgeIndices.length,
                 members: g.edges.get().flatMap(e => e.members || [e.id])}}; }}""")
    node_ids, flow_ids = _ids(r)
    assert drawn["nodes"] == node_ids
    assert drawn["edges"] == len(view.edges)
    assert sorted(drawn["members"]) == flow_ids
    # labels legible, inside the canvas, apart from each other and from other nodes
    boxes = page.evaluate(BOXES)
    font = boxes["scale"] * boxes["nodes"][0]["font"]
    assert font >= LEGIBLE, f"labels {font:.1f} px at the default zoom"
    for b in boxes["nodes"]:
        x0, y0, x1, y1 = b["label"] if b["text"].strip() else b["shape"]
        assert x0 >= -1 and y0 >= -1 and x1 <= boxes["width"] + 1 and \
            y1 <= boxes["height"] + 1, f"{b['id']} outside the canvas"
    assert _overlaps(boxes["nodes"]) == []
    # the values written on edges cover no other value, node or node label
    texts = page.evaluate(EDGE_TEXTS)
    assert _edge_text_overlaps(texts, boxes["nodes"]) == []


#: the boxes of the texts drawn on edges (vis-network's own label sizes), in page px
EDGE_TEXTS = f"""() => {{
    const g = {G}, net = g.network;
    return g.edgeView.getIds().map(id => net.body.edges[id]).filter(
        e => e && (e.options.label || "").trim() && e.labelModule.size.width).map(e => {{
        const s = e.labelModule.size;
        const a = net.canvasToDOM({{x: s.left, y: s.top}});
        const b = net.canvasToDOM({{x: s.left + s.width, y: s.top + s.height}});
        return {{id: e.id, box: [a.x, a.y, b.x, b.y]}};
    }});
}}"""


def _edge_text_overlaps(texts, nodes, pad: float = 1.0) -> list:
    def hit(a, b):
        return min(a[2], b[2]) - max(a[0], b[0]) > pad and \
            min(a[3], b[3]) - max(a[1], b[1]) > pad
    out = []
    for i, t in enumerate(texts):
        out += [(t["id"], u["id"]) for u in texts[i + 1:] if hit(t["box"], u["box"])]
        out += [(t["id"], n["id"]) for n in nodes
                if hit(t["box"], n["shape"]) or (n["text"].strip() and hit(t["box"], n["label"]))]
    return out


def _blank(v) -> bool:
    """Not given: None, NaN, an empty text, list or table."""
    if isinstance(v, (list, tuple, dict, str)):
        return not v
    return v is None or v != v


def _open_panel(page, node):
    point = page.evaluate(f"""(id) => {{ const g = {G};
        const p = g.network.getPositions([id])[id]; const d = g.network.canvasToDOM(p);
        const c = g.network.canvas.frame.canvas.getBoundingClientRect();
        return {{x: c.left + d.x, y: c.top + d.y}}; }}""", node)
    page.mouse.click(point["x"], point["y"])
    page.wait_for_selector(".fg-panel:not([hidden])", timeout=5000)
    assert page.get_attribute(".fg-panel", "data-node") == node


def _busiest(r) -> str:
    f = r.flows
    counts = f["source"].value_counts().add(f["target"].value_counts(), fill_value=0)
    inner = r.nodes.index[~r.nodes["kind"].isin(["source", "sink"])]
    counts = counts.reindex(inner).dropna()
    return str(counts.idxmax()) if len(counts) else str(r.nodes.index[0])


@pytest.mark.parametrize("case", CASES)
def test_click_panel_shows_the_result(page_of, results, case):
    r = _result(results, case)
    if isinstance(r, fg.Network):
        pytest.skip(f"{case} does not solve without reconciliation (test_panel_of_a_draft)")
    page = page_of(graph_view(r).html(), case)
    node = _busiest(r)
    _open_panel(page, node)
    # the node's own flows stand out: the others fade
    faded = f"""() => {G}.edges.get().filter(e => e.color.opacity <= 0.1).map(e =>
        [e.from, e.to])"""
    fade = page.evaluate(faded)
    assert all(node not in ends for ends in fade)
    assert len(fade) == sum(node not in (e["from"], e["to"]) for e in
                            page.evaluate(f"() => {G}.edges.get()"))
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / f"{case}-panel.png"))
    # nothing runs out of the panel sideways (glyphosate's long carrier names pushed the
    # quantities out of sight until long names could break)
    assert page.evaluate("""() => { const p = document.querySelector('.fg-panel');
        return p.scrollWidth <= p.clientWidth + 1; }""")
    tables = page.evaluate("""() => [...document.querySelectorAll('.fg-panel table')].map(
        t => [...t.rows].map(r => [...r.cells].map(c => c.textContent)))""")
    heads = page.evaluate("() => [...document.querySelectorAll('.fg-panel h5')]"
                          ".map(h => h.textContent)")
    res = r.residuals[r.residuals["node"].astype(str) == node]
    expect = [[str(row.layer), fmt(row["in"]), fmt(row.out), fmt(row.stock), fmt(row.residual),
               str(row.unit)] for _, row in res.iterrows()]
    k = 0
    frame = r.network.node_frame()
    given = [c for c in frame.columns if c not in ("id", "kind", "label", "firm", "sector",
                                                   "stage", "system", "_origin")
             and not _blank(frame.loc[node, c])]
    if given:
        assert heads[0].startswith("Given (") and [row[0] for row in tables[0][1:]] == given
        k = 1
    if expect:
        assert heads[k] == "Balances by layer"
        assert tables[k][1:] == expect
        k += 1
    costs = {row[0]: row[1] for row in tables[k][1:]}
    assert costs["cost in"] == fmt(r.nodes.loc[node, "cost_in"])
    assert costs["cost out"] == fmt(r.nodes.loc[node, "cost_out"])
    assert costs["cost of negative products (loss)"] == fmt(r.nodes.loc[node, "loss_cost"])
    f = r.flows
    n_in, n_out = int((f["target"] == node).sum()), int((f["source"] == node).sum())
    assert f"Inflows ({n_in})" in heads and f"Outflows ({n_out})" in heads
    inflows = tables[k + 1][1:] if n_in else []
    names = {str(i): (lb if isinstance(lb, str) and lb else str(i))
             for i, lb in zip(f.index, f["label"])}
    got = sorted(row[0] for row in inflows)
    assert got == sorted(names[i] for i in f.index[f["target"] == node])
    for row in inflows:
        fid = next(i for i in f.index[f["target"] == node] if names[i] == row[0])
        assert row[3] == f"{fmt(f.loc[fid, 'quantity'])} {f.loc[fid, 'unit']}"
    page.click(".fg-panel-close")
    assert page.evaluate(faded) == []
    assert page.errors == [] and page.requests == []


def test_click_panel_shows_a_units_data_as_given(page_of, results):
    """A park's unit without flows (eip_energy): the panel shows what units.csv gives for
    it, with units, years as years, and the file and line it comes from."""
    page = page_of(graph_view(_result(results, "eip_energy")).html(), "eip_energy")
    _open_panel(page, "U01")
    head = page.evaluate("() => document.querySelector('.fg-panel h5').textContent")
    rows = page.evaluate("""() => [...document.querySelector('.fg-panel table').rows].map(
        r => [...r.cells].map(c => c.textContent))""")
    assert head == "Given (units.csv:2)"
    assert rows[1:] == [["fuel", "coal"], ["output", "chp"], ["capacity_mw", "12 MW"],
                        ["start_year", "1998"], ["lifetime", "25 yr"], ["hours", "5000 h"],
                        ["heat_to_power", "2"]]
    assert page.errors == []


@pytest.mark.parametrize("case", ["demo", "iron_oxide_red", "kalundborg"])
def test_export_buttons_save_png_and_svg(page_of, results, case, tmp_path):
    r = _result(results, case)
    view = graph_view(r)
    page = page_of(view.html(), case)
    with page.expect_download() as dl:
        page.click(".fg-png")
    png = tmp_path / "graph.png"
    dl.value.save_as(png)
    assert dl.value.suggested_filename.endswith(".png")
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
    with page.expect_download() as dl:
        page.click(".fg-svg")
    svg = tmp_path / "graph.svg"
    dl.value.save_as(svg)
    assert dl.value.suggested_filename.endswith(".svg")
    root = ET.parse(svg).getroot()
    ns = {"s": "http://www.w3.org/2000/svg"}
    groups = root.findall(".//s:g[@class='node']", ns)
    assert sorted(g.get("data-id") for g in groups) == sorted(n["id"] for n in view.nodes)
    paths = root.findall(".//s:g[@class='edges']/s:path[@data-id]", ns)
    assert sorted(p.get("data-id") for p in paths) == sorted(e["id"] for e in view.edges)
    texts = "".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}tspan"))
    first = re.sub(r"\s+", "", view.nodes[0]["label"])
    assert first in re.sub(r"\s+", "", texts)
    (ARTEFACTS / f"{case}.svg").write_bytes(svg.read_bytes())
    assert page.errors == [] and page.requests == []


def test_value_labels_switch(page_of, results):
    r = _result(results, "iron_oxide_red")
    page = page_of(graph_view(r).html(), "iron_oxide_red")
    edges = f"() => {G}.edges.get().map(e => [e.id, e.label, e.amount, e.carrier])"
    labels = page.evaluate(edges)
    shown = [lb for _, lb, _, _ in labels if lb.strip()]
    assert len(shown) >= len(labels) / 2                              # values at first
    assert all(lb == amount for _, lb, amount, _ in labels if lb.strip())
    assert all(re.match(r"^[\d,.]+ \S+$", amount) for _, _, amount, _ in labels)
    left_out = len(labels) - len(shown)
    count = page.text_content(".fg-count")
    assert (f"{left_out} label" in count) if left_out else ("hidden" not in count)
    page.select_option(".fg-label-mode", "carrier")
    page.wait_for_timeout(100)
    got = page.evaluate(edges)
    assert all(lb == carrier for _, lb, _, carrier in got if lb.strip())
    assert dict((i, lb) for i, lb, _, _ in got)["slurry"] == "iron oxide slurry"
    page.select_option(".fg-label-mode", "none")
    page.wait_for_timeout(100)
    drawn = page.evaluate(f"() => {G}.network.body.edges['slurry'].options.label")
    assert drawn.strip() == ""
    assert page.errors == [] and page.requests == []
