"""Park indicators per unit of added value and decoupling (methods/decoupling.py, the park
plugin), against hand arithmetic; bad input refused by name before any output."""

from __future__ import annotations

import re

import pytest

import flowgraph as fg
from flowgraph.app.figures import evaluate_figures
from flowgraph.methods.decoupling import tapio_class
from flowgraph.plugins.park_indicators import plugin

CASE = """
[case]
name = "two firms"

[park]
{park}

[[carrier]]
name = "electricity"
kind = "energy"
unit = "MWh"
tce = 0.1229
co2 = 0.8

[[carrier]]
name = "water"
kind = "water"
unit = "t"
tce = 0.0002571

[[carrier]]
name = "SO2"
kind = "emission"
unit = "t"

[[node]]
id = "grid"
kind = "source"
[[node]]
id = "works"
kind = "source"
[[node]]
id = "river"
kind = "sink"
[[node]]
id = "air"
kind = "sink"
[[node]]
id = "a"
firm = "A"
added_value = {va_a}
emit_CH4 = 1.0
[[node]]
id = "b"
kind = "utility"
firm = "B"
added_value = 5.0e7

[[flow]]
id = "pa"
source = "grid"
target = "a"
carrier = "electricity"
quantity = 1000
[[flow]]
id = "pb"
source = "grid"
target = "b"
carrier = "electricity"
quantity = 3000
[[flow]]
id = "wa"
source = "works"
target = "a"
carrier = "water"
quantity = 10000
[[flow]]
id = "da"
source = "a"
target = "river"
carrier = "water"
conc_COD = 50
[[flow]]
id = "sb"
source = "b"
target = "air"
carrier = "SO2"
quantity = 2
role = "emission"

[[scenario]]
name = "next"
[[scenario.edit]]
op = "scale_flow"
target = "pb"
factor = 0.5
[[scenario.edit]]
op = "set_node"
target = "b"
added_value = 1.0e8
"""

GOOD = 'gwp = "AR5"\nbaseline = "base"\ntarget = "next"'


def _case(tmp_path, park=GOOD, va_a="2.0e7"):
    (tmp_path / "case.toml").write_text(CASE.format(park=park, va_a=va_a), encoding="utf-8")
    return fg.load(tmp_path)


def test_intensities_per_10k_cny(tmp_path):
    use = plugin.report(_case(tmp_path)).tables["indicators"]
    # firm A: 1000 MWh x 0.1229 + 10000 t x 0.0002571 = 125.471 tce; VA 2e7 CNY = 2000 x 10^4
    assert use.at["A", "energy_tce"] == pytest.approx(125.471)
    assert use.at["A", "energy_tce_per_10k_cny"] == pytest.approx(125.471 / 2000)
    # COD: 10000 t x 50 mg/L = 500 kg = 0.5 t; water 10000 t
    assert use.at["A", "COD_t"] == pytest.approx(0.5)
    assert use.at["A", "water_t"] == pytest.approx(10000)
    # CO2e (scopes 1 and 2): 1000 x 0.8 + 1 t CH4 x 28 (AR5) = 828 t
    assert use.at["A", "CO2e_t"] == pytest.approx(828)
    # firm B: 3000 MWh x 0.8 = 2400 t CO2e, SO2 2 t, VA 5000 x 10^4 CNY
    assert use.at["B", "SO2_t_per_10k_cny"] == pytest.approx(2 / 5000)
    park = use.loc["(park)"]
    assert park["CO2e_t"] == pytest.approx(3228)
    assert park["CO2e_t_per_10k_cny"] == pytest.approx(3228 / 7000)


def test_decoupling_baseline_to_target(tmp_path):
    table = plugin.report(_case(tmp_path)).tables["decoupling"]
    # CO2e: 3228 -> 828 + 1200 = 2028; VA 7000 -> 12000 (x 10^4 CNY)
    d_u, d_va = (2028 - 3228) / 3228, (12000 - 7000) / 7000
    row = table.loc["CO2e_t"]
    assert row["change"] == pytest.approx(d_u)
    assert row["value_added_change"] == pytest.approx(d_va)
    assert row["elasticity"] == pytest.approx(d_u / d_va)
    assert row["decoupling"] == "strong decoupling"
    assert row["intensity_change"] == pytest.approx((2028 / 12000) / (3228 / 7000) - 1)
    # water unchanged while VA grows: elasticity 0, weak decoupling (Tapio: 0 <= e < 0.8)
    assert table.loc["water_t", "decoupling"] == "weak decoupling"


@pytest.mark.parametrize("d_va, d_u, expected", [
    (0.5, -0.1, "strong decoupling"), (0.5, 0.2, "weak decoupling"),
    (0.5, 0.5, "expansive coupling"), (0.5, 0.7, "expansive negative decoupling"),
    (-0.5, 0.1, "strong negative decoupling"), (-0.5, -0.2, "weak negative decoupling"),
    (-0.5, -0.5, "recessive coupling"), (-0.5, -0.7, "recessive decoupling")])
def test_tapio_classes(d_va, d_u, expected):
    assert tapio_class(d_va, d_u) == expected


def test_figure_functions(tmp_path):
    case = _case(tmp_path)
    f = plugin.figure_functions(case, case.result())
    assert f["co2e"](scope=2) == pytest.approx(3200)
    assert f["co2e"](gwp="AR6") == pytest.approx(3200 + 29.8)
    assert f["ghg_gas"]("CH4") == pytest.approx(1.0)
    assert f["park_intensity"]("CO2e_t", "B") == pytest.approx(2400 / 5000)
    assert f["decoupling_elasticity"]("CO2e_t") == pytest.approx(
        ((2028 - 3228) / 3228) / (5000 / 7000))
    assert evaluate_figures(case, plugins=plugin.figure_functions) == []


def test_gwp_set_not_in_the_table_is_refused_with_the_line(tmp_path):
    with pytest.raises(fg.ModelError, match=r"case.toml:6: \[park\] GWP set 'AR4'"):
        plugin.report(_case(tmp_path, 'gwp = "AR4"'))


def test_unknown_gas_in_factors_is_refused(tmp_path):
    with pytest.raises(fg.ModelError, match=r"factors.electricity: unknown gas 'CH5'"):
        plugin.report(_case(tmp_path, 'factors = { electricity = { CH5 = 1e-5 } }'))


def test_a_fuel_that_is_no_ipcc_fuel_is_refused_with_the_line(tmp_path):
    """fuels maps carriers to IPCC fuels by name: a number (a workbook cell typed over,
    found by fuzzing) crashed the CH4 and N2O lookup; an unknown name is refused too."""
    for given, says in (("1e300", "1e+300 is not a fuel name"),
                        ('"peat moss"', "no default factors for fuel 'peat moss'")):
        with pytest.raises(fg.ModelError, match=r"case\.toml:6: IPCC: " + re.escape(says)):
            plugin.report(_case(tmp_path, f"fuels = {{ coal = {given} }}"))


def test_negative_value_added_is_refused_by_node(tmp_path):
    with pytest.raises(fg.ModelError, match=r"case.toml:\d+: node 'a': added_value -1e\+06"):
        plugin.report(_case(tmp_path, va_a="-1.0e6"))


def test_missing_baseline_scenario_is_refused(tmp_path):
    with pytest.raises(fg.PluginError, match=r"baseline scenario '2005' is not a scenario"):
        plugin.report(_case(tmp_path, 'baseline = "2005"\ntarget = "next"'))
    with pytest.raises(fg.PluginError, match=r"decoupling needs a baseline scenario"):
        plugin.report(_case(tmp_path, 'target = "next"'))
