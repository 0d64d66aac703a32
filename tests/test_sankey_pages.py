"""The Sankey pages in headless Chromium at 1400x900, for every bundled case and every
measure the page offers (switched in the page, without reloading): no console error, no
request beyond the file, no horizontal overflow, no two node labels overlapping and none
clipped (bounding boxes of the SVG text against each other and the drawing), every node and
link drawn, and the link values equal to the flows summed by hand. Screenshots go to
$FLOWGRAPH_SCREENSHOTS/sankey (default out/screenshots/sankey). Skipped without Playwright or
/usr/bin/chromium unless FLOWGRAPH_REQUIRE_BROWSER is set."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import flowgraph as fg
from flowgraph.numbers import fmt
from flowgraph.views.extract import measure, view_data

from .conftest import open_offline

CASES = sorted(p.name for p in Path("cases").iterdir() if (p / "case.toml").exists())
LOOKED_AT = ("pvc_carbide", "glyphosate", "kalundborg", "eip_energy", "iron_oxide_red", "demo")
SHOTS = Path(os.environ.get("FLOWGRAPH_SCREENSHOTS", Path(__file__).resolve().parent.parent
                           / "out" / "screenshots")) / "sankey"
ADDED = "added at the centres"

#: what the page draws, read from the DOM (boxes in CSS px of the window)
READ = """(root) => {
  root = root || document.querySelector('.fg-sankey');
  const box = e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
  const svg = root.querySelector('svg');
  return {
    svg: svg ? box(svg) : null,
    labels: [...root.querySelectorAll('text.fg-node-label')].map(t => ({
      node: t.getAttribute('data-node'), box: box(t),
      text: [...t.querySelectorAll('tspan')].map(s => s.textContent).join(' '),
      full: t.querySelector('title').textContent.split('\\n')[0]})),
    values: [...root.querySelectorAll('text.fg-value')].map(t => ({box: box(t), text: t.textContent,
      link: t.getAttribute('data-link')})),
    nodes: [...root.querySelectorAll('rect.fg-node')].map(r => r.getAttribute('data-node')),
    links: [...root.querySelectorAll('path.fg-link')].map(p => ({
      i: p.getAttribute('data-link'), s: p.getAttribute('data-source'),
      t: p.getAttribute('data-target'), carrier: p.getAttribute('data-carrier'),
      value: +p.getAttribute('data-value'), ret: p.classList.contains('fg-return')})),
    arrows: root.querySelectorAll('polygon.fg-arrow').length,
    empty: (root.querySelector('.fg-sankey-empty') || {}).textContent || null,
    note: root.querySelector('.fg-sankey-note').textContent,
    scroll: [document.documentElement.scrollWidth, document.documentElement.clientWidth],
    measures: [...root.querySelectorAll('select[data-k=measure] option')].map(o => o.value),
    groups: [...root.querySelectorAll('select[data-k=group] option')].map(o => o.value),
  };
}"""


@pytest.fixture(scope="module")
def chromium(chromium_session):
    """The session's one Chromium (tests/conftest.py: Playwright's sync API runs one
    instance per process)."""
    return chromium_session


class Page:
    """A page opened offline from a file at 1400x900, with its requests and errors."""

    def __init__(self, browser, path: Path):
        self.url = path.resolve().as_uri()
        self.page, self.requests, self.errors, self.ctx = open_offline(
            browser, path, "() => [...document.querySelectorAll('.fg-sankey')].every("
            "r => r.getAttribute('data-rendered') === '1')", timeout=20000)

    def read(self, root: int = 0) -> dict:
        return self.page.evaluate(f"() => ({READ})(document.querySelectorAll('.fg-sankey')"
                                  f"[{root}])")

    def choose(self, key: str, value: str, root: int = 0):
        self.page.locator(".fg-sankey").nth(root).locator(f"select[data-k={key}]") \
            .select_option(value)

    def assert_clean(self):
        assert self.requests == [self.url], f"requests beyond the file: {self.requests}"
        assert self.errors == [], f"console errors: {self.errors}"


def _overlap(a, b, tol=0.5) -> bool:
    return a[0] < b[2] - tol and b[0] < a[2] - tol and a[1] < b[3] - tol and b[1] < a[3] - tol


def assert_reads(drawn: dict, where: str):
    """No horizontal overflow; node labels apart, inside the drawing and the window; value
    labels apart from each other and from node labels."""
    width, client = drawn["scroll"]
    assert width <= client, f"{where}: the page overflows sideways ({width} > {client})"
    svg = drawn["svg"]
    labels = drawn["labels"]
    for lab in labels:
        b = lab["box"]
        assert b[2] > b[0] and lab["text"].strip(), f"{where}: {lab['node']} has no label"
        assert (b[0] >= svg[0] - 0.5 and b[2] <= svg[2] + 0.5 and b[1] >= svg[1] - 0.5
                and b[3] <= svg[3] + 0.5), f"{where}: label of {lab['node']} clipped: {b} {svg}"
        assert b[2] <= client, f"{where}: label of {lab['node']} beyond the window"
        shown = lab["text"].replace("…", "").split()
        assert all(w in lab["full"] or w.rstrip("-") in lab["full"] for w in shown), \
            f"{where}: label '{lab['text']}' is not taken from '{lab['full']}'"
    for i, a in enumerate(labels):
        for b in labels[i + 1:]:
            assert not _overlap(a["box"], b["box"]), \
                f"{where}: labels of {a['node']} and {b['node']} overlap"
    boxes = [v["box"] for v in drawn["values"]]
    for i, a in enumerate(boxes):
        assert not any(_overlap(a, b) for b in boxes[i + 1:]), f"{where}: values overlap"
        assert not any(_overlap(a, lab["box"], 1.0) for lab in labels), \
            f"{where}: a value covers a node label"


def hand_links(result, m: str, added: bool = True) -> pd.DataFrame:
    """The flows with an amount in measure m, summed by (source, target, carrier) with
    pandas, plus the amounts the centres add themselves for cost, tce and co2."""
    data = view_data(result)
    f = result.flows
    amount = measure(data, m)[0]
    frame = pd.DataFrame({"s": f["source"].astype(str), "t": f["target"].astype(str),
                          "carrier": f["carrier"].astype(str), "v": amount})
    c = result.compiled
    own = {"cost": c.node_costs.sum(axis=1), "cost_material": c.node_costs[:, 0],
           "cost_energy": c.node_costs[:, 1], "cost_system": c.node_costs[:, 2],
           "cost_waste": c.node_costs[:, 3], "tce": c.node_tce, "co2": c.node_co2}.get(m)
    if own is not None and added:
        own = np.asarray(own, dtype=float)
        frame = pd.concat([frame, pd.DataFrame({
            "s": ADDED, "t": [str(x) for x in c.node_ids], "carrier": m, "v": own})])
    frame = frame[np.isfinite(frame["v"]) & (frame["v"] > 0)]
    return frame.groupby(["s", "t", "carrier"])["v"].sum()


def assert_values(drawn: dict, expected: pd.Series, where: str):
    """Every link of the hand sums drawn once, with its value; every node touched drawn."""
    got = pd.Series({(k["s"], k["t"], k["carrier"]): k["value"] for k in drawn["links"]})
    assert len(got) == len(drawn["links"]), f"{where}: a link is drawn twice"
    assert sorted(got.index) == sorted(expected.index), f"{where}: links differ"
    np.testing.assert_allclose(got[expected.index].to_numpy(), expected.to_numpy(), rtol=1e-8,
                               err_msg=where)
    nodes = {n for k in expected.index for n in k[:2]}
    assert sorted(drawn["nodes"]) == sorted(nodes), f"{where}: nodes differ"
    assert drawn["arrows"] == sum(k["ret"] for k in drawn["links"])


def shot(page: Page, name: str):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.page.screenshot(path=str(SHOTS / f"{name}.png"))


def case_result(name: str):
    """The case's base result; a case of measurements that only closes once reconciled
    (reconcile_demo) gives its reconciled result."""
    case = fg.load(f"cases/{name}")
    try:
        return case.result()
    except fg.BalanceError:
        return case.network.reconcile()


@pytest.fixture(scope="module")
def results():
    return {c: case_result(c) for c in CASES}


def _page(chromium, tmp_path, html: str, name="sankey.html") -> Page:
    path = tmp_path / name
    path.write_text(html, encoding="utf-8")
    return Page(chromium, path)


@pytest.mark.parametrize("case", CASES)
def test_every_measure_of_every_case_reads(chromium, tmp_path, results, case):
    from flowgraph.views.sankey import sankey_html
    r = results[case]
    page = _page(chromium, tmp_path, sankey_html(r, "mass"))
    first = page.read()
    offered = first["measures"]
    data = view_data(r)
    with_links = [m for m in (*data.compiled.layers, "cost", "cost_material", "cost_energy",
                              "cost_system", "cost_waste", "value", "tce", "co2")
                  if len(hand_links(r, m))]
    assert [m for m in offered if m != "mass" or "mass" in with_links] == with_links
    if not with_links:                              # eip_energy: says so, draws nothing
        assert first["svg"] is None and "Nothing to draw" in first["empty"]
        assert "no flows" in first["empty"]
        shot(page, f"{case}-nothing")
    for m in with_links:
        page.choose("measure", m)
        drawn = page.read()
        where = f"{case} {m}"
        assert drawn["empty"] is None and drawn["svg"] is not None, where
        assert_reads(drawn, where)
        assert_values(drawn, hand_links(r, m), where)
        if case in LOOKED_AT:
            shot(page, f"{case}-{m}")
    page.assert_clean()


@pytest.mark.parametrize("case", CASES)
def test_groupings_and_bundles_read_and_keep_the_amounts(chromium, tmp_path, results, case):
    """Every grouping the page offers, and the bundles by carrier kind and by pair: labels
    read, and the links carry what the flows between groups carry (flows inside a group
    are left out, as the note says)."""
    from flowgraph.views.sankey import sankey_html
    r = results[case]
    page = _page(chromium, tmp_path, sankey_html(r, "mass"))
    first = page.read()
    if not first["measures"]:
        pytest.skip("nothing to draw")
    m = first["measures"][0]
    page.choose("measure", m)
    hand = hand_links(r, m)
    nodes = view_data(r).nodes
    for g in first["groups"]:
        page.choose("group", g)
        if g == "node":
            group = {n: n for n in nodes.index.astype(str)}
        else:
            kinds = {"source": "sources", "sink": "sinks", "utility": "utilities",
                     "process": "processes", "storage": "storage"}
            vals = nodes[g] if g != "kind" else pd.Series(None, index=nodes.index)
            group = {str(i): (v if isinstance(v, str) and v else kinds[k])
                     for i, v, k in zip(nodes.index, vals, nodes["kind"])}
        group[ADDED] = ADDED
        pairs = hand.rename(index=group, level=0).rename(index=group, level=1)
        pairs = pairs[[s != t for s, t, _ in pairs.index]]
        for bundle in ("carrier", "kind", "pair"):
            page.choose("bundle", bundle)
            drawn = page.read()
            where = f"{case} {m} by {g}, bundled by {bundle}"
            assert_reads(drawn, where)
            got = pd.DataFrame(drawn["links"]).groupby(["s", "t"])["value"].sum()
            want = pairs.groupby(level=[0, 1]).sum()
            assert sorted(got.index) == sorted(want.index), where
            np.testing.assert_allclose(got[want.index], want.to_numpy(), rtol=1e-8,
                                       err_msg=where)
            if bundle == "pair":               # one band per pair (links running back
                forward = [(k["s"], k["t"]) for k in drawn["links"] if not k["ret"]]
                assert len(forward) == len(set(forward)), where   # keep their own lanes)
        if case in LOOKED_AT and g != "node":
            shot(page, f"{case}-{m}-by-{g}")
        page.choose("bundle", "carrier")
    page.assert_clean()


def test_js_numbers_are_flowgraphs_numbers(chromium, tmp_path, results):
    from flowgraph.views.sankey import sankey_html
    page = _page(chromium, tmp_path, sankey_html(results["demo"], "mass"))
    values = [0.0, 1.0, -2.5, 0.650014, 959.723128, 2473.513217, 12906937.4, 1e-5, 1.5e-9,
              3.2e15, 999999.7, 123456.789, 0.000123456, 7.0, 100.0, 1234.5678, -0.0042]
    for digits in (3, 6):
        js = page.page.evaluate(f"() => {json.dumps(values)}.map(v => window.flowgraph.fmt(v, "
                                f"{digits}))")
        assert js == [fmt(v, digits) for v in values]
    # values on links: three figures, from 10,000 on with k, M, G (the caption says so)
    short = page.page.evaluate("() => [24, 959.72, 9999, 12345, 183087, 999700, 12906937.4, "
                               "2.66e9, 0.304].map(window.flowgraph.shortValue)")
    assert short == ["24", "960", "9,999", "12.3k", "183k", "1M", "12.9M", "2.66G", "0.304"]
    page.assert_clean()


def test_values_on_links_are_in_the_layers_unit(chromium, tmp_path, results):
    """The demo's mass links carry their amounts to three figures; the caption gives t."""
    from flowgraph.views.sankey import sankey_html
    r = results["demo"]
    page = _page(chromium, tmp_path, sankey_html(r, "mass"))
    drawn = page.read()
    texts = {v["text"] for v in drawn["values"]}
    # the pigment (959.7 t), the solution (2,474 t) and the recycled fines (24 t, a return)
    assert {"960", "2,474", "24"} <= texts
    caption = page.page.text_content(".fg-sankey-caption")
    assert caption.startswith("mass (t)") and caption.endswith("values in t")
    assert sum(k["ret"] for k in drawn["links"]) == 1 and drawn["arrows"] == 1
    page.assert_clean()


