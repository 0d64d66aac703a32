"""Comprehensive energy consumption (GB/T 2589) of small networks, checked by hand.

Coefficients written here are the printed values of GB/T 2589-2020 appendix A (doc 003), not
numbers read back from the code: raw coal 0.7143 kgce/kg, electricity 0.1229 kgce/kWh,
fresh water 0.2571 kgce/t, compressed air 0.0400 kgce/m3, nitrogen 0.4000 kgce/m3.
"""

import math

import numpy as np
import pytest

import flowgraph as fg
from flowgraph.methods.comprehensive_energy import comprehensive_energy
from flowgraph.solvers.conservation import assert_conserved


def plant():
    """grid/market -> boiler (auxiliary) -> steam to reactor (production) and to a neighbour;
    reactor makes 10 t of product; compressed-air unit (auxiliary) serves the reactor."""
    net = fg.Network("plant")
    net.add_carrier("steam", "energy", "t", tce="0.1 tce/t", energy_content="2.8 GJ/t")
    net.add_carrier("compressed air", "material", "m3", layers=[], tce="0.0400 kgce/m3")
    for n in ("grid", "market", "waterworks"):
        net.add_node(n, kind="source")
    for n in ("customer", "neighbour", "air"):
        net.add_node(n, kind="sink")
    net.add_node("boiler", kind="utility", system="auxiliary", allocation="energy")
    net.add_node("air unit", kind="utility", system="auxiliary", allocation="fixed")
    net.add_node("reactor", system="production")
    net.add_node("office", kind="utility", system="ancillary", allocation="energy")
    net.add_flow("market", "boiler", "raw coal", quantity=100, unit="t", id="coal")
    net.add_flow("boiler", "reactor", "steam", quantity=300, id="steam in")
    net.add_flow("boiler", "neighbour", "steam", quantity=500, id="steam out")
    net.add_flow("boiler", "air", "heat loss", quantity=400, unit="GJ", role="loss", id="loss")
    net.add_flow("grid", "reactor", "electricity", quantity=1000, unit="kWh", id="power r")
    net.add_flow("grid", "air unit", "electricity", quantity=0.02, unit="万kWh", id="power a")
    net.add_flow("grid", "office", "electricity", quantity=50, unit="kWh", id="power o")
    net.add_flow("office", "air", "heat loss", per=("power o", 0.0036), unit="GJ", role="loss")
    net.add_flow("air unit", "reactor", "compressed air", quantity=2000, id="air",
                 allocation_share=1.0)
    net.add_flow("waterworks", "reactor", "fresh water", quantity=1000, unit="t", id="water")
    net.add_flow("market", "reactor", "ore", quantity=30, unit="t", id="ore")
    net.add_flow("reactor", "customer", "product", quantity=10, unit="t", id="product")
    net.add_flow("reactor", "air", "off-gas", role="emission", id="off-gas")
    return net


COAL = 100 * 714.3            # 100 t x 0.7143 kgce/kg
STEAM_OUT = 500 * 100.0       # 500 t x 0.1 tce/t
POWER = (1000 + 200 + 50) * 0.1229
WATER = 1000 * 0.2571


def test_inputs_minus_exports_over_all_three_systems():
    r = plant().solve()
    assert_conserved(r)
    acc = comprehensive_energy(r, product="product")
    total = COAL - STEAM_OUT + POWER + WATER
    assert acc.total_kgce == pytest.approx(total, rel=1e-12)
    assert acc.per_unit == pytest.approx(total / 10, rel=1e-12)
    assert acc.total_tce == pytest.approx(total / 1000)
    assert acc.product_unit == "t" and acc.unit_label == "kgce/t"
    # the heat loss to the air is not an export; ore and product are materials
    assert "loss" not in acc.flows.index
    assert acc.flows.loc["ore", "kgce"] == 0 and not acc.flows.loc["ore", "counted"]
    assert acc.flows.loc["steam out", "kgce"] == pytest.approx(-STEAM_OUT)


