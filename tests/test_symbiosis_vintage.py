"""The vintage-stock model on two- and three-unit parks computed by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import flowgraph as fg
from flowgraph.plugins import symbiosis as sym
from flowgraph.plugins.symbiosis.stocknet import stock_network
from flowgraph.solvers.cohorts import Lifetime, stock_driven

# technologies and prices spelt out here, so the hand figures do not depend on the data file
TECH = {
    "coal boiler": {"fuel": "coal", "output": "heat", "heat_efficiency": 0.75, "lifetime": 20,
                    "capex_per_mw": 4.0e5, "om_per_mw": 3.0e4},
    "gas boiler": {"fuel": "gas", "output": "heat", "heat_efficiency": 0.92, "lifetime": 20,
                   "capex_per_mw": 3.0e5, "om_per_mw": 2.0e4},
    "coal power": {"fuel": "coal", "output": "electricity", "electric_efficiency": "size_class",
                   "lifetime": 30, "capex_per_mw": 4.0e6, "om_per_mw": 1.2e5},
    "NGCC": {"fuel": "gas", "output": "electricity", "electric_efficiency": 0.55, "lifetime": 30,
             "capex_per_mw": 3.0e6, "om_per_mw": 1.0e5},
    "gas CHP": {"fuel": "gas", "output": "chp", "electric_efficiency": 0.50,
                "heat_efficiency": 0.90, "lifetime": 25, "capex_per_mw": 3.5e6,
                "om_per_mw": 1.0e5},
}


def data(**over):
    base = {"start_year": 2018, "end_year": 2022, "discount_rate": 0.0,
            "electricity_price": 400.0, "heat_price": 40.0, "grid_co2": 0.5,
            "heat_to_power": 1.5, "technology": TECH,
            "fuel": {"coal": {"co2": 0.09645, "price": 30.0}, "gas": {"co2": 0.0561,
                                                                    "price": 70.0}}}
    base.update(over)
    return sym.energy_data(base)


UNITS = pd.DataFrame({"fuel": ["coal", "coal"], "output": ["heat", "electricity"],
                      "capacity_mw": [10.0, 50.0], "start_year": [2000, 2010],
                      "lifetime": [20, 30], "hours": [4000.0, 5000.0]}, index=["A", "B"])
M1 = {"id": "M1", "when": "retrofit", "year": 2019, "match": {"fuel": "coal", "output": "heat"},
      "to": "gas boiler", "retrofit_cost_per_mw": 250000}


def test_two_units_by_hand():
    """A: 10 MW coal boiler, 4000 h, retires 2020. B: 50 MW coal power unit, untouched.
    M1 turns A into a gas boiler in 2019 (2.5 M CNY); at 2020 its follow-up is a gas boiler
    (3 M CNY) instead of a coal boiler (4 M CNY)."""
    model = sym.VintageModel(UNITS, data(), sym.parse_measures([M1], 2018))
    table, paths = model.evaluate()
    heat = 10 * 4000 * 3.6                                  # 144,000 GJ a year
    coal_gj, gas_gj = heat / 0.75, heat / 0.92
    co2_coal, co2_gas = coal_gj * 0.09645, gas_gj * 0.0561
    elec = 50 * 5000                                        # MWh
    co2_b = elec * 3.6 / 0.353 * 0.09645                    # the 6-100 MW class
    base = paths["baseline"].annual
    assert base["co2"].sum() == pytest.approx(5 * (co2_coal + co2_b))
    assert base.loc[2020, "capex_followup"] == pytest.approx(10 * 4.0e5)
    m1 = table.loc["M1"]
    assert m1["abatement"] == pytest.approx(4 * (co2_coal - co2_gas))
    assert m1["delta_fuel_cost"] == pytest.approx(4 * (gas_gj * 70 - coal_gj * 30))
    assert m1["delta_om_cost"] == pytest.approx(4 * 10 * (2.0e4 - 3.0e4))
    assert m1["delta_capex_retrofit"] == pytest.approx(10 * 250000)
    assert m1["delta_capex_followup"] == pytest.approx(10 * (3.0e5 - 4.0e5))
    cost = 4 * (gas_gj * 70 - coal_gj * 30) - 4e5 + 2.5e6 - 1e6
    assert m1["cost"] == pytest.approx(cost)
    assert m1["cost_per_t"] == pytest.approx(cost / (4 * (co2_coal - co2_gas)))
    assert m1["abatement_share"] == pytest.approx(m1["abatement"] / (5 * (co2_coal + co2_b)))
    assert paths["M1"].states.loc["A"].tolist() == ["coal boiler"] + ["gas boiler"] * 4


def test_discounting_by_hand():
    model = sym.VintageModel(UNITS, data(discount_rate=0.1), sym.parse_measures([M1], 2018))
    m1 = model.evaluate()[0].loc["M1"]
    heat = 144000.0
    yearly = heat / 0.92 * 70 - heat / 0.75 * 30 - 1e5
    pv = sum(yearly / 1.1 ** k for k in (1, 2, 3, 4)) + 2.5e6 / 1.1 - 1e6 / 1.1 ** 2
    assert m1["cost"] == pytest.approx(pv)


def test_retirement_measure_to_combined_cycle_by_hand():
    units = pd.DataFrame({"fuel": ["coal"], "output": ["electricity"], "capacity_mw": [50.0],
                          "start_year": [1990], "lifetime": [30], "hours": [5000.0]},
                         index=["C"])
    m2 = {"id": "M2", "when": "retirement", "match": {"fuel": "coal"},
          "to": {"electricity": "NGCC"}}
    model = sym.VintageModel(units, data(), sym.parse_measures([m2], 2018))
    table, paths = model.evaluate()
    elec = 250000.0
    coal = elec * 3.6 / 0.353 * 0.09645
    gas = elec * 3.6 / 0.55 * 0.0561
    assert table.loc["M2", "abatement"] == pytest.approx(3 * (coal - gas))   # 2020-2022
    assert table.loc["M2", "delta_capex_followup"] == pytest.approx(50 * (3.0e6 - 4.0e6))
    assert paths["M2"].states.loc["C", 2020] == "NGCC"


def test_multigeneration_credits_the_grid():
    """A coal boiler replaced at retirement by a gas CHP keeps its heat and adds electricity
    E = H / (3.6 x heat-to-power), which displaces grid electricity at 0.5 t/MWh."""
    units = UNITS.iloc[:1]
    m5 = {"id": "M5", "when": "retirement", "match": {"output": "heat"}, "to": "gas CHP"}
    model = sym.VintageModel(units, data(), sym.parse_measures([m5], 2018))
    table, paths = model.evaluate()
    heat = 144000.0
    e = heat / (3.6 * 1.5)
    direct = (e * 3.6 / 0.5 + heat / 0.9) * 0.0561
    net = direct - e * 0.5
    coal = heat / 0.75 * 0.09645
    a = paths["M5"].annual
    assert a.loc[2021, "electricity_mwh"] == pytest.approx(e)
    assert a.loc[2021, "co2"] == pytest.approx(net)
    assert table.loc["M5", "abatement"] == pytest.approx(3 * (coal - net))
    assert table.loc["M5", "delta_revenue_electricity"] == pytest.approx(3 * e * 400)


def test_combination_applies_measures_in_order_and_mac_table():
    m4 = {"id": "M4", "when": "retrofit", "year": 2020, "match": {"output": "electricity"},
          "efficiency_gain": 0.02, "retrofit_cost_per_mw": 1e5}
    model = sym.VintageModel(UNITS, data(), sym.parse_measures([M1, m4], 2018))
    table, _ = model.evaluate({"M1": ("M1",), "M4": ("M4",), "M1 & M4": ("M1", "M4")})
    # the two measures touch different units: their abatements add up
    assert table.loc["M1 & M4", "abatement"] == pytest.approx(
        table.loc["M1", "abatement"] + table.loc["M4", "abatement"])
    elec = 250000.0
    b4 = 3 * elec * 3.6 * (1 / 0.353 - 1 / 0.373) * 0.09645
    assert table.loc["M4", "abatement"] == pytest.approx(b4)
    mac = sym.mac_table(table)
    assert list(mac.index) == sorted(["M1", "M4"], key=lambda s: table.loc[s, "cost_per_t"])
    assert mac["to_t"].iloc[-1] == pytest.approx(table.loc[["M1", "M4"], "abatement"].sum())
    fig = sym.mac_figure(mac)
    assert list(fig.data[0].width) == pytest.approx(mac["abatement"].tolist())


def test_policy_cost_is_avoided_by_leaving_coal_early():
    units = UNITS.iloc[:1]
    pol = sym.parse_policies([{"name": "ultra-low", "year": 2021, "match": {"fuel": "coal"},
                               "cost_per_mw": 1e5}])
    model = sym.VintageModel(units, data(), sym.parse_measures([M1], 2018), pol)
    table, paths = model.evaluate()
    assert paths["baseline"].annual.loc[2021, "policy_cost"] == pytest.approx(1e6)
    assert paths["M1"].annual["policy_cost"].sum() == 0.0
    assert table.loc["M1", "delta_policy_cost"] == pytest.approx(-1e6)


def test_stock_network_scope1_equals_the_model():
    model = sym.VintageModel(UNITS, data(), sym.parse_measures([M1], 2018))
    path = model.run(("M1",))
    for year in (2018, 2021):
        acc = sym.park_ghg(stock_network(model, path, year).solve())
        assert acc.totals["scope1_fuel"] == pytest.approx(path.annual.loc[year, "co2_direct"])


def test_errors_name_the_unit_and_measure():
    bad = UNITS.copy()
    bad.loc["A", "output"] = "steam"
    with pytest.raises(fg.CaseFileError, match="unit 'A': output 'steam'"):
        sym.VintageModel(bad, data())
    bad = UNITS.copy()
    bad.loc["B", "fuel"] = "peat"
    with pytest.raises(fg.CaseFileError, match="unit 'B': fuel 'peat'"):
        sym.VintageModel(bad, data())
    with pytest.raises(fg.CaseFileError, match="measure 1 .'M1'.: unknown key"):
        sym.parse_measures([{**M1, "speed": 3}], 2018)
    with pytest.raises(fg.CaseFileError, match="when must be"):
        sym.parse_measures([{**M1, "when": "soon"}], 2018)
    model = sym.VintageModel(UNITS, data(), sym.parse_measures([{**M1, "to": "fusion"}], 2018))
    with pytest.raises(fg.CaseFileError, match="unknown technology 'fusion'"):
        model.run(("M1",))
    with pytest.raises(fg.CaseFileError, match="unknown measure"):
        model.run(("M9",))


def test_numbers_beyond_the_float_range_are_refused_by_key():
    """An integer of 400 digits is not a finite number (float() would overflow)."""
    with pytest.raises(fg.CaseFileError, match="cost_per_mw = 9{400} must be a finite number"):
        sym.parse_policies([{"name": "ultra-low", "year": 2021, "match": {"fuel": "coal"},
                             "cost_per_mw": int("9" * 400)}])
    with pytest.raises(fg.CaseFileError, match="retrofit_cost_per_mw = 9{400} must be"):
        sym.parse_measures([{**M1, "retrofit_cost_per_mw": int("9" * 400)}], 2018)


def test_the_vintage_stock_is_the_cohort_stock():
    """Each slot's capacity is a stock by cohort on the project's one time axis: it equals
    cohorts.stock_driven on the same held capacity with the lifetimes of what was built, and
    its outflows are the retirements (start year + lifetime) by hand. A (10 MW coal boiler,
    2000, 20 years) retires in 2020 and its follow-up (coal boiler, 20 years) enters then;
    B (50 MW, 2010, 30 years) serves throughout; D (5 MW, 1990, 20 years) retired in 2010,
    before the horizon, and its follow-up retires in 2030."""
    units = pd.concat([UNITS, pd.DataFrame(
        {"fuel": ["coal"], "output": ["heat"], "capacity_mw": [5.0], "start_year": [1990],
         "lifetime": [20], "hours": [4000.0]}, index=["D"])])
    model = sym.VintageModel(units, data(end_year=2032))
    path = model.run()
    assert model.axis[0] == 1990 and model.axis[-1] == 2032
    years = list(map(int, model.axis))
    lives = {"A": {2000: 20, 2020: 20}, "B": {2010: 30}, "D": {1990: 20, 2010: 20, 2030: 20}}
    park = np.zeros((len(years), len(years)))
    for uid, by_cohort in lives.items():
        cap, start = units.at[uid, "capacity_mw"], units.at[uid, "start_year"]
        per = [Lifetime("fixed", mean=by_cohort.get(y, 1)) for y in years]
        ref = stock_driven(np.where(model.axis >= start, cap, 0.0), per, periods=years)
        ours = path.cohorts[uid]
        np.testing.assert_array_equal(ours.stock_by_cohort, ref.stock_by_cohort)
        np.testing.assert_array_equal(ours.outflow_by_cohort, ref.outflow_by_cohort)
        np.testing.assert_array_equal(ours.inflow, ref.inflow)
        park += ref.stock_by_cohort
    stock = path.stock()
    by_year_cohort = stock.pivot_table(index="year", columns="cohort", values="capacity_mw",
                                       aggfunc="sum", fill_value=0.0)
    for y in path.annual.index:
        for c in by_year_cohort.columns:
            assert by_year_cohort.at[y, c] == park[years.index(y), years.index(c)]
    retired = stock.groupby("year")["retired_mw"].sum()
    assert retired[retired > 0].to_dict() == {2020: 10.0, 2030: 5.0}
    # the follow-ups are the cohorts' inflows, and they are what the model pays capex for
    assert path.annual.loc[2020, "capex_followup"] == 10 * 4.0e5
    assert path.annual.loc[2030, "capex_followup"] == 5 * 4.0e5
    assert path.states.loc["D", 2018] == "coal boiler"


def test_a_follow_up_built_in_a_retrofit_year_is_retrofitted_once():
    """C (50 MW coal power, 1990, 30 years) retires in 2020, the year of M4 (+2 points, by
    retrofit): its follow-up is built with M4 (0.353 + 0.02), not retrofitted again on top
    and charged a retrofit."""
    units = pd.DataFrame({"fuel": ["coal"], "output": ["electricity"], "capacity_mw": [50.0],
                          "start_year": [1990], "lifetime": [30], "hours": [5000.0]},
                         index=["C"])
    m4 = {"id": "M4", "when": "retrofit", "year": 2020, "match": {"fuel": "coal"},
          "efficiency_gain": 0.02, "retrofit_cost_per_mw": 1e5}
    model = sym.VintageModel(units, data(), sym.parse_measures([m4], 2018))
    table, paths = model.evaluate()
    elec = 250000.0
    assert table.loc["M4", "delta_capex_retrofit"] == 0.0
    assert table.loc["M4", "abatement"] == pytest.approx(
        3 * elec * 3.6 * (1 / 0.353 - 1 / 0.373) * 0.09645)


def test_a_chp_of_no_heat_and_hours_out_of_a_year_are_refused_by_unit():
    """heat_to_power = 0 for a CHP divided by zero (the fuzzer's units.csv line 5): refused,
    as are operating hours of none or more than a year has."""
    chp = UNITS.assign(output=["chp", "electricity"], heat_to_power=[0.0, np.nan])
    with pytest.raises(fg.CaseFileError, match="unit 'A': heat_to_power of a CHP unit must "
                                               "be a number > 0"):
        sym.VintageModel(chp, data())
    for hours in (0.0, 9000.0):
        with pytest.raises(fg.CaseFileError, match="unit 'A': hours must be a number of hours"):
            sym.VintageModel(UNITS.assign(hours=[hours, np.nan]), data())
    assert sym.VintageModel(UNITS.assign(hours=[8760.0, np.nan]), data()).run() is not None
    # an efficiency of 0 made the fuel bought infinite (refused, but as an infinite flow)
    with pytest.raises(fg.CaseFileError, match="unit 'B': electric_efficiency must be a "
                                               "number > 0"):
        sym.VintageModel(UNITS.assign(electric_efficiency=[np.nan, 0.0]), data())


def test_a_start_year_that_is_no_year_of_a_power_unit_is_refused():
    """start_year 3 (a mistyped 2003, found by the fuzzer) stepped the slot from year 3 to the
    horizon's end: 40 s for eleven units, not an error. Whole years from 1850 only."""
    for year in (3.0, 1849.0, 2003.5, 3001.0):
        with pytest.raises(fg.CaseFileError, match="unit 'A': start_year must be a whole year"):
            sym.VintageModel(UNITS.assign(start_year=[year, 2010]), data())
    model = sym.VintageModel(UNITS.assign(start_year=[1850, 2010]), data())
    assert model.axis[0] == 1850 and model.run() is not None


def test_lifetimes_below_a_year_are_refused_by_unit_and_technology():
    bad = UNITS.assign(lifetime=[0.5, 30.0])
    with pytest.raises(fg.CaseFileError, match="unit 'A': lifetime must be at least 1 year"):
        sym.VintageModel(bad, data())
    tech = {**TECH, "coal boiler": {**TECH["coal boiler"], "lifetime": 0}}
    model = sym.VintageModel(UNITS, data(technology=tech))
    with pytest.raises(fg.CaseFileError, match="unit 'A': technology 'coal boiler' lasts 0"):
        model.run()