def test_a_dominant_loop_is_folded_with_a_note(chromium, tmp_path, results):
    """glyphosate's cooling-water return (9.6 Mt, twice what enters the plant) is drawn
    thin and dashed; the loop's forward link at its net flow; the note says so."""
    from flowgraph.views.sankey import sankey_html
    r = results["glyphosate"]
    page = _page(chromium, tmp_path, sankey_html(r, "mass"))
    drawn = page.read()
    assert "Folded loop: 9,625,186 t of circulating water" in drawn["note"]
    back = page.page.evaluate("""() => {
        const p = [...document.querySelectorAll('path.fg-return')].find(
            p => p.getAttribute('data-source') === 'cooling');
        return [p.getAttribute('stroke-dasharray'), +p.getAttribute('stroke-width'),
                +p.getAttribute('data-value')]; }""")
    assert back[0] and back[1] <= 2.5
    assert back[2] == pytest.approx(r.flows.loc["cooling water return", "quantity"])
    net = page.page.evaluate("""() => +[...document.querySelectorAll('path.fg-link')].find(
        p => p.getAttribute('data-source') === 'circulating water').getAttribute('data-drawn')""")
    f = r.flows
    assert net == pytest.approx(f.loc["cooling water", "quantity"]
                                - f.loc["cooling water return", "quantity"])
    page.assert_clean()


