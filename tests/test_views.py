"""Graph view, Sankey and run report, checked without a browser (tests/test_browser.py
opens them in Chromium)."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

import flowgraph as fg
from flowgraph.numbers import fmt
from flowgraph.views import layout as lay
from flowgraph.views.graph import PHYSICS_LIMIT, graph_html, graph_view
from flowgraph.views.graph_edges import WIDTH_MAX, edge_smooth
from flowgraph.views.page import html_page
from flowgraph.views.palette import CARRIER_COLOURS, KIND_COLOURS, LOSS_COLOUR
from flowgraph.views.sankey import ADDED, sankey_data, sankey_html

from .view_cases import AB, CHAIN_MASS, chain, small_park


@pytest.fixture(scope="module")
def chain_result():
    return chain().solve()


@pytest.fixture(scope="module")
def demo():
    return fg.load("cases/demo")


# -- graph ---------------------------------------------------------------------------------

def test_graph_has_every_node_and_flow_once(chain_result):
    g = graph_view(chain_result)
    assert [n["id"] for n in g.nodes] == ["in", "grid", "a", "b", "out", "waste"]
    assert sorted(e["id"] for e in g.edges) == sorted(["feed", "power", "ab", "la", "back",
                                                       "prod", "lb"])
    ends = {e["id"]: (e["from"], e["to"]) for e in g.edges}
    assert ends["back"] == ("b", "a") and ends["power"] == ("grid", "b")


def test_graph_encodings(chain_result):
    g = graph_view(chain_result)
    edges = {e["id"]: e for e in g.edges}
    nodes = {n["id"]: n for n in g.nodes}
    # red for negative products, carrier-kind colour otherwise; dashed only for the recycle
    assert edges["la"]["color"]["color"] == LOSS_COLOUR == edges["lb"]["color"]["color"]
    assert edges["feed"]["color"]["color"] == CARRIER_COLOURS["material"]
    assert edges["power"]["color"]["color"] == CARRIER_COLOURS["energy"]
    assert [k for k, e in edges.items() if e["dashes"]] == ["back"]
    # node colour by kind (no firms here), shape by kind
    assert g.colour_by == "kind"
    assert nodes["a"]["color"]["background"] == KIND_COLOURS["process"]
    assert nodes["in"]["shape"] == "triangle" and nodes["out"]["shape"] == "triangleDown"
    # width linear in the amount within each unit, one scale per unit, the widest edge of a
    # unit at WIDTH_MAX px: 'auto' measures each flow in its own balance layer, t for the
    # material, GJ for power (1000 kWh = 3.6 GJ, alone in its unit, so the widest of GJ)
    for k, q in CHAIN_MASS.items():
        assert edges[k]["width"] == pytest.approx(max(1.0, WIDTH_MAX * q / 100.0), abs=0.01)
    assert edges["power"]["width"] == WIDTH_MAX
    assert [(s["unit"], s["max"]) for s in g.legend["width"]] == [("t", 100.0),
                                                                  ("GJ", pytest.approx(3.6))]


def test_graph_tooltips_show_quantity_cost_tce_co2(chain_result):
    g = graph_view(chain_result)
    edges = {e["id"]: e for e in g.edges}
    assert f"quantity: {AB:,.6g} t" in edges["ab"]["title"]
    # power: 1000 kWh at 0.5 CNY/kWh, 0.5 kg CO2/kWh
    tip = edges["power"]["title"]
    assert "quantity: 1,000 kWh" in tip and "cost: 500 CNY" in tip and "CO2: 0.5 t" in tip
    assert "tce: 0 tce" in tip
    node_tip = {n["id"]: n["title"] for n in g.nodes}["b"]
    assert node_tip.startswith("Kiln (b)") and f"mass: in {AB:,.6g} t" in node_tip


def test_layered_layout_runs_left_to_right_by_stage_and_order(chain_result):
    g = graph_view(chain_result)
    x = {n["id"]: n["x"] for n in g.nodes}
    assert g.layout == "layered"
    assert x["in"] < x["a"] < x["b"] < x["out"]
    assert x["waste"] > x["b"]
    # the recycle b -> a runs back and is drawn as an arc, not straight through
    back = {e["id"]: e for e in g.edges}["back"]
    assert back["smooth"]["type"] == "curvedCW"
    # no two nodes on one spot
    pos = {(n["x"], n["y"]) for n in g.nodes}
    assert len(pos) == len(g.nodes)


def test_layered_columns_follow_topology_with_loops():
    # a -> b -> c -> a (not marked recycle), d after c: the loop is broken, not collapsed
    tail = np.array([0, 1, 2, 2])
    head = np.array([1, 2, 0, 3])
    kind = np.array(["process"] * 4, dtype=object)
    x, y, col, bend = lay.layered(4, tail, head, back=np.zeros(4, bool), kind=kind,
                                  stage=np.full(4, None, dtype=object))
    assert list(col) == [0, 1, 2, 3]


def test_layered_keeps_stage_order():
    # an output-stage node fed straight from the source still sits after the input stage
    tail = np.array([0, 0, 1])
    head = np.array([1, 2, 3])
    kind = np.array(["source", "process", "process", "process"], dtype=object)
    stage = np.array([None, "input", "output", "utilisation"], dtype=object)
    _, _, col, _ = lay.layered(4, tail, head, back=np.zeros(3, bool), kind=kind, stage=stage)
    assert col[1] < col[3] < col[2]


def test_sources_sit_next_to_what_they_feed(demo):
    g = graph_view(demo.result())
    x = {n["id"]: n["x"] for n in g.nodes}
    # the steam supplier feeds drying only: in the column before it, not in column 0
    assert x["dissolving"] < x["reaction"] < x["boiler house"] < x["drying"]


def test_a_band_flow_bows_round_the_nodes_in_its_way():
    """A utility above the chain (band -1) feeding the lowest node of a column would drop
    straight through the nodes above it: it bows round them, to the side where fewer nodes
    are; a drop into the top node of a column stays a vertical curve."""
    x = np.array([300.0, 300.0, 300.0, 300.0, 100.0, 200.0])
    y = np.array([0.0, 150.0, 250.0, 350.0, 200.0, 300.0])
    band = np.array([-1, 0, 0, 0, 0, 0])
    tail, head = np.array([0, 0]), np.array([3, 1])      # into the lowest, into the top one
    smooth = edge_smooth(tail, head, np.zeros(2, bool), np.zeros(2), x, y, band)
    assert smooth[1]["type"] == "cubicBezier" and smooth[1]["forceDirection"] == "vertical"
    # going down, curvedCW bows to the right: away from the nodes at x 100 and 200
    assert smooth[0] == {"enabled": True, "type": "curvedCW", "roundness": 0.5}
    smooth = edge_smooth(tail, head, np.zeros(2, bool), np.zeros(2), 600 - x, y, band)
    assert smooth[0]["type"] == "curvedCCW"              # mirrored: they are to the right
    up = edge_smooth(head[:1], tail[:1], np.zeros(1, bool), np.zeros(1), x, y, band)
    assert up[0]["type"] == "curvedCCW"                  # the other way round: still right


def test_the_steam_of_the_monthly_plant_does_not_cross_its_column():
    """monthly_plant: the coal boiler (a utility above the chain) sends steam to the
    reactor, below the coal yard and the catalyst store in its column."""
    view = graph_view(fg.load("cases/monthly_plant").result())
    steam = next(e for e in view.edges if e["id"] == "steam")
    assert steam["smooth"]["type"] in ("curvedCW", "curvedCCW")


def test_park_gets_geographic_layout_and_firm_colours():
    g = graph_view(small_park().solve())
    assert g.layout == "geographic" and g.colour_by == "firm"
    nodes = {n["id"]: n for n in g.nodes}
    # lon 11.00 (power) < 11.05 (board) < 11.10 (farm); board is further north (smaller y)
    assert nodes["boiler"]["x"] < nodes["board line"]["x"] < nodes["ponds"]["x"]
    assert nodes["board line"]["y"] < nodes["ponds"]["y"]
    # both power-plant units share a site: spread apart, same colour, other firms differ
    assert (nodes["boiler"]["x"], nodes["boiler"]["y"]) != (nodes["scrubber"]["x"],
                                                            nodes["scrubber"]["y"])
    colours = {nodes[k]["color"]["background"] for k in ("boiler", "scrubber")}
    assert len(colours) == 1
    assert nodes["ponds"]["color"]["background"] not in colours
    assert [name for name, _ in g.legend["nodes"]][:3] == ["power", "board", "farm"]
    assert g.firms == ["power", "board", "farm", ""]
    # the market has no coordinates: it sits among its partners, inside the park's extent
    xs = [nodes[k]["x"] for k in ("boiler", "board line", "ponds")]
    assert min(xs) - 200 < nodes["market"]["x"] < max(xs) + 200


def test_park_without_coordinates_gets_force_layout_with_physics():
    # positions come from the layout (labels kept apart); physics only when asked for
    r = small_park(geo=False).solve()
    g = graph_view(r)
    assert g.layout == "force" and not g.spec()["options"]["physics"]["enabled"]
    assert graph_view(r, physics=True).spec()["options"]["physics"]["enabled"]


def test_physics_off_above_limit():
    n = PHYSICS_LIMIT + 20
    net = fg.Network("big park")
    net.add_carrier("m", "material", "t")
    net.add_node("src", kind="source")
    net.add_node("sink", kind="sink")
    for i in range(n):
        net.add_node(f"p{i}", firm=f"f{i % 7}")
        net.add_flow("src", f"p{i}", "m", quantity=1.0 + i)
        net.add_flow(f"p{i}", "sink", "m")
    g = graph_view(net.solve())
    assert g.layout == "force"
    assert not g.spec()["options"]["physics"]["enabled"]
    assert len(g.nodes) == n + 2 and len(g.edges) == 2 * n


def test_unsolvable_network_shows_its_structure():
    net = fg.Network("draft")
    net.add_node("s", kind="source")
    net.add_node("p")
    net.add_node("k", kind="sink")
    net.add_node("k2", kind="sink")
    net.add_flow("s", "p", "m", quantity=5, id="in")
    net.add_flow("p", "k", "m", id="out1")
    net.add_flow("p", "k2", "m", id="out2")      # two unknowns, one balance
    g = graph_view(net)
    tips = {e["id"]: e["title"] for e in g.edges}
    assert "quantity: 5 t" in tips["in"] and "quantity: unknown" in tips["out1"]
    assert "not solved" in g.fragment()


def test_graph_errors_name_the_choices(chain_result):
    with pytest.raises(fg.FlowgraphError, match="layout 'tree'.*layered"):
        graph_view(chain_result, layout="tree")
    with pytest.raises(fg.FlowgraphError, match="unknown measure 'heat'.*mass"):
        graph_view(chain_result, measure_by="heat")
    with pytest.raises(fg.FlowgraphError, match="needs a Network, Result or Case, not str"):
        graph_view("cases/demo")


def test_graph_page_is_self_contained(chain_result):
    page = graph_html(chain_result)
    assert page.count("</script>") == 3          # vis-network, graph.js, the graph's data
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=", page)
    data = re.search(r'<script type="application/json" class="fg-graph-data">(.*?)</script>',
                     page, re.S).group(1)
    spec = json.loads(data)
    assert len(spec["nodes"]) == 6 and len(spec["edges"]) == 7
    assert '"Segoe UI"' in page        # the style is inlined verbatim, not HTML-escaped


def test_fmt():
    assert fmt(float("nan")) == "unknown"
    assert fmt(2473.513217) == "2,473.51"
    assert fmt(4318754.2) == "4,318,754"
    assert fmt(3209104.4) == "3,209,104" and fmt(0.650014) == "0.650014"


def test_table_index_name_goes_in_the_header_corner():
    import pandas as pd

    from flowgraph.views.page import table_html
    frame = pd.DataFrame({"value": [1.5]}, index=pd.Index(["x"], name="total"))
    head = table_html(frame).split("</thead>")[0]
    assert re.findall(r"<th>(\w+)</th>", head) == ["total", "value"]


# -- Sankey --------------------------------------------------------------------------------

def test_sankey_links_are_the_flows_in_the_layer(chain_result):
    sd = sankey_data(chain_result, "mass")
    links = sd.links.set_index(sd.links["text"].str.split(" ").str[0])
    # power is energy only: no mass link; the recycle is kept (a loop, drawn circular)
    assert sorted(links.index) == sorted(CHAIN_MASS)
    for fid, value in CHAIN_MASS.items():
        assert links.loc[fid, "value"] == pytest.approx(value, rel=1e-9)
    assert links.loc["back", "recycle"]
    assert sd.unit == "t"


def test_sankey_cost_balances_at_every_centre(demo):
    """With the amounts centres add themselves, what enters a quantity centre leaves it."""
    r = demo.result()
    sd = sankey_data(r, "cost", group_by=None)
    links = sd.links
    assert ADDED in set(links["source"])
    own = demo.network.node_frame().filter(like="costs.").fillna(0).sum(axis=1)
    added = links[links["source"] == ADDED].set_index("target")["value"]
    assert added.to_dict() == pytest.approx(own[own > 0].to_dict())
    for centre in ("dissolving", "reaction", "drying", "wwtp"):
        into = links.loc[links["target"] == centre, "value"].sum()
        out = links.loc[links["source"] == centre, "value"].sum()
        assert into == pytest.approx(out, rel=1e-9)


def test_sankey_aggregates_by_firm():
    r = small_park().solve()
    sd = sankey_data(r, "mass", group_by="firm")
    f = r.flows
    # hand: the boiler -> scrubber steam stays inside 'power' and is not drawn
    assert "1 flows inside a firm group" in sd.note
    pairs = {(s, t): v for s, t, v in zip(sd.links["source"], sd.links["target"],
                                          sd.links["value"])}
    assert pairs[("power", "board")] == pytest.approx(f.loc["gypsum", "quantity"])
    assert pairs[("sources", "power")] == pytest.approx(1000.0)
    assert pairs[("power", "sinks")] == pytest.approx(f.loc["slag", "quantity"])
    inside = f.loc["steam", "quantity"]
    assert sd.links["value"].sum() == pytest.approx(f["quantity"].sum() - inside)


def test_sankey_page_and_errors(chain_result):
    page = sankey_html(chain_result, "co2")
    # drawn by flowgraph's own sankey.js, inlined: nothing loaded from outside
    assert 'class="fg-sankey"' in page and "fg-sankey-data" in page
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=", page)
    with pytest.raises(fg.FlowgraphError, match="group_by 'site'"):
        sankey_data(chain_result, group_by="site")


# -- run report and CLI --------------------------------------------------------------------

def test_run_report_has_graph_and_sankeys(demo):
    from flowgraph.app.runner import run_case
    from flowgraph.views.render import page_html, report_html, section
    report = run_case(demo)
    titles = [section(b).title for b in report.blocks]
    assert titles.index("Totals") < titles.index("Flow graph") < titles.index("Sankey: mass (t)")
    assert "Sankey: cost (CNY)" in titles and "MFCA flow-cost matrix" in titles
    assert 'class="fg-graph"' in page_html(report.files["graph.html"])
    page = report_html(report)
    assert page.count('class="fg-graph-data"') == 1
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=", page)


def test_cli_view_writes_files_without_opening(tmp_path, monkeypatch):
    import webbrowser

    from flowgraph.cli import main
    opened = []
    monkeypatch.setattr(webbrowser, "open", lambda url: opened.append(url))
    assert main(["view", "cases/demo", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "graph.html").exists() and (tmp_path / "sankey.html").exists()
    assert opened == []


def test_cli_view_opens_the_browser(monkeypatch, tmp_path):
    import tempfile
    import webbrowser

    from flowgraph.cli import main
    opened = []
    monkeypatch.setattr(webbrowser, "open", lambda url: opened.append(url))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    assert main(["view", "cases/demo", "--layout", "force"]) == 0
    assert len(opened) == 1 and opened[0].startswith("file://") and \
        opened[0].endswith("/graph.html")


def test_cli_view_bad_measure(capsys):
    from flowgraph.cli import main
    assert main(["view", "cases/demo", "--out", "/nonexistent/never", "--measure", "heat"]) == 2
    assert "unknown measure 'heat'" in capsys.readouterr().err


def test_views_take_a_case_and_numeric_ids(demo):
    import pandas as pd
    g = graph_view(demo)                      # a Case: its base result
    assert len(g.nodes) == 12 and len(g.edges) == 15
    nodes = pd.DataFrame({"id": [1, 2, 3], "kind": ["source", "process", "sink"]})
    flows = pd.DataFrame({"source": [1, 2], "target": [2, 3], "carrier": "m",
                          "quantity": [5.0, np.nan]})
    net = fg.Network.from_frames(nodes, flows, [{"name": "m", "kind": "material", "unit": "t"}])
    g = graph_view(net)
    assert [(e["from"], e["to"]) for e in g.edges] == [("1", "2"), ("2", "3")]
    assert sankey_data(net).links["value"].tolist() == [5.0, 5.0]     # 2 passes on all 5 t


def test_sankey_by_stage_keeps_the_recycle_loop(demo):
    r = demo.result()
    sd = sankey_data(r, "mass", group_by="stage")
    assert set(sd.nodes.index) == {"sources", "input", "utilisation", "output", "utilities",
                                   "sinks"}
    pairs = {(s, t): v for s, t, v in zip(sd.links["source"], sd.links["target"],
                                          sd.links["value"])}
    # drying (output) sends fines back to dissolving (input): a loop between groups, drawn
    assert pairs[("output", "input")] == pytest.approx(r.flows.loc["fines", "quantity"])
    assert sd.note == ""                       # one centre per stage: nothing inside a group


def test_two_graphs_on_one_page_get_their_own_anchors(chain_result):
    from flowgraph.views.graph import graph_section
    page = html_page("two", [graph_section(chain_result), graph_section(chain_result)])
    assert re.findall(r'<section id="([^"]+)"', page) == ["flow-graph", "flow-graph-2"]
    assert page.count('class="fg-graph"') == 2 and page.count("@version 9.1.2") == 1
