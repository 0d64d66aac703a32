"""The periods page (views/timeline.py) of the bundled monthly_plant case in headless
Chromium: opens offline with no console error, does not overflow the window, and its
slider steps through the periods keeping the Sankey's measure; the waste-heat boiler
appears from July. The flow graph's slider (views/timeline_graph.py) changes the period
named and the values drawn, keeps the flow-label menu and every node's position, and no
value covers another value, a node or its label; the graph is laid out from the union of
the periods when a structure edit also removes a flow. Screenshots go to the artefact
folder."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import flowgraph as fg
from flowgraph.app.periods_case import case_periods
from flowgraph.cli import main
from flowgraph.views.extract import view_data
from flowgraph.views.graph import graph_view
from flowgraph.views.graph_edges import WIDTH_MAX
from flowgraph.views.timeline import stock_figure
from flowgraph.views.timeline_graph import period_frames, union_data

from .conftest import open_offline

ROOT = Path(__file__).parent.parent
SHOTS = Path(os.environ.get("FLOWGRAPH_SCREENSHOTS", ROOT / "out" / "screenshots")) / "periods"


@pytest.fixture(scope="module")
def page_file(tmp_path_factory):
    out = tmp_path_factory.mktemp("periods")
    assert main(["periods", str(ROOT / "cases" / "monthly_plant"), "--out", str(out)]) == 0
    return out / "periods.html"


def test_the_periods_page_steps_through_the_months(chromium_session, page_file):
    page, requests, errors, ctx = open_offline(
        chromium_session, page_file, "() => [...document.querySelectorAll('.fg-sankey')]"
        ".every(r => r.getAttribute('data-rendered') === '1')", timeout=30000)
    assert len(page.locator(".fg-period-pane").all()) == 12
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    visible = "() => [...document.querySelectorAll('.fg-period-pane')].filter(p => !p.hidden)" \
              ".map(p => [p.dataset.period, [...p.querySelectorAll('rect.fg-node')]" \
              ".map(r => r.getAttribute('data-node'))])"
    [(period, nodes)] = page.evaluate(visible)
    assert period == "2025-01" and "waste-heat boiler" not in nodes
    page.locator(".fg-period-pane").first.locator("select[data-k=measure]").select_option("energy")
    page.locator("input.fg-period-range").evaluate(
        "el => { el.value = 6; el.dispatchEvent(new Event('input')); }")
    [(period, nodes)] = page.evaluate(visible)
    assert period == "2025-07" and "waste-heat boiler" in nodes
    assert page.locator(".fg-period-label").inner_text() == "2025-07"
    shown = page.evaluate("() => Object.values(window.flowgraph.sankeys).filter(s => "
                          "!s.root.closest('.fg-period-pane').hidden).map(s => s.state.measure)")
    assert shown == ["energy"]                            # the measure chosen carried over
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.locator(".fg-periods").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "monthly_plant-july-energy.png"))
    assert requests == [page_file.resolve().as_uri()], requests
    assert errors == [], errors
    ctx.close()


G = "Object.values(window.flowgraph.graphs)[0]"
#: what the graph shows: the period named, edges drawn and their labels, node positions
GRAPH_STATE = f"""() => {{ const g = {G}, body = g.network.body;
    return {{period: document.querySelector('.fg-graph-period-label').textContent,
             mode: g.labelMode, drawn: g.edgeView.getIds(),
             values: Object.fromEntries(g.edges.get().filter(e => !e.absent)
                                        .map(e => [e.id, [e.amount, e.width]])),
             labels: g.edgeView.getIds().map(id => (body.edges[id].options.label || '').trim())
                                          .filter(t => t),
             faded: g.nodes.get().filter(n => n.opacity < 1).map(n => n.id),
             positions: g.network.getPositions(),
             panel: [...document.querySelectorAll('.fg-panel h5')].map(h => h.textContent)}};
}}"""


def _graph_reads(page, name: str) -> dict:
    """The graph's state; a screenshot; no overflow, no label over another or a node."""
    from .test_graph_pages import BOXES, EDGE_TEXTS, _edge_text_overlaps, _overlaps
    page.wait_for_timeout(300)
    state = page.evaluate(GRAPH_STATE)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"monthly_plant-graph-{name}.png"))
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    boxes = page.evaluate(BOXES)
    assert _overlaps(boxes["nodes"]) == []
    assert _edge_text_overlaps(page.evaluate(EDGE_TEXTS), boxes["nodes"]) == []
    return state


def test_the_graph_steps_through_the_months(chromium_session, page_file):
    page, requests, errors, ctx = open_offline(
        chromium_session, page_file, f"() => window.flowgraph && window.flowgraph.graphs && "
        f"{G} && {G}.rendered", timeout=30000)
    page.evaluate("() => document.querySelector('.fg-period-graph')"
                  ".scrollIntoView({block: 'end'})")
    page.select_option(".fg-period-graph select.fg-label-mode", "both")
    jan = _graph_reads(page, "january")
    assert jan["period"] == "2025-01" and jan["mode"] == "both"
    assert "waste heat steam" not in jan["drawn"] and "waste heat steam" not in jan["values"]
    assert jan["faded"] == ["waste-heat boiler"]          # built in July: drawn faded
    step = "el => { el.value = %d; el.dispatchEvent(new Event('input')); }"
    page.locator("input.fg-graph-period").evaluate(step % 6)
    jul = _graph_reads(page, "july")
    assert jul["period"] == "2025-07" and jul["mode"] == "both"   # the menu's choice stays
    assert "waste heat steam" in jul["drawn"] and jul["faded"] == []
    assert any(t.startswith("steam 900 t") for t in jul["labels"]), jul["labels"]
    assert jul["positions"] == jan["positions"]           # laid out once: nothing moves
    # an open panel follows the period: the reactor takes waste-heat steam from July
    page.evaluate(f"() => {G}.showPanel('reactor')")
    assert "Inflows (4)" in page.evaluate(GRAPH_STATE)["panel"]
    page.locator("input.fg-graph-period").evaluate(step % 0)
    assert "Inflows (3)" in page.evaluate(GRAPH_STATE)["panel"]
    # the values are the month's, the widths on one scale over the year
    (a_jan, w_jan), (a_jul, w_jul) = jan["values"]["coal burned"], jul["values"]["coal burned"]
    assert a_jan != a_jul
    q_jan, q_jul = (float(a.split()[0].replace(",", "")) for a in (a_jan, a_jul))
    assert w_jan / w_jul == pytest.approx(q_jan / q_jul, rel=0.02)
    assert requests == [page_file.resolve().as_uri()], requests
    assert errors == [], errors
    ctx.close()


