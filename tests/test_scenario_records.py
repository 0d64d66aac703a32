"""Edits that add or retarget flows survive a case file: when an edit's values hold the
flow's target node, the flow itself is written as `id` (an add_flow edit reads like a
[[flow]] record)."""

from pathlib import Path

import pytest

import flowgraph as fg

CASE = Path(__file__).parent.parent / "cases" / "iron_oxide_red"


def test_add_flow_edit_round_trips_through_a_record(chain):
    edit = fg.Edit.add_flow("b", "waste", "scrap b", share=0.1, id="extra")
    rec = edit.to_record()
    assert rec["id"] == "extra" and rec["target"] == "waste"
    again = fg.Edit.from_record(rec)
    other = chain.apply(fg.Scenario("x", [again]))
    assert other.flow("extra")["target"] == "waste"


def test_set_flow_can_move_a_flow_to_another_node(chain):
    chain.add_node("buyer", kind="sink")
    edit = fg.Edit.from_record({"op": "set_flow", "id": "lb", "target": "buyer",
                                "role": "byproduct", "price": 5})
    r = chain.apply(fg.Scenario("sell", [edit])).solve()
    assert r.flows.at["lb", "target"] == "buyer"
    assert r.flows.at["lb", "value"] == pytest.approx(r.flows.at["lb", "quantity"] * 5)


def test_add_flow_without_its_node_says_what_is_missing(chain):
    with pytest.raises(fg.ModelError, match="an add_flow edit needs target"):
        fg.Edit.from_record({"op": "add_flow", "id": "extra", "source": "b", "carrier": "scrap b"})


def test_case_file_with_add_flow_scenario_saves_and_loads(tmp_path):
    net = fg.load(CASE)
    fg.save(net, tmp_path / "copy")
    again = fg.load(tmp_path / "copy")
    sc = again.scenario("wastewater reuse")
    assert sc.edits[0].values["target"] == "filtering"
    assert again.result("wastewater reuse").flows.at["reclaimed water", "quantity"] == \
        pytest.approx(0.03 * 299_600)
    # nothing is lost on the way: every figure of the case is the same after saving
    from flowgraph.app.figures import evaluate_figures
    before = {f["name"]: f["value"] for f in evaluate_figures(net)}
    after = {f["name"]: f["value"] for f in evaluate_figures(again)}
    assert after == pytest.approx(before)