def test_export_buttons_download_svg_and_png(chromium, tmp_path, results):
    from flowgraph.views.sankey import sankey_html
    page = _page(chromium, tmp_path, sankey_html(results["demo"], "cost"))
    for what, magic in (("svg", b"<?xml"), ("png", b"\x89PNG")):
        with page.page.expect_download() as info:
            page.page.click(f"button[data-export={what}]")
        download = info.value
        assert download.suggested_filename.endswith(f".{what}")
        target = tmp_path / download.suggested_filename
        download.save_as(target)
        head = target.read_bytes()[:8]
        assert head.startswith(magic)
    svg = (tmp_path / "demo_pigment_plant-cost-node.svg").read_text(encoding="utf-8")
    assert "<svg" in svg and "fg-node-label" in svg and "http://www.w3.org/2000/svg" in svg
    page.assert_clean()


def test_nothing_to_draw_says_so(chromium, tmp_path, results):
    """eip_energy has no flows; kalundborg has no prices: their Sankeys say so in words,
    with no error (a blank and a JS error before)."""
    from flowgraph.views.sankey import sankey_html
    page = _page(chromium, tmp_path, sankey_html(results["eip_energy"], "mass"))
    drawn = page.read()
    assert drawn["svg"] is None and drawn["measures"] == []
    assert "no flows" in drawn["empty"]
    page.assert_clean()
    page = _page(chromium, tmp_path, sankey_html(results["kalundborg"], "cost"), "k.html")
    drawn = page.read()
    assert drawn["svg"] is None
    assert re.search(r"Nothing to draw in cost .*\(CNY\)", drawn["empty"])
    assert drawn["measures"] == ["cost", "mass"]      # mass can still be chosen
    page.choose("measure", "mass")
    assert page.read()["svg"] is not None
    shot(page, "kalundborg-cost-nothing-then-mass")
    page.assert_clean()


