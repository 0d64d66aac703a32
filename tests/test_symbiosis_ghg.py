"""Park GHG accounting by scope: each tonne counted once, checked by hand."""

from __future__ import annotations

import math

import pytest

import flowgraph as fg
from flowgraph.plugins import symbiosis as sym

R = 6371.0088
PARAMS = sym.parameters({"ghg": {"road_co2_per_tkm": 0.0001},
                         "distance": {"detour_factor": 1.0, "earth_radius_km": R}})


def chp_park():
    """A coal CHP inside the park sells electricity to firm A and the grid and steam to B;
    A also imports grid electricity, has process emissions and sends waste off site; B runs
    an on-site wastewater plant and receives slag from A by road."""
    net = fg.Network("CHP park")
    net.add_carrier("coal", "energy", "t", co2=2.0, energy_content="20 GJ/t")
    net.add_carrier("electricity", "energy", "MWh", co2=0.5)
    net.add_carrier("steam", "energy", "GJ")
    net.add_carrier("limestone", "material", "t", co2=0.01)
    net.add_node("market", kind="source")
    net.add_node("grid in", kind="source")
    net.add_node("grid out", kind="sink")
    net.add_node("landfill", kind="sink", treatment_co2=0.5)
    net.add_node("customers", kind="sink")
    net.add_node("chp", kind="utility", firm="CHP", sector="energy", allocation="energy",
                 lat=0.0, lon=0.0)
    net.add_node("a", firm="A", sector="chemicals", co2=100.0, added_value=2.0e6, layers=[],
                 lat=0.0, lon=0.0)
    net.add_node("b", firm="B", sector="materials", layers=[], lat=0.0, lon=0.1,
                 added_value=1.0e6)
    net.add_node("b wwtp", kind="utility", firm="B", co2=30.0, ghg_category="waste")
    net.add_flow("market", "chp", "coal", quantity=1000.0)
    net.add_flow("chp", "a", "electricity", quantity=800.0)
    net.add_flow("chp", "b", "steam", quantity=1000.0)
    net.add_flow("chp", "grid out", "electricity", quantity=200.0)
    net.add_flow("grid in", "a", "electricity", quantity=500.0)
    net.add_flow("a", "landfill", "waste", quantity=40.0, role="waste")
    net.add_flow("a", "b", "slag", quantity=100.0)
    net.add_flow("market", "b", "limestone", quantity=50.0)
    net.add_flow("a", "customers", "product", quantity=60.0)
    net.add_flow("b", "customers", "blocks", quantity=150.0)
    return net


def test_scopes_by_hand_and_the_chp_counted_once():
    acc = sym.park_ghg(chp_park().solve(), PARAMS)
    t = acc.totals
    km = R * math.radians(0.1)
    assert t["scope1_fuel"] == pytest.approx(1000 * 2.0)            # the CHP's coal
    assert t["scope1_process"] == pytest.approx(100.0)              # A's own
    assert t["scope1_waste"] == pytest.approx(30.0)                 # B's wastewater plant
    assert t["scope2_imported"] == pytest.approx(500 * 0.5)         # A's grid electricity
    assert t["scope3_waste"] == pytest.approx(40 * 0.5)             # A's waste to landfill
    assert t["scope3_transport"] == pytest.approx(100 * km * 0.0001)
    assert t["upstream"] == pytest.approx(50 * 0.01)                # not in the total
    total = 2000 + 100 + 30 + 250 + 20 + 100 * km * 0.0001
    assert t["total"] == pytest.approx(total)
    # the CHP's CO2 reaches A and B on its electricity and steam (energy allocation:
    # 2880 GJ to A, 1000 GJ to B, 720 GJ exported of 4600 GJ); shown, not added again
    assert t["scope2_internal"] == pytest.approx(2000 * (2880 + 1000) / 4600)
    f = acc.by_firm
    assert f.loc["CHP", "total"] == pytest.approx(2000.0)
    assert f.loc["A", "total"] == pytest.approx(100 + 250 + 20)
    assert f.loc["A", "scope2_internal"] == pytest.approx(2000 * 2880 / 4600)
    assert f["total"].sum() == pytest.approx(total)
    assert f.loc["A", "intensity_t_per_10k_cny"] == pytest.approx(370 / 200)
    s = acc.by_sector
    assert s.loc["energy", "total"] == pytest.approx(2000.0)
    assert t["share_energy"] == pytest.approx(2250 / total)


def test_ghg_scope_attribute_overrides_and_is_checked():
    net = chp_park()
    net.set_flow("market->chp:coal", ghg_scope="none")             # e.g. used as feedstock
    t = sym.park_ghg(net.solve(), PARAMS).totals
    assert t["scope1_fuel"] == 0.0
    net.set_flow("market->chp:coal", ghg_scope="scope 1")
    with pytest.raises(fg.ModelError, match="market->chp:coal.*ghg_scope 'scope 1'"):
        sym.park_ghg(net.solve(), PARAMS)