def test_breakdowns_add_up_to_the_total():
    acc = comprehensive_energy(plant().solve(), product="product")
    by = acc.by_carrier
    assert by["kgce"].sum() == pytest.approx(acc.total_kgce)
    assert by.at["raw coal", "kgce"] == pytest.approx(COAL)
    assert by.at["steam", "kgce_out"] == pytest.approx(STEAM_OUT)
    assert by.at["electricity", "quantity_in"] == pytest.approx(1250)   # 万kWh converted
    assert by.at["electricity", "class"] == "energy"
    assert by.at["fresh water", "class"] == "working medium"
    assert acc.by_node["kgce"].sum() == pytest.approx(acc.total_kgce)
    assert acc.by_node.at["boiler", "kgce"] == pytest.approx(COAL - STEAM_OUT)
    assert acc.by_system.at["ancillary", "kgce"] == pytest.approx(50 * 0.1229)


def test_boundary_choice_moves_what_crosses_it():
    r = plant().solve()
    prod = comprehensive_energy(r, product="product", boundary="production")
    # the reactor alone: steam from the boiler and compressed air from the air unit now cross
    expected = 300 * 100.0 + 2000 * 0.0400 + 1000 * 0.1229 + WATER
    assert prod.total_kgce == pytest.approx(expected, rel=1e-12)
    assert prod.inside == ("reactor",)
    two = comprehensive_energy(r, boundary=["production", "auxiliary"])
    assert two.total_kgce == pytest.approx(COAL - STEAM_OUT + (1000 + 200) * 0.1229 + WATER)
    listed = comprehensive_energy(r, nodes=["reactor", "boiler"])
    assert listed.total_kgce == pytest.approx(COAL - STEAM_OUT + 1000 * 0.1229 + WATER
                                              + 2000 * 0.0400)


def test_working_media_counted_or_not():
    r = plant().solve()
    with_media = comprehensive_energy(r, boundary="production")
    without = comprehensive_energy(r, boundary="production", working_media=False)
    assert with_media.total_kgce - without.total_kgce == pytest.approx(WATER + 2000 * 0.0400)
    assert without.conventions["working_media"] == "not counted"


def test_electricity_equivalent_case_or_equal_value():
    net = plant()
    net.add_carrier("electricity", "energy", "kWh", tce="0.329 kgce/kWh")   # the case's value
    r = net.solve()
    eq = comprehensive_energy(r)
    assert eq.by_carrier.at["electricity", "kgce"] == pytest.approx(1250 * 0.1229)
    assert comprehensive_energy(r, electricity="case").by_carrier.at[
        "electricity", "kgce"] == pytest.approx(1250 * 0.329)
    for given in (0.305, "0.305 kgce/kWh", "305 gce/kWh"):
        acc = comprehensive_energy(r, electricity=given)
        assert acc.by_carrier.at["electricity", "kgce"] == pytest.approx(1250 * 0.305)
        assert "equal value" in acc.conventions["electricity"]


def test_given_coefficients_and_calorific_values():
    net = fg.Network("fuel")
    net.add_carrier("gas", "energy", "m3", energy_content="35.588 MJ/m3")
    net.add_node("well", kind="source")
    net.add_node("furnace", system="production", layers=[])
    net.add_flow("well", "furnace", "gas", quantity=1000)
    r = net.solve()
    # no tce: calorific value / 29.3076 MJ per kgce (GB/T 2589: 8500 kcal/m3 = 1.2143 kgce/m3)
    assert comprehensive_energy(r).total_kgce == pytest.approx(1000 * 35.588 / 29.3076)
    given = comprehensive_energy(r, coefficients={"gas": "1.1 kgce/m3"})
    assert given.total_kgce == pytest.approx(1100)
    assert given.by_carrier.at["gas", "coefficient_source"] == "given"


def test_sources_and_sinks_are_always_outside():
    net = fg.Network("n")
    net.add_node("grid", kind="source", system="production")
    net.add_node("p", system="production")
    net.add_node("k", kind="sink", system="production")
    net.add_flow("grid", "p", "electricity", quantity=10, unit="kWh")
    net.add_flow("grid", "p", "ore", quantity=1, unit="t")
    net.add_flow("p", "k", "metal")
    acc = comprehensive_energy(net.solve(), product="p->k:metal")
    assert acc.inside == ("p",)
    assert acc.total_kgce == pytest.approx(1.229)
    assert acc.per_unit == pytest.approx(1.229)


