"""Energy value streams per carrier against hand arithmetic; one factorisation only; the
valuestream plugin's options and refusals."""

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings

import flowgraph as fg
from flowgraph.cli import main
from flowgraph.methods.energy_streams import (
    emissions_split,
    energy_value_stream,
    layer_account,
    propagate_streams,
)
from flowgraph.plugins.valuestream import plugin
from flowgraph.solvers import sparse

from .conftest import looped_networks


def two_centres():
    """c1: 100 t ore, 1000 kWh, 2 t steam; 80 % on to c2. c2: 500 kWh; 90 % sold."""
    net = fg.Network("streams")
    net.add_carrier("electricity", "energy", "kWh", price=0.8, tce="0.1229 kgce/kWh",
                    co2="0.3023 kg/kWh")
    net.add_carrier("steam", "energy", "t", price=100, tce="0.128 tce/t", co2="316.36 kg/t")
    net.add_carrier("water", "water", "t", price=0.31, tce="0.2429 kgce/t", co2="0.21 kg/t",
                    composition={"water": 1.0}, layers=["water"])
    for s in ("market", "grid", "boiler", "waterworks"):
        net.add_node(s, kind="source")
    net.add_node("c1", layers=["mass", "water"])
    net.add_node("c2")
    net.add_node("customer", kind="sink")
    net.add_node("dump", kind="sink")
    net.add_node("river", kind="sink")
    net.add_flow("market", "c1", "ore", quantity=100, price=10)
    net.add_flow("grid", "c1", "electricity", quantity=1000)
    net.add_flow("boiler", "c1", "steam", quantity=2)
    net.add_flow("waterworks", "c1", "water", quantity=50)
    net.add_flow("c1", "river", "water", role="waste", id="wastewater")
    net.add_flow("c1", "c2", "mid", share=0.8, id="mid")
    net.add_flow("c1", "dump", "scrap", role="loss", id="scrap1")
    net.add_flow("grid", "c2", "electricity", quantity=500)
    net.add_flow("c2", "customer", "product", share=0.9, id="product")
    net.add_flow("c2", "dump", "scrap", role="loss", id="scrap2")
    return net


def test_streams_by_hand():
    r = two_centres().solve()
    t = energy_value_stream(r)
    e = t.xs(("electricity", "cost"), level=("carrier", "attribute"))
    # c1: 800 CNY of electricity, 80 % passed on; c2: 400 new + 640 carried, 90 % passed on
    assert e.loc["c1"].tolist()[:4] == pytest.approx([800, 0, 640, 160])
    assert e.loc["c2"].tolist()[:4] == pytest.approx([400, 640, 936, 104])
    assert e.at["c2", "loss_share"] == pytest.approx(0.1)
    assert e.loc["(system)"].tolist()[:4] == pytest.approx([1200, 0, 936, 264])
    steam_co2 = t.xs(("steam", "co2"), level=("carrier", "attribute"))
    # 2 t x 0.31636 t/t; 0.8 x 0.9 of it ends in product (effective)
    assert steam_co2.at["(system)", "positive"] == pytest.approx(0.72 * 2 * 0.31636)
    assert steam_co2.at["(system)", "negative"] == pytest.approx(0.28 * 2 * 0.31636)
    tce = t.xs(("electricity", "tce"), level=("carrier", "attribute"))
    assert tce.at["c2", "new_input"] == pytest.approx(500 * 0.1229e-3)
    # water allocated by mass like every carrier: its cost follows the ore, not the water
    w = t.xs(("water", "cost"), level=("carrier", "attribute"))
    assert w.at["c1", "negative"] == pytest.approx(0.2 * 50 * 0.31)


def test_effective_and_ineffective_emissions_by_hand():
    r = two_centres().solve()
    em = emissions_split(r)
    co2 = {"electricity": 1500 * 0.3023e-3, "steam": 2 * 0.31636, "water": 50 * 0.21e-3}
    eff = {"electricity": (1000 * 0.72 + 500 * 0.9) * 0.3023e-3, "steam": 0.72 * 2 * 0.31636,
           "water": 0.72 * 50 * 0.21e-3}
    for k in co2:
        assert em.at[k, "emitted"] == pytest.approx(co2[k])
        assert em.at[k, "effective"] == pytest.approx(eff[k])
        assert em.at[k, "ineffective"] == pytest.approx(co2[k] - eff[k])
    assert em.at["total", "effective"] == pytest.approx(sum(eff.values()))


def test_one_factorisation_for_all_streams(monkeypatch):
    r = two_centres().solve()
    built = []
    original = sparse.BlockSolver.__init__

    def counting(self, *a, **k):
        built.append(1)
        original(self, *a, **k)

    monkeypatch.setattr(sparse.BlockSolver, "__init__", counting)
    prop = propagate_streams(r, ["electricity", "steam", "water"])
    assert len(prop.names) == 9 and built == []      # 3 carriers x 3 attributes, no new LU


