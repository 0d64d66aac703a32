"""Case files: the demo loads and solves; save/load keeps scenarios, figures, sections."""

from pathlib import Path

import pandas as pd
import pytest

import flowgraph as fg
from flowgraph.app.case import save_case
from flowgraph.app.figures import evaluate_figures

DEMO = Path(__file__).parent.parent / "cases" / "demo"


def test_demo_loads_with_scenarios_and_figures():
    case = fg.load(DEMO)
    assert set(case.scenarios) == {"better extraction", "more recycling"}
    figs = {f["name"]: f["value"] for f in evaluate_figures(case)}
    k = 0.01 * 0.97 * 0.98
    assert figs["fines_recycled_t"] == pytest.approx(k * 2500 / (1 - k))
    assert figs["pigment_t_better_extraction"] > figs["pigment_t"]


def test_roundtrip_keeps_everything(tmp_path):
    net = fg.load(DEMO)
    net.sections["myplugin"] = {"threshold": 3, "names": ["a", "b"]}
    save_case(net, tmp_path / "a")
    back = fg.load(tmp_path / "a")
    assert back.sections["myplugin"] == {"threshold": 3, "names": ["a", "b"]}
    assert [s.to_record() for s in back.scenarios.values()] == \
        [s.to_record() for s in net.scenarios.values()]
    assert [f.to_record() for f in back.figures] == [f.to_record() for f in net.figures]
    pd.testing.assert_frame_equal(net.result().flows, back.result().flows)
    # and again through CSV tables
    save_case(back, tmp_path / "b", tables=True)
    assert (tmp_path / "b" / "flows.csv").exists()
    again = fg.load(tmp_path / "b")
    pd.testing.assert_frame_equal(net.result().flows, again.result().flows,
                                  check_index_type=False)


def test_from_frames_builds_the_same_network():
    net = fg.load(DEMO).network
    nodes = net.node_frame().reset_index().drop(columns="_origin")
    flows = net.flow_frame().reset_index().drop(columns="_origin")
    carriers = [c.to_record() for c in net.carriers.values()]
    other = fg.Network.from_frames(nodes, flows, carriers, name="frames")
    pd.testing.assert_frame_equal(net.solve().flows, other.solve().flows)


def test_node_table_kinds_default_to_process_as_add_node():
    """A node table without a kind column, or an empty kind cell, gives the declared
    default, as add_node does, not a node of no kind."""
    flows = pd.DataFrame({"source": ["a", "b"], "target": ["b", "c"], "carrier": ["m", "m"],
                          "quantity": [1.0, None], "unit": ["t", "t"]})
    bare = fg.Network.from_frames(pd.DataFrame({"id": ["a", "b", "c"]}), flows)
    assert bare.node_frame()["kind"].tolist() == ["process"] * 3
    some = fg.Network.from_frames(
        pd.DataFrame({"id": ["a", "b", "c"], "kind": ["source", None, "sink"]}), flows)
    assert some.node_frame()["kind"].tolist() == ["source", "process", "sink"]
    by_hand = fg.Network("n")
    for node, kind in (("a", "source"), ("b", None), ("c", "sink")):
        by_hand.add_node(node, **({"kind": kind} if kind else {}))
    for f in flows.itertuples():
        by_hand.add_flow(f.source, f.target, "m", None if pd.isna(f.quantity) else f.quantity,
                         unit="t")
    assert by_hand.node_frame()["kind"].tolist() == some.node_frame()["kind"].tolist()
    assert some.solve().flows["quantity"].tolist() == [1.0, 1.0]


def test_graph_view_is_a_multidigraph():
    g = fg.load(DEMO).network.graph
    assert g.number_of_nodes() == 12
    assert g.number_of_edges() == 15
    assert g.edges["drying", "dissolving", "fines"]["share"] == 0.01


def test_attribute_docs_are_in_step_with_the_table():
    from flowgraph.model.schema import markdown
    doc = Path(__file__).parent.parent / "docs" / "attributes.md"
    assert doc.read_text(encoding="utf-8") == markdown(), \
        "regenerate docs/attributes.md from flowgraph.model.schema.markdown()"