def test_the_graph_is_laid_out_from_every_period(tmp_path):
    """A structure edit that removes a flow (the ash, from July) as well as adding some: the
    drawing holds the union, each period draws only its own flows, on one width scale."""
    shutil.copytree(ROOT / "cases" / "monthly_plant", tmp_path / "case")
    toml = tmp_path / "case" / "case.toml"
    text = toml.read_text(encoding="utf-8")
    old = '  { op = "add_flow", id = "electricity to waste-heat boiler"'
    assert old in text
    toml.write_text(text.replace(old, '  { op = "set_node", target = "boiler", allocation = '
                                 '"energy" },\n  { op = "remove_flow", target = "ash" },\n'
                                 + old), encoding="utf-8")
    run = case_periods(fg.load(tmp_path / "case"))
    datas = [view_data(r) for r in run.results]
    union, note = union_data(datas, run.results)
    assert note and {"ash", "waste heat steam"} <= set(union.flows.index)
    view = graph_view(union)
    frames = period_frames(view, datas, "auto")
    at = {e["id"]: j for j, e in enumerate(view.edges)}
    jan, jul = frames["edges"][0], frames["edges"][6]
    assert jan[at["ash"]] is not None and jul[at["ash"]] is None
    assert jan[at["waste heat steam"]] is None and jul[at["waste heat steam"]] is not None
    assert "waste-heat boiler" not in frames["nodes"][0] and "waste-heat boiler" in \
        frames["nodes"][6]
    # one scale over the year: the widest material flow (t) of all months gets WIDTH_MAX,
    # every other in proportion (1 px at least)
    solid = [at[f] for f in ("coal bought", "coal burned", "raw material", "product", "ash")]
    tonnes = [(rows[j][0], float(rows[j][1].split()[0].replace(",", "")))
              for rows in frames["edges"] for j in solid if rows[j] is not None]
    top = max(q for _, q in tonnes)
    assert max(w for w, _ in tonnes) == pytest.approx(WIDTH_MAX)
    for w, q in tonnes:
        assert w == pytest.approx(max(1.0, WIDTH_MAX * q / top), abs=0.01)


def test_stock_charts_and_tables_carry_the_unit_and_only_cohorts_that_hold_something():
    """monthly_plant: the catalyst bed takes catalyst in two months and starts with two
    ages; the ten cohorts that never hold anything are not drawn (they filled the legend);
    the amounts are in t (the outflow flow's unit), on the axis, in the tables and CSVs."""
    run = case_periods(fg.load(ROOT / "cases" / "monthly_plant"))
    bed = run.stocks["catalyst bed"]
    fig = stock_figure("catalyst bed", bed)
    drawn = [t.name for t in fig.data if t.name.startswith("cohort")]
    held = [c for c in bed.cohorts
            if bed.stock_by_cohort[:, bed.cohorts.index(c)].any()]
    assert drawn == [f"cohort {c}" for c in held] and 0 < len(drawn) < len(bed.cohorts)
    assert fig.layout.yaxis.title.text == "t"
    assert set(run.stock_table["unit"]) == {"t"}


def test_the_period_sankeys_share_one_scale_per_view():
    """Each view of the period Sankeys draws at one px per unit over all months (each was
    scaled to fit on its own: a month of a fifth less coal looked the same); the shared
    scale is the one the fullest month fits, and a single Sankey keeps its own."""
    import numpy as np

    from flowgraph.views.sankey_page import sankey_spec, shared_scales
    run = case_periods(fg.load(ROOT / "cases" / "monthly_plant"))
    datas = [view_data(r) for r in run.results]
    scales = shared_scales(datas)
    per_unit = {}
    for d in datas:
        spec = sankey_spec(d, scales=scales)
        own = sankey_spec(d)
        for key, view in spec["views"].items():
            links = np.array([[lk[1], lk[5]] for lk in view["links"]
                              if lk[1] and lk[5] and lk[5] >= 5 and lk[6] == 0], dtype=float)
            if len(links):
                per_unit.setdefault(key, []).append(links[:, 1] / links[:, 0])
        assert set(spec["views"]) == set(own["views"])
    for key, ratios in per_unit.items():
        r = np.concatenate(ratios)
        # w is rounded to 0.1 px: within that of the shared scale in every month
        assert np.allclose(r, scales[key][0], rtol=0.02), (key, r.min(), r.max())
    mass = [np.array([lk[5] / lk[1] for lk in sankey_spec(d)["views"]["mass|node"]["links"]
                      if lk[1] and lk[5] >= 5 and lk[6] == 0]).mean() for d in datas]
    assert max(mass) > 1.1 * min(mass)          # on their own, the months' scales differ
    assert scales["mass|node"][0] == pytest.approx(min(mass), rel=0.02)