def test_bad_boundary_product_and_missing_coefficients(tmp_path):
    r = plant().solve()
    with pytest.raises(fg.ModelError, match="'utilities' is not a system"):
        comprehensive_energy(r, boundary="utilities")
    with pytest.raises(fg.ModelError, match="product flow 'nope'"):
        comprehensive_energy(r, product="nope")
    with pytest.raises(fg.ModelError, match="unknown node"):
        comprehensive_energy(r, nodes=["ghost"])
    with pytest.raises(fg.ModelError, match="equal value"):
        comprehensive_energy(r, electricity="cheap")
    (tmp_path / "case.toml").write_text(
        '[[carrier]]\nname = "mystery heat"\nkind = "energy"\nunit = "t"\n'
        '[[node]]\nid = "s"\nkind = "source"\n[[node]]\nid = "p"\nsystem = "production"\n'
        'layers = []\n[[flow]]\nid = "h"\nsource = "s"\ntarget = "p"\ncarrier = "mystery heat"\n'
        'quantity = 5\n')
    r2 = fg.load(tmp_path).solve()
    with pytest.raises(fg.ModelError, match=r"flow 'h' \(.*case.toml:12\).*mystery heat.*no standard-coal"):
        comprehensive_energy(r2)


def test_an_empty_boundary_says_so():
    net = fg.Network("n")
    net.add_node("s", kind="source")
    net.add_node("p")
    net.add_flow("s", "p", "electricity", quantity=1, unit="kWh")
    with pytest.raises(fg.ModelError, match="no process, utility or storage node"):
        comprehensive_energy(net.solve())


def test_working_medium_without_coefficient_is_listed_not_guessed():
    net = fg.Network("n")
    net.add_carrier("condensate", "water", "t")
    net.add_node("s", kind="source")
    net.add_node("p", system="production", layers=[])
    net.add_flow("s", "p", "condensate", quantity=10)
    acc = comprehensive_energy(net.solve())
    assert acc.total_kgce == 0 and acc.missing == ["condensate"]
    assert "no coefficient" in acc.flows["coefficient_source"].iloc[0]


def test_many_flows_are_vectorised():
    """A boundary crossed by 20,000 flows of three carriers: one coefficient per carrier."""
    n = 20_000
    rng = np.random.default_rng(1)
    q = rng.uniform(1, 100, n)
    import pandas as pd
    nodes = pd.DataFrame({"id": ["grid", "plant"], "kind": ["source", "process"],
                          "system": [None, "production"], "layers": [None, ()]})
    flows = pd.DataFrame({"source": "grid", "target": "plant",
                          "carrier": np.array(["electricity", "fresh water", "raw coal"])[
                              np.arange(n) % 3],
                          "unit": np.array(["kWh", "t", "t"])[np.arange(n) % 3], "quantity": q})
    net = fg.Network.from_frames(nodes, flows)
    acc = comprehensive_energy(net.solve())
    k = np.array([0.1229, 0.2571, 714.3])[np.arange(n) % 3]
    assert acc.total_kgce == pytest.approx(float((q * k).sum()), rel=1e-12)
    assert math.isnan(acc.per_unit)


def test_a_case_energy_section_at_fault_is_named_by_line(tmp_path):
    """Errors of the energy evaluation that come from a key of [energy] name its line: an
    unknown shipped checklist, a boundary no node is in (found by fuzzing: they named no
    file)."""
    from flowgraph.plugins.energy import evaluate
    base = ('[[node]]\nid = "s"\nkind = "source"\n[[node]]\nid = "p"\nsystem = "production"\n'
            'layers = []\n[[node]]\nid = "k"\nkind = "sink"\n'
            '[[flow]]\nsource = "s"\ntarget = "p"\ncarrier = "electricity"\nunit = "kWh"\n'
            'quantity = 5\n[[flow]]\nsource = "p"\ntarget = "k"\ncarrier = "resin"\nunit = "t"\nquantity = 4\n'
            '\n[energy]\n')
    (tmp_path / "case.toml").write_text(base + 'boundary = ["auxiliary"]\n')
    with pytest.raises(fg.ModelError, match=r"case\.toml:25: energy boundary: no process"):
        evaluate(fg.load(tmp_path))
    (tmp_path / "case.toml").write_text(base + 'checklist = "/etc/hostname"\n')
    with pytest.raises(fg.CaseFileError, match=r"case\.toml:25: no shipped checklist"):
        evaluate(fg.load(tmp_path))