def test_run_report_sankeys_draw(chromium, tmp_path, results):
    """The run report of kalundborg (its cost Sankey was a blank with a JS error) and of
    the demo: every Sankey section drawn, or left out with one line saying why (kalundborg
    has no prices), with no error."""
    from flowgraph.app.runner import run_case
    from flowgraph.views.render import report_html
    for case, drawn_n in (("kalundborg", 1), ("demo", 2)):
        report = run_case(fg.load(f"cases/{case}"))
        page = _page(chromium, tmp_path, report_html(report), f"{case}-report.html")
        n = page.page.locator(".fg-sankey").count()
        assert n == drawn_n
        if case == "kalundborg":
            line = page.page.locator("p.omitted", has_text="Sankey: cost").inner_text()
            assert "left out" in line and "price" in line
        for i in range(n):
            drawn = page.read(i)
            assert drawn["svg"] is not None or "Nothing to draw" in drawn["empty"]
            if drawn["svg"] is not None:
                assert_reads(drawn, f"{case} report Sankey {i}")
        page.assert_clean()


@pytest.mark.parametrize("case", CASES)
def test_sankey_figure_for_notebooks(results, case):
    """sankey_figure: a plotly Figure with the page's columns and rows: nodes fixed in place,
    every link of the measure drawn with its amount (a folded loop at its net flow, its
    return left out and said in the title); nothing to draw gives a figure saying so."""
    import plotly.graph_objects as go

    from flowgraph.views.sankey import sankey_data, sankey_figure
    r = results[case]
    fig = sankey_figure(r, "mass", title=case)
    assert isinstance(fig, go.Figure)
    sd = sankey_data(r, "mass")
    if len(sd.links) == 0:
        assert "Nothing to draw" in fig.layout.annotations[0].text
        return
    t = fig.data[0]
    assert t.arrangement == "fixed"
    assert len(t.node.label) == len(set(t.node.label)) == len(t.node.x)
    assert all(0 < x < 1 for x in t.node.x) and all(0 < y < 1 for y in t.node.y)
    folded = "Folded loop" in (fig.layout.title.text or "")
    drawn = sum(t.link.value)
    if folded:
        assert "return left out" in fig.layout.title.text
        assert drawn < sd.links["value"].sum()
    else:
        assert drawn == pytest.approx(sd.links["value"].sum(), rel=1e-9)
    assert len(fig.to_html(include_plotlyjs=False)) > 1000


def test_a_grouping_with_every_flow_inside_one_group_is_not_offered():
    """Two firms that exchange nothing: grouped by firm, nothing flows between the groups,
    so that grouping is not offered (building the page failed on it); by node it draws."""
    from flowgraph.views.sankey_page import sankey_spec
    net = fg.Network("two firms")
    for node, kind, firm in [("a1", "source", "A"), ("a2", "sink", "A"),
                             ("b1", "source", "B"), ("b2", "sink", "B")]:
        net.add_node(node, kind=kind, firm=firm)
    net.add_flow("a1", "a2", carrier="ore", quantity=5.0)
    net.add_flow("b1", "b2", carrier="ore", quantity=3.0)
    spec = sankey_spec(net.solve(), "mass", group_by="firm")
    offered = [g["name"] for g in spec["groups"]]
    assert "firm" not in offered and offered
    assert spec["initial"]["group"] == offered[0] and offered[0] in spec["grouping"]
    assert f"mass|{offered[0]}" in spec["views"]