def test_stream_costs_add_up_to_the_energy_cost_of_every_flow():
    r = two_centres().solve()
    prop = propagate_streams(r, ["electricity", "steam", "water"], attributes=("cost",))
    assert prop.flow.sum(axis=1) == pytest.approx(r.flows["cost_energy"].to_numpy())


@settings(max_examples=25, deadline=None)
@given(looped_networks())
def test_streams_conserve_at_every_centre_with_loops(net):
    r = net.solve()
    t = energy_value_stream(r)          # the purchased energy carriers ('e', if any)
    if "e" not in set(r.flows["carrier"]):
        assert t.empty
        return
    centres = t.drop("(system)", level="centre")
    lhs = centres["new_input"] + centres["carried_in"]
    rhs = centres["positive"] + centres["negative"]
    assert np.allclose(lhs, rhs, rtol=1e-9, atol=1e-9)
    sysrow = t.xs("(system)", level="centre")
    assert np.allclose(sysrow["new_input"], sysrow["positive"] + sysrow["negative"], rtol=1e-9)
    # the streams' cost is the energy cost the result itself propagated, flow by flow
    streamed = propagate_streams(r, attributes=("cost",)).flow.sum(axis=1)
    assert np.allclose(streamed, r.flows["cost_energy"].to_numpy(), rtol=1e-9, atol=1e-9)


def test_water_account_follows_the_water():
    r = two_centres().solve()
    acc = layer_account(r, "water")
    assert acc.attrs["price"] == pytest.approx(0.31)
    assert acc.loc["c1", ["new_input", "carried_in", "passed_on", "lost"]].tolist() == \
        pytest.approx([50, 0, 0, 50])
    assert acc.at["(system)", "lost_cost"] == pytest.approx(50 * 0.31)


def test_stream_errors():
    r = two_centres().solve()
    with pytest.raises(fg.ModelError, match="no flow carries.*'gas'"):
        energy_value_stream(r, ["gas"])
    with pytest.raises(fg.ModelError, match="unknown attribute"):
        energy_value_stream(r, ["steam"], attributes=("exergy",))
    with pytest.raises(fg.ModelError, match="no carriers to follow"):
        propagate_streams(r, [])
    with pytest.raises(fg.ModelError, match="layer 'Cl' is not a balance layer"):
        layer_account(r, "Cl")


# -- the plugin: its options and what it refuses -----------------------------------------

CASES = Path(__file__).parent.parent / "cases"


def test_a_case_without_quantity_centres_is_refused_by_name(tmp_path, capsys):
    """eip_energy holds utility units and no flows: nothing for MFCA to follow."""
    assert main(["valuestream", str(CASES / "eip_energy"), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "quantity centres (process nodes)" in err and "12 utility; flows: 0" in err
    assert not any(tmp_path.iterdir())


def test_options_come_from_the_section_then_the_caller():
    case = fg.load(CASES / "iron_oxide_red")
    opts = plugin.resolve(case, {"carriers": "steam, electricity", "product": None})
    assert opts["carriers"] == ["steam", "electricity"] and opts["product"] == "product"
    assert opts["standards"] == {"gb8978_class1": {"COD": 100, "NH3N": 15}}
    report = plugin.report(case, carriers=["steam"], measures=[])
    assert set(report.tables["energy_stream"].index.get_level_values("carrier")) == {"steam"}
    assert "measures" not in report.tables


@pytest.mark.parametrize("old, new, message", [
    ('water_layer = "water"', 'water_layr = "water"', "unknown key.*did you mean 'water_layer'"),
    ("COD = 100\n", 'COD = "high"\n', r"standards.gb8978_class1\]: the standard of 'COD'"),
])
def test_section_errors_name_the_key_and_line(tmp_path, old, new, message):
    text = (CASES / "iron_oxide_red" / "case.toml").read_text(encoding="utf-8")
    (tmp_path / "case.toml").write_text(text.replace(old, new), encoding="utf-8")
    line = next(i for i, t in enumerate(text.splitlines(), 1) if t == "[valuestream]")
    with pytest.raises(fg.FlowgraphError, match=rf"case.toml:{line}: .*{message}"):
        plugin.report(fg.load(tmp_path))


@pytest.mark.parametrize("value, message", [
    ("true", r"water_layer True is not a valid text: give text"),
    ('"wter"', r"water_layer 'wter' is not a balance layer \(layers: mass, energy, Fe, water\)"),
])
def test_a_water_layer_that_is_not_a_layer_name_is_refused_by_line(tmp_path, value, message):
    """The fuzzer's water_layer = true became the layer 'True', refused naming no file."""
    text = (CASES / "iron_oxide_red" / "case.toml").read_text(encoding="utf-8")
    assert 'water_layer = "water"' in text
    (tmp_path / "case.toml").write_text(text.replace('water_layer = "water"',
                                                     f"water_layer = {value}"), encoding="utf-8")
    with pytest.raises(fg.FlowgraphError, match=rf"case.toml:\d+: .*{message}"):
        plugin.report(fg.load(tmp_path))
