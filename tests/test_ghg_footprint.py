"""Product footprints by gas and in CO2e (methods/ghg_footprint.py): the GHG inventory carried
to the products by the allocation keys of cost and CO2, against hand arithmetic from the
IPCC 2006 defaults and the AR5/AR6 GWP100; conservation and linearity on random networks
with loops; bad input refused by name."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import flowgraph as fg
from flowgraph.app.figures import evaluate_figures
from flowgraph.methods.ghg_footprint import (
    footprint_account,
    footprint_of,
    ghg_footprints,
    propagate_footprints,
)
from flowgraph.methods.greenhouse import ghg_inventory
from flowgraph.plugins.park_indicators import add_footprints, plugin

from .conftest import looped_networks

COAL = {"coal": "other bituminous coal"}

# hand arithmetic ----------------------------------------------------------------------
# 100 t of coal x 25.8 GJ/t (IPCC default NCV, Vol. 2 Table 1.2) = 2.58 TJ, burnt in
# manufacturing (Table 2.3): CH4 10 kg/TJ, N2O 1.5 kg/TJ; CO2 by the carrier's factor
# 25.8 GJ/t x 25.8 kg C/GJ x 44/12 = 2.44068 t CO2/t
TJ = 100 * 25.8 / 1000
CO2_COAL, CH4_COAL, N2O_COAL = 100 * 2.44068, TJ * 10 / 1000, TJ * 1.5 / 1000
CO2_POWER = 10 * 0.8                  # 10 MWh of grid electricity x 0.8 t/MWh: scope 2
N2O_P2 = 0.002                        # P2's own process N2O (emit_N2O): scope 1, IPPU
GWP = {"AR5": {"CH4": 28, "N2O": 265}, "AR6": {"CH4": 29.8, "N2O": 273}}
# steam 600 t / 400 t by mass: P1 gets 0.6 of the boiler, P2 0.4; P1 passes 40 of its 50 t
# of output to product A (0.8), P2 30 of 40 t to B (0.75)
SHARE_A, SHARE_B = 0.6 * 40 / 50, 0.4 * 30 / 40           # 0.48 and 0.30 of the boiler


def _boiler(store=False) -> fg.Network:
    """A boiler burning coal, its steam split by mass to two processes, each making a
    product and a scrap loss; P1 also buys electricity, P2 emits N2O of its own."""
    net = fg.Network("boiler")
    net.add_carrier("coal", kind="energy", unit="t", co2=2.44068)   # IPCC NCV used
    net.add_carrier("electricity", kind="energy", unit="MWh", co2=0.8)
    net.add_carrier("steam", kind="energy", unit="t", layers=["mass"])
    for m in ("A", "B", "scrap"):
        net.add_carrier(m, kind="material", unit="t")
    for n in ("mine", "grid"):
        net.add_node(n, kind="source")
    for n in ("market", "landfill"):
        net.add_node(n, kind="sink")
    net.add_node("boiler", kind="utility", layers=[])
    net.add_node("P1", layers=[])
    net.add_node("P2", layers=[], emit_N2O=N2O_P2)
    net.add_flow("mine", "boiler", "coal", quantity=100, id="coal")
    net.add_flow("grid", "P1", "electricity", quantity=10, id="power")
    net.add_flow("boiler", "P1", "steam", quantity=600, id="steam1")
    net.add_flow("boiler", "P2", "steam", quantity=400, id="steam2")
    if store:       # A goes through a warehouse that keeps 10 of its 40 t
        net.add_node("warehouse", kind="storage", stock={"mass": 10})
        net.add_flow("P1", "warehouse", "A", quantity=40, id="A in")
        net.add_flow("warehouse", "market", "A", id="A")
    else:
        net.add_flow("P1", "market", "A", quantity=40, id="A")
    net.add_flow("P1", "landfill", "scrap", quantity=10, role="loss", id="scrap1")
    net.add_flow("P2", "market", "B", quantity=30, id="B")
    net.add_flow("P2", "landfill", "scrap", quantity=10, role="loss", id="scrap2")
    return net


@pytest.fixture(scope="module")
def result():
    return _boiler().solve()


def _co2e(co2, ch4, n2o, gwp_set):
    return co2 + ch4 * GWP[gwp_set]["CH4"] + n2o * GWP[gwp_set]["N2O"]


@pytest.mark.parametrize("gwp_set", ["AR5", "AR6"])
def test_products_carry_their_share_of_each_gas(result, gwp_set):
    table = ghg_footprints(result, gwp_set, COAL)
    assert set(table.index) == {"A", "B", "scrap1", "scrap2"}       # flows reaching sinks
    a, b = table.loc["A"], table.loc["B"]
    # A: 0.48 of the boiler's coal gases and all of P1's electricity x 40/50
    assert a["CH4_fossil_t"] == pytest.approx(SHARE_A * CH4_COAL)    # 0.012384 t
    assert a["N2O_t"] == pytest.approx(SHARE_A * N2O_COAL)          # 0.0018576 t
    assert a["CO2_t"] == pytest.approx(SHARE_A * CO2_COAL + 0.8 * CO2_POWER)   # 123.55264
    # B: 0.30 of the boiler's gases and 30/40 of P2's own N2O
    assert b["CH4_fossil_t"] == pytest.approx(SHARE_B * CH4_COAL)    # 0.00774 t
    assert b["N2O_t"] == pytest.approx(SHARE_B * N2O_COAL + 0.75 * N2O_P2)     # 0.002661 t
    co2e_a = _co2e(SHARE_A * CO2_COAL, SHARE_A * CH4_COAL, SHARE_A * N2O_COAL, gwp_set) \
        + 0.8 * CO2_POWER
    co2e_b = _co2e(SHARE_B * CO2_COAL, SHARE_B * CH4_COAL,
                   SHARE_B * N2O_COAL + 0.75 * N2O_P2, gwp_set)
    assert a["co2e_t"] == pytest.approx(co2e_a)      # AR5 124.391656, AR6 124.4296
    assert b["co2e_t"] == pytest.approx(co2e_b)      # AR5 74.142285, AR6 74.177505
    assert a["co2e_scope2_t"] == pytest.approx(0.8 * CO2_POWER)      # 6.4 t
    assert a["co2e_scope1_t"] == pytest.approx(co2e_a - 6.4)
    assert a["co2e_t_per_unit"] == pytest.approx(co2e_a / 40)       # t CO2e per t of A
    assert b["N2O_t_per_unit"] == pytest.approx(b["N2O_t"] / 30)
    assert table.attrs["gwp_set"] == gwp_set


def test_the_numbers_of_the_docs(result):
    # docs/methods/ghg.md, Product footprints: AR5 124.39 and 74.14 t CO2e
    ar5 = ghg_footprints(result, "AR5", COAL)
    assert ar5.at["A", "co2e_t"] == pytest.approx(124.391656)
    assert ar5.at["B", "co2e_t"] == pytest.approx(74.142285)
    assert ar5.at["A", "co2e_t_per_unit"] == pytest.approx(3.1097914)


def test_gwp_set_changes_only_the_weights(result):
    ar5, ar6 = ghg_footprints(result, "AR5", COAL), ghg_footprints(result, "AR6", COAL)
    gases = ["CO2_t", "CH4_fossil_t", "N2O_t"]
    assert np.allclose(ar5[gases], ar6[gases])
    # B: 0.00774 t CH4 x (29.8 - 28) + 0.002661 t N2O x (273 - 265)
    assert ar6.at["B", "co2e_t"] - ar5.at["B", "co2e_t"] == pytest.approx(
        0.00774 * 1.8 + 0.002661 * 8)


def test_co2_is_carried_as_the_core_propagation_carries_it(result):
    # the core value flow carries the same CO2 (purchases x factor, a node's own co2)
    table = ghg_footprints(result, "AR6", COAL, flows="all")
    assert np.allclose(table["CO2_t"], result.flows.loc[table.index, "co2"])


@pytest.mark.parametrize("store", [False, True])
def test_co2e_reaching_sinks_and_stock_is_the_inventory(store):
    r = _boiler(store).solve()
    inv = ghg_inventory(r, gwp_set="AR5", fuels=COAL)
    total = _co2e(CO2_COAL, CH4_COAL, N2O_COAL, "AR5") + CO2_POWER + N2O_P2 * 265
    assert inv.total() == pytest.approx(total)                       # 254.34595 t CO2e
    acc = footprint_account(r, inv)
    assert acc["emitted"] == pytest.approx(total)
    assert acc["positive"] + acc["negative"] + acc["stock"] == pytest.approx(total)
    assert acc["unaccounted"] == pytest.approx(0.0, abs=1e-9)
    if store:       # the warehouse keeps 10 of A's 40 t, and a quarter of its footprint
        a = ghg_footprints(r, "AR5", COAL, flows=["A in"]).at["A in", "co2e_t"]
        assert acc["stock"] == pytest.approx(a / 4)
    else:
        assert acc["stock"] == 0.0


def test_gas_released_and_offsite_treatment_enter_where_they_happen():
    net = _boiler()
    net.add_carrier("CH4", kind="emission", unit="kg", layers=[])
    net.add_node("air", kind="sink")
    net.add_flow("P2", "air", "CH4", quantity=50, role="emission", id="vent")
    net.set_node("landfill", treatment_co2=0.5)
    r = net.solve()
    table = ghg_footprints(r, "AR6", COAL)
    # P2's vented 50 kg CH4 is its own: passed by mass to B (30/40) and scrap2 (10/40),
    # the vent itself (no mass) carries none of it
    assert table.at["B", "CH4_fossil_t"] == pytest.approx(SHARE_B * CH4_COAL + 0.75 * 0.05)
    assert table.at["vent", "CH4_fossil_t"] == 0.0
    # 10 t of scrap x 0.5 t CO2e/t treated off-site, carried by the scrap flow (scope 3)
    assert table.at["scrap1", "CO2e_given_t"] == pytest.approx(5.0)
    assert table.at["scrap1", "co2e_scope3_t"] == pytest.approx(5.0)
    assert table.at["A", "co2e_scope3_t"] == 0.0
    inv = ghg_inventory(r, gwp_set="AR6", fuels=COAL)
    assert footprint_account(r, inv)["unaccounted"] == pytest.approx(0.0, abs=1e-9)


def test_bad_input_is_refused_by_name(result):
    with pytest.raises(fg.ModelError, match=r"GWP set 'AR7' is not in data/gwp.csv; did you "
                                            r"mean 'AR6'\?"):
        ghg_footprints(result, "AR7")
    with pytest.raises(fg.ModelError, match=r"'Scrap1' is not a flow of the network; did you "
                                            r"mean 'scrap1'\?"):
        ghg_footprints(result, flows=["A", "Scrap1"])
    table = ghg_footprints(result, "AR6", COAL)
    with pytest.raises(fg.ModelError, match=r"unknown gas 'N20'; did you mean 'N2O'\?"):
        footprint_of(table, "A", "N20")
    assert footprint_of(table, "A", "SF6") == 0.0         # a gas the inventory has not
    assert footprint_of(table, "A", "methane") == table.at["A", "CH4_fossil_t"]



def test_gases_a_node_cannot_allocate_are_refused_by_node():
    net = fg.Network("vent")
    net.add_carrier("heat", kind="energy", unit="GJ")
    net.add_node("src", kind="source")
    net.add_node("out", kind="sink")
    net.add_node("p", layers=[], emit_CH4=1.0)        # no output carries mass, its key
    net.add_flow("src", "p", "heat", quantity=10)
    net.add_flow("p", "out", "heat", quantity=10)
    r = net.solve()
    with pytest.raises(fg.AllocationError, match=r"node\(s\) 'p' receive value"):
        ghg_footprints(r)
    report = fg.Report("park")             # the park report says so instead of failing
    report.blocks = [None, None, None]
    add_footprints(report, r, ghg_inventory(r))
    assert "not computed" in report.blocks[3].empty and "'p'" in report.blocks[3].empty
    assert "ghg_footprints" not in report.tables

PARK = """
[case]
name = "boiler"

