"""GHG in CO2-equivalents (methods/greenhouse.py): GWP sets, IPCC 2006 stationary-combustion
CH4 and N2O, scopes 1/2/3 counted once, against hand arithmetic from the tables' inputs."""

from __future__ import annotations

import pytest

import flowgraph as fg
from flowgraph.methods.greenhouse import (
    co2e,
    combustion_factors,
    combustion_gases,
    gas_name,
    ghg_inventory,
    gwp,
)


def test_gwp_values_of_the_two_reports():
    # IPCC AR5 WG1 Table 8.A.1 / AR6 WG1 Table 7.15
    assert gwp("CH4", "AR5") == 28 and gwp("N2O", "AR5") == 265 and gwp("SF6", "AR5") == 23500
    assert gwp("CH4", "AR6") == 29.8 and gwp("CH4_nonfossil", "AR6") == 27.0
    assert gwp("N2O", "AR6") == 273 and gwp("SF6", "AR6") == 25200
    assert gas_name("methane") == "CH4_fossil" and gas_name("hfc-134a") == "HFC-134a"
    # 10 t CH4 + 1 t N2O + 0.01 t SF6 under AR6
    assert co2e({"CH4": 10, "N2O": 1, "SF6": 0.01}, "AR6") == pytest.approx(
        10 * 29.8 + 273 + 0.01 * 25200)


def test_stationary_combustion_ch4_n2o_by_the_ipcc_formula():
    # Table 2.2 (energy industries), coal: CH4 1 kg/TJ, N2O 1.5 kg/TJ; Table 2.3 coal CH4 10
    assert combustion_factors("bituminous coal", "energy")[("CH4")] == 1
    assert combustion_factors("other bituminous coal", "manufacturing")["CH4"] == 10
    assert combustion_factors("natural gas", "energy")["N2O"] == 0.1
    assert combustion_factors("diesel", "manufacturing")["CH4"] == 3
    # 1000 t of coal x 25.8 GJ/t = 25.8 TJ; x 10 kg/TJ = 258 kg CH4; x 1.5 = 38.7 kg N2O
    gases = combustion_gases(1000 * 25.8, "other bituminous coal", "manufacturing")
    assert gases["CH4"] == pytest.approx(0.258) and gases["N2O"] == pytest.approx(0.0387)


def _plant(**chp):
    net = fg.Network("plant")
    net.add_carrier("coal", kind="energy", unit="t", co2=2.44068)      # no energy_content:
    net.add_carrier("electricity", kind="energy", unit="MWh", co2=0.8)  # the IPCC NCV is used
    net.add_carrier("limestone", kind="material", unit="t", co2=0.01)
    net.add_carrier("heat", kind="energy", unit="GJ")
    net.add_carrier("CH4", kind="emission", unit="kg", layers=[])
    net.add_carrier("waste", kind="material", unit="t")
    for n in ("mine", "grid", "quarry"):
        net.add_node(n, kind="source")
    net.add_node("air", kind="sink")
    net.add_node("landfill", kind="sink", treatment_co2=0.5)
    net.add_node("chp", kind="utility", firm="A", combustion_sector="energy",
                 allocation="energy", **chp)
    net.add_node("kiln", firm="B", co2=100.0, **{"emit_SF6": 0.001, "emit_N2O": 0.2})
    net.add_flow("mine", "chp", carrier="coal", quantity=1000)
    net.add_flow("grid", "kiln", carrier="electricity", quantity=500)
    net.add_flow("quarry", "kiln", carrier="limestone", quantity=2000)
    net.add_flow("chp", "kiln", carrier="heat", quantity=20000)
    net.add_flow("chp", "air", carrier="CH4", quantity=300, role="emission")
    net.add_flow("kiln", "landfill", carrier="waste", role="waste")
    return net


def test_scopes_by_gas_and_in_co2e_each_item_once():
    r = _plant().solve()
    inv = ghg_inventory(r, gwp_set="AR5", fuels={"coal": "other bituminous coal"})
    # scope 1: coal 1000 t x 2.44068 = 2440.68 t CO2; combustion (Table 2.2, energy):
    # 25.8 TJ x 1 kg/TJ = 25.8 kg CH4, x 1.5 = 38.7 kg N2O; the CH4 flow 300 kg; the kiln's
    # own 100 t CO2, 0.2 t N2O and 0.001 t SF6
    ch4 = 0.0258 + 0.3
    n2o = 0.0387 + 0.2
    scope1 = 2440.68 + 100 + ch4 * 28 + n2o * 265 + 0.001 * 23500
    assert inv.total(1) == pytest.approx(scope1)
    assert inv.total(1, gas="CH4", column="amount_t") == pytest.approx(ch4)
    assert inv.total(1, gas="N2O", column="amount_t") == pytest.approx(n2o)
    # scope 2: 500 MWh x 0.8 t/MWh; the heat from the CHP inside is not counted again
    assert inv.total(2) == pytest.approx(400.0)
    # scope 3: limestone 2000 t x 0.01 (upstream), waste 2000 t x 0.5 t CO2e/t (off-site)
    assert inv.total(3) == pytest.approx(20.0 + 1000.0)
    assert inv.total(3, category="waste") == pytest.approx(1000.0)
    assert inv.total() == pytest.approx(scope1 + 400 + 1020)
    keys = list(zip(inv.items["item"], inv.items["gas"]))
    assert len(keys) == len(set(keys))            # no flow or attribute twice per gas
    assert "chp->kiln:heat" not in set(inv.items["item"])


def test_gwp_set_changes_only_the_weights():
    r = _plant().solve()
    ar5 = ghg_inventory(r, gwp_set="AR5")
    ar6 = ghg_inventory(r, gwp_set="AR6")
    # the kiln's SF6: 0.001 t x 23500 (AR5) vs x 25200 (AR6)
    assert ar6.total(gas="SF6") - ar5.total(gas="SF6") == pytest.approx(0.001 * 1700)
    assert ar6.total(gas="CO2") == ar5.total(gas="CO2")


def test_a_firm_boundary_makes_internal_supply_scope_2():
    r = _plant().solve()
    inv = ghg_inventory(r, firm="B", gwp_set="AR6")
    # heat from firm A's CHP enters firm B: scope 2 with the CO2 the value flow carries
    assert inv.total(2) == pytest.approx(400.0 + float(r.flows.loc["chp->kiln:heat", "co2"]))
    assert inv.total(1, gas="CO2") == pytest.approx(100.0)


def test_unknown_gas_is_refused_by_node():
    r = _plant(**{"emit_XYZ": 1.0}).solve()
    with pytest.raises(fg.ModelError, match=r"node 'chp': emit_XYZ: unknown gas 'XYZ'"):
        ghg_inventory(r)


def test_gwp_set_not_in_the_table_is_refused():
    with pytest.raises(fg.ModelError, match=r"GWP set 'AR4' is not in data/gwp.csv"):
        ghg_inventory(_plant().solve(), gwp_set="AR4")


def test_unknown_combustion_sector_and_fuel_are_refused():
    with pytest.raises(fg.ModelError, match="sector 'residential'"):
        combustion_factors("natural gas", "residential")
    with pytest.raises(fg.ModelError, match="no default factors for fuel 'peat moss'"):
        combustion_factors("peat moss", "energy")
