"""The value-flow cost statement and an evaluation on a small case, against hand arithmetic;
the [evaluation] section's errors; edits that move a flow to another node."""

import math

import pytest

import flowgraph as fg
from flowgraph.cli import main
from flowgraph.plugins.evaluation import evaluate, evaluate_case, load_config
from flowgraph.plugins.evaluation.exceptions import EvaluationError

CASE = """
[case]
name = "tiny"

[[carrier]]
name = "ore"
price = 100
[[carrier]]
name = "power"
kind = "energy"
unit = "kWh"
price = 0.5
tce = "0.3 kgce/kWh"
[[carrier]]
name = "water"
kind = "water"
price = 2
[[carrier]]
name = "metal"
price = 900
[[carrier]]
name = "slag"
[[carrier]]
name = "effluent"
kind = "water"

[[node]]
id = "market"
kind = "source"
[[node]]
id = "smelter"
layers = ["mass"]
firm = "works"
costs = { waste_management = 1000 }
[[node]]
id = "buyers"
kind = "sink"
[[node]]
id = "dump"
kind = "sink"
[[node]]
id = "river"
kind = "sink"

[[flow]]
id = "ore"
source = "market"
target = "smelter"
carrier = "ore"
quantity = 100
[[flow]]
id = "power"
source = "market"
target = "smelter"
carrier = "power"
quantity = 10000
[[flow]]
id = "water"
source = "market"
target = "smelter"
carrier = "water"
quantity = 50
[[flow]]
id = "metal"
source = "smelter"
target = "buyers"
carrier = "metal"
quantity = 30
[[flow]]
id = "slag"
source = "smelter"
target = "dump"
carrier = "slag"
quantity = 70
role = "waste"
[[flow]]
id = "effluent"
source = "smelter"
target = "river"
carrier = "effluent"
role = "emission"

[[scenario]]
name = "better"
[[scenario.edit]]
op = "set_flow"
target = "ore"
quantity = 80
[[scenario.edit]]
op = "set_flow"
target = "slag"
quantity = 50

[evaluation]
index_system = "idx.toml"
scenarios = [{ scenario = "base", key = "before" }, { scenario = "better", key = "after" }]
"""

IDX = """
[system]
name = "tiny index"
cap = 1.5
[weights.w]
kind = "global"

[[indicator]]
code = "cost"
formula = "raw_material_cost / revenue"
better = "lower"
benchmark = 0.5
weights = { w = 0.6 }
[[indicator]]
code = "waste"
formula = "solid_waste / raw_material_quantity"
better = "lower"
benchmark = 0.35
weights = { w = 0.4 }
"""


@pytest.fixture
def tiny(tmp_path):
    (tmp_path / "case.toml").write_text(CASE)
    (tmp_path / "idx.toml").write_text(IDX)
    return tmp_path


def test_statement_by_hand(tiny):
    case = fg.load(tiny)
    config = load_config(case)
    before, after = evaluate_case(case, config)
    a = before.aggregates
    assert a["raw_material_cost"] == pytest.approx(100 * 100)
    assert a["energy_cost"] == pytest.approx(10000 * 0.5 + 50 * 2)       # water counts as energy
    assert a["waste_treatment_cost"] == pytest.approx(1000)
    assert a["value_flow_cost"] == pytest.approx(10000 + 5100 + 1000)
    assert a["revenue"] == pytest.approx(30 * 900)
    assert a["net_profit"] == pytest.approx(27000 - 16100)
    assert a["energy_tce"] == pytest.approx(10000 * 0.3 / 1000)
    assert a["solid_waste"] == pytest.approx(70)
    assert a["wastewater"] == pytest.approx(50)                          # water leaves as effluent
    # indices: cost 0.5 / (10000/27000); waste 0.35 / 0.7 = 0.5
    idx_cost = 0.5 / (10000 / 27000)
    assert before.table.at["cost", "index"] == pytest.approx(idx_cost)
    assert before.p["w"] == pytest.approx(0.6 * idx_cost + 0.4 * 0.5)
    # after: ore 80 -> cost 8000/27000, index 1.6875 capped at 1.5; waste 0.35 / (50/80)
    assert after.table.at["cost", "index"] == pytest.approx(1.5)
    assert after.p["w"] == pytest.approx(0.6 * 1.5 + 0.4 * 0.35 / (50 / 80))