[park]
gwp = "AR5"
fuels = {{ coal = "other bituminous coal" }}

[[carrier]]
name = "coal"
kind = "energy"
unit = "t"
co2 = 2.44068

[[carrier]]
name = "steam"
kind = "energy"
unit = "t"
layers = ["mass"]

[[carrier]]
name = "A"
unit = "t"

[[carrier]]
name = "scrap"
unit = "t"

[[node]]
id = "mine"
kind = "source"
[[node]]
id = "market"
kind = "sink"
[[node]]
id = "landfill"
kind = "sink"
[[node]]
id = "boiler"
kind = "utility"
layers = []
[[node]]
id = "P1"
layers = []

[[flow]]
id = "coal"
source = "mine"
target = "boiler"
carrier = "coal"
quantity = 100
[[flow]]
id = "steam"
source = "boiler"
target = "P1"
carrier = "steam"
quantity = 600
[[flow]]
id = "A"
source = "P1"
target = "market"
carrier = "A"
quantity = 40
[[flow]]
id = "scrap"
source = "P1"
target = "landfill"
carrier = "scrap"
quantity = 10
role = "loss"

[[figure]]
name = "footprint_A"
expr = "footprint_per_unit('A', gwp='AR6')"
unit = "t CO2e/t"
published = {published}
"""


def test_park_report_and_figure_function(tmp_path):
    # all the boiler's coal goes to P1; A takes 40 of its 50 t
    per_t = _co2e(CO2_COAL, CH4_COAL, N2O_COAL, "AR6") * 0.8 / 40
    (tmp_path / "case.toml").write_text(PARK.format(published=per_t), encoding="utf-8")
    case = fg.load(tmp_path)
    f = plugin.figure_functions(case, case.result())
    assert f["footprint"]("A", "CH4") == pytest.approx(0.8 * CH4_COAL)
    assert f["footprint"]("A") == pytest.approx(_co2e(CO2_COAL, CH4_COAL, N2O_COAL, "AR5") * 0.8)
    figures = {x["name"]: x for x in evaluate_figures(case, plugins=plugin.figure_functions)}
    assert figures["footprint_A"]["value"] == pytest.approx(per_t)
    table = plugin.report(case).tables["ghg_footprints"]
    assert table.at["scrap", "co2e_t"] == pytest.approx(
        _co2e(CO2_COAL, CH4_COAL, N2O_COAL, "AR5") * 0.2)
    with pytest.raises(fg.ModelError, match=r"'B' is not a flow"):
        f["footprint"]("B")


# laws on random networks with loops ---------------------------------------------------
def _gas(table, column):
    return table[column].to_numpy() if column in table else np.zeros(len(table))


@settings(max_examples=25, deadline=None)
@given(looped_networks(max_nodes=6), st.floats(0.1, 10.0), st.floats(0.1, 10.0))
def test_footprints_are_linear_in_the_factors_and_conserved(net, a, b):
    net.set_node("p0", emit_N2O=0.01)
    r = net.solve()

    def fp(ch4, n2o):
        factors = {"m": {"CH4": ch4}, "e": {"N2O": n2o}}
        return ghg_footprints(r, "AR6", factors=factors, flows="all")

    base, one, two = fp(0.0, 0.0), fp(1e-3, 0.0), fp(0.0, 1e-4)
    both = fp(a * 1e-3, b * 1e-4)
    assert np.allclose(_gas(both, "CH4_fossil_t"), a * _gas(one, "CH4_fossil_t"))
    for col in ("co2e_t", "co2e_scope1_t", "co2e_scope3_t"):
        expected = base[col] + a * (one[col] - base[col]) + b * (two[col] - base[col])
        assert np.allclose(both[col], expected, rtol=1e-9, atol=1e-9)
    # per node: in = out + retained, nothing retained but at the sink; overall the inventory
    factors = {"m": {"CH4": a * 1e-3}, "e": {"N2O": b * 1e-4}}
    inv = ghg_inventory(r, gwp_set="AR6", factors=factors)
    prop = propagate_footprints(r, inv)
    scale = np.abs(prop.node_in).max(initial=1.0)
    assert np.allclose(prop.node_in, prop.node_out + prop.retained, atol=1e-9 * scale)
    centres = r.compiled.node_kind != "sink"
    assert np.allclose(prop.retained[centres], 0.0, atol=1e-9 * scale)
    acc = footprint_account(r, inv)
    assert abs(acc["unaccounted"]) <= 1e-9 * max(acc["emitted"], 1.0)
    # CO2 goes exactly where the core value flow takes it
    table = ghg_footprints(r, inventory=inv, flows="all")
    assert np.allclose(_gas(table, "CO2_t"), r.flows.loc[table.index, "co2"], rtol=1e-9,
                       atol=1e-12)
