"""Standard coal, CO2 (IPCC formula and per-unit factors) and unit indicators by hand."""

import pytest

import flowgraph as fg
from flowgraph.methods.conversions import (
    co2_ipcc,
    co2_per_unit,
    good_output,
    ipcc_fuel,
    purchases,
    standard_coal,
    unit_indicators,
)


def test_ipcc_formula_by_hand():
    # 100 t of diesel: 100 t x 43.0 GJ/t x 20.2 kg C/GJ x 1 x 44/12
    assert co2_ipcc(100, "diesel") == pytest.approx(100 * 43.0 * 20.2e-3 * 44 / 12)
    # given factors override the table: 10 t x 20 GJ/t x 25 kg C/GJ x 0.98 x 44/12
    assert co2_ipcc(10, ncv=20, cef=25, cof=0.98) == pytest.approx(10 * 20 * 0.025 * 0.98 * 44 / 12)
    # energy in tce needs no NCV: 1 tce = 29.3076 GJ
    assert co2_ipcc(1, "other bituminous coal", unit="tce") == pytest.approx(
        29.3076 * 25.8e-3 * 44 / 12)
    # a mass in kg is converted
    assert co2_ipcc(1000, "natural gas", unit="kg") == pytest.approx(48.0 * 15.3e-3 * 44 / 12)
    assert ipcc_fuel("烟煤")["fuel"] == "other bituminous coal"


def test_standard_coal_from_table_or_case():
    assert standard_coal(1e4, "electricity") == pytest.approx(1.229)       # 0.1229 kgce/kWh
    assert standard_coal(3, "electricity", unit="万kWh") == pytest.approx(3.687)
    assert standard_coal(100, coefficient="0.128 tce/t", unit="t") == pytest.approx(12.8)
    assert standard_coal(1000, coefficient="0.2429 kgce/t", unit="t") == pytest.approx(0.2429)
    assert standard_coal(10, coefficient=0.5) == pytest.approx(5)


def test_co2_per_unit_factor():
    assert co2_per_unit(1e4, "0.3023 kg/kWh", unit="kWh") == pytest.approx(3.023)
    assert co2_per_unit(2, "316.36 kg/t", unit="t") == pytest.approx(0.63272)
    assert co2_per_unit(5, 0.2) == pytest.approx(1.0)


def test_conversion_errors():
    with pytest.raises(fg.ModelError, match="no default factors for fuel 'peat moss'"):
        co2_ipcc(1, "peat moss")
    with pytest.raises(fg.ModelError, match="neither a mass nor an energy"):
        co2_ipcc(1, "natural gas", unit="m3")
    with pytest.raises(fg.ModelError, match="'unobtainium' is not in the GB/T 2589 table"):
        standard_coal(1, "unobtainium")
    with pytest.raises(fg.UnitError, match="not in tce per t"):
        standard_coal(1, coefficient="0.1 kg/t", unit="t")


def plant():
    net = fg.Network("plant")
    net.add_carrier("electricity", "energy", "kWh", price=0.8, tce="0.1229 kgce/kWh",
                    co2="0.3023 kg/kWh")
    net.add_node("grid", kind="source")
    net.add_node("market", kind="source")
    net.add_node("c")
    net.add_node("customer", kind="sink")
    net.add_node("buyer", kind="sink")
    net.add_node("dump", kind="sink")
    net.add_flow("market", "c", "ore", quantity=100, price=10)
    net.add_flow("grid", "c", "electricity", quantity="2 万kWh")
    net.add_flow("grid", "c", "electricity", quantity=5000, id="more power")
    net.add_flow("c", "customer", "product", quantity=60, id="product")
    net.add_flow("c", "buyer", "by-product", quantity=20, role="byproduct", price=80)
    net.add_flow("c", "dump", "scrap", role="loss")
    return net


def test_unit_indicators_by_hand():
    r = plant().solve()
    bought = purchases(r)
    assert bought.at["electricity", "quantity"] == pytest.approx(25000)    # kWh, units summed right
    assert bought.at["electricity", "unit"] == "kWh"
    assert good_output(r) == pytest.approx(80)                          # product + by-product
    per_product = unit_indicators(r, per="product")
    assert per_product["electricity per t"] == pytest.approx(25000 / 60)
    assert per_product["tce per t"] == pytest.approx(25000 * 0.1229e-3 / 60)
    assert per_product["co2 per t"] == pytest.approx(25000 * 0.3023e-3 / 60)
    assert per_product["cost per t"] == pytest.approx((1000 + 20000) / 60)
    assert unit_indicators(r)["tce per t"] == pytest.approx(25000 * 0.1229e-3 / 80)
    with pytest.raises(fg.ModelError, match="unknown product flow 'gold'"):
        unit_indicators(r, per="gold")