def test_report_tables_and_figures(tiny):
    report = evaluate(fg.load(tiny))
    st = report.tables["statement"]
    assert st.at["raw-material cost", "better - base"] == pytest.approx(-2000)
    assert "system cost" not in st.index                    # no system cost anywhere
    assert report.figures["net_profit_before_wan"] == pytest.approx(10900 / 1e4)
    assert report.figures["grade_before"] in (1, 2, 3, 4, 5)
    bp = report.tables["by_product"].loc["base"]
    # every CNY that enters leaves to a sink: the products' costs add up to the value-flow cost
    assert bp["cost"].sum() == pytest.approx(16100)
    assert bp.at["metal", "revenue"] == pytest.approx(27000)


def test_negative_profit_gives_no_index_and_no_grade(tiny):
    text = CASE.replace('name = "metal"\nprice = 900', 'name = "metal"\nprice = 100')
    (tiny / "case.toml").write_text(text)
    IDX2 = IDX.replace('"raw_material_cost / revenue"', '"raw_material_cost / net_profit"')
    (tiny / "idx.toml").write_text(IDX2)
    before = evaluate_case(fg.load(tiny), load_config(fg.load(tiny)))[0]
    assert before.aggregates["net_profit"] < 0
    assert math.isnan(before.table.at["cost", "index"]) and math.isnan(before.p["w"])
    assert before.grades["w"] is None


@pytest.mark.parametrize("old, new", [
    ('index_system = "idx.toml"', 'index_system = "nope.toml"'),
    ('scenarios = [', 'wrong = 1\nscenarios = ['),
    ('{ scenario = "better", key = "after" }', '{ scenario = "worse", key = "after" }'),
    ('index_system = "idx.toml"', 'index_system = "idx.toml"\nweights = ["nope"]'),
])
def test_section_errors_name_the_case_file(tiny, old, new):
    (tiny / "case.toml").write_text(CASE.replace(old, new))
    case = fg.load(tiny)
    with pytest.raises(EvaluationError) as info:
        load_config(case)
    assert "case.toml" in str(info.value) or "idx.toml" in str(info.value)


def test_formula_over_an_unknown_aggregate_is_refused(tiny):
    (tiny / "idx.toml").write_text(IDX.replace("solid_waste /", "solid_wastes /"))
    with pytest.raises(fg.ExpressionError, match="unknown name.*solid_wastes"):
        load_config(fg.load(tiny))


def test_case_aggregates_override_the_defaults(tiny):
    text = CASE + '\n[evaluation.aggregates]\nsolid_waste = "mass(carrier=\'slag\') * 2"\n'
    (tiny / "case.toml").write_text(text)
    before = evaluate_case(fg.load(tiny), load_config(fg.load(tiny)))[0]
    assert before.aggregates["solid_waste"] == pytest.approx(140)
    assert before.aggregates.definitions["solid_waste"].unit == "t"      # kept from the default


def test_cli_evaluate_with_options(tiny, tmp_path, capsys):
    assert main(["evaluate", str(tiny), "--out", str(tmp_path / "o"), "--weights", "w"]) == 0
    assert "better" in capsys.readouterr().out
    assert main(["evaluate", str(tiny), "--out", str(tmp_path / "o"), "--weights", "x"]) == 2
    assert "no weight set 'x'" in capsys.readouterr().err


def test_edit_records_can_move_a_flow_and_round_trip():
    e = fg.Edit.add_flow("a", "b", "c", id="x", share=0.1)
    assert fg.Edit.from_record(e.to_record()) == e
    moved = fg.Edit.from_record({"op": "set_flow", "id": "f", "target": "b2"})
    assert moved.target == "f" and moved.values == {"target": "b2"}
    plain = fg.Edit.from_record({"op": "set_flow", "target": "f", "quantity": 3})
    assert plain.target == "f" and plain.values == {"quantity": 3}
    net = fg.Network("n")
    for n, k in (("s", "source"), ("p", "process"), ("k1", "sink"), ("k2", "sink")):
        net.add_node(n, kind=k)
    net.add_flow("s", "p", "m", quantity=5, id="in")
    net.add_flow("p", "k1", "m", id="out")
    new = net.apply(fg.Scenario("move", [moved.__class__("set_flow", "out", {"target": "k2"})]))
    assert new.flow("out")["target"] == "k2"
    assert new.solve().flows.at["out", "quantity"] == pytest.approx(5)
