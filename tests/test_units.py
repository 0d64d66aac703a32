"""Units: 万, tce/kgce, CNY as its own dimension, factors given with units."""

import pytest

import flowgraph as fg
from flowgraph.model import units


def test_wan_prefix_and_coal_equivalent():
    assert units.factor("万t", "t") == 1e4
    assert units.factor("万kWh", "kWh") == 1e4
    assert units.factor("万元", "CNY") == 1e4
    assert units.factor("tce", "GJ") == pytest.approx(29.3076)
    assert units.factor("kgce", "kJ") == pytest.approx(29307.6)
    assert units.dimension("m3") == "volume"
    assert units.dimension("CNY/t") == "other"


def test_factors_as_strings_become_numbers_per_carrier_unit():
    net = fg.Network("f")
    c = net.add_carrier("electricity", "energy", "万kWh", tce="0.1229 kgce/kWh",
                        price="0.8 元/kWh", co2="0.3023 kg/kWh")
    assert c.tce == pytest.approx(1.229)
    assert c.price == pytest.approx(8000)
    assert c.co2 == pytest.approx(3.023)


def test_money_is_not_mass():
    with pytest.raises(fg.UnitError):
        units.factor("CNY", "t")


def test_carrier_inferred_from_table_and_unit():
    net = fg.Network("inf")
    net.add_node("s", kind="source")
    net.add_node("k", kind="sink")
    net.add_flow("s", "k", "电力", quantity=10, unit="kWh")
    net.add_flow("s", "k", "mystery fuel", quantity=10, unit="GJ")
    net.add_flow("s", "k", "water", quantity=10)
    assert net.carriers["电力"].tce == pytest.approx(0.1229e-3)
    assert net.carriers["mystery fuel"].kind == "energy"
    assert net.carriers["water"].kind == "water" and net.carriers["water"].unit == "t"


def test_a_factor_beyond_any_float_is_a_unit_error():
    with pytest.raises(fg.UnitError, match=r"^co2: a number of 401 digits is beyond any value$"):
        units.per_unit(10**400, "t", "t", "co2")


def test_quantity_with_a_unit_is_read_in_the_flow_unit_or_its_own():
    net = fg.Network("q")
    net.add_node("s", kind="source")
    net.add_node("k", kind="sink")
    net.add_flow("s", "k", "ore", quantity="3 万t", unit="t", id="a")
    net.add_flow("s", "k", "slag", quantity="3 万t", id="b")
    assert net.flow("a")["quantity"] == pytest.approx(30000) and net.flow("a")["unit"] == "t"
    assert net.flow("b")["quantity"] == 3 and net.flow("b")["unit"] == "万t"
    with pytest.raises(fg.UnitError, match=r"^flow 'c': quantity '3 kWh': 'kWh' cannot be "
                                           r"converted to 't'"):
        net.add_flow("s", "k", "ore", quantity="3 kWh", unit="t", id="c")
