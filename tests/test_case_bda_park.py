"""cases/bda_park: doc 004's BDA 2013 outcomes (7.0 Mt; 95.8 / 2.7 / 1.6 % from energy use,
IPPU and waste; x1.7 from 2005, intensity -27 %) from the case's inputs through the solver,
checked against hand arithmetic from those inputs (IPCC 2006 defaults, AR5 GWP100)."""

from __future__ import annotations

from pathlib import Path

import pytest

import flowgraph as fg
from flowgraph.app.figures import evaluate_figures
from flowgraph.plugins.park_indicators import plugin

CASE = Path(__file__).resolve().parents[1] / "cases" / "bda_park"

# hand arithmetic from the inputs of case.toml ------------------------------------------
COAL_T, GAS_T, POWER_MWH = 800_000, 150_000 + 80_000 + 30_000 + 15_000, 4_700_000
CO2_COAL = COAL_T * 25.8 * 25.8 * 44 / 12 / 1000          # NCV x CEF x 44/12
CO2_GAS = GAS_T * 48.0 * 15.3 * 44 / 12 / 1000
TJ_COAL, TJ_GAS = COAL_T * 25.8 / 1000, GAS_T * 48.0 / 1000
# Table 2.2 (CHP, energy industries): coal CH4 1, N2O 1.5 kg/TJ; gas CH4 1, N2O 0.1 kg/TJ
NON_CO2 = (TJ_COAL * 1 + TJ_GAS * 1) / 1000 * 28 + (TJ_COAL * 1.5 + TJ_GAS * 0.1) / 1000 * 265
ENERGY = CO2_COAL + CO2_GAS + NON_CO2 + POWER_MWH * 0.85055
IPPU = 100_000 + 2.0 * 23_500 + 30 * 1_300                  # CO2, SF6, HFC-134a (AR5)
WASTE = 2_000 * 28 + 60 * 265 + 95_000 * 0.4                # CH4 and N2O of the WWTP, landfill
TOTAL = ENERGY + IPPU + WASTE


@pytest.fixture(scope="module")
def case():
    return fg.load(CASE)


@pytest.fixture(scope="module")
def figures(case):
    return {f["name"]: f for f in evaluate_figures(case, plugins=plugin.figure_functions)}


def test_total_and_category_shares(figures):
    assert figures["ghg_total_Mt"]["value"] == pytest.approx(TOTAL / 1e6)
    assert round(TOTAL / 1e6, 1) == 7.0
    for name, part, published in (("share_energy", ENERGY, 0.958), ("share_ippu", IPPU, 0.027),
                                  ("share_waste", WASTE, 0.016)):
        assert figures[name]["value"] == pytest.approx(part / TOTAL)
        assert round(part / TOTAL, 3) == published


def test_scope_shares_each_emission_once(case, figures):
    inv = plugin.report(case)
    scope2 = POWER_MWH * 0.85055
    scope3 = 95_000 * 0.4
    assert inv.figures["scope2_t_co2e"] == pytest.approx(scope2)
    assert inv.figures["scope3_t_co2e"] == pytest.approx(scope3)
    assert inv.figures["scope1_t_co2e"] == pytest.approx(TOTAL - scope2 - scope3)
    assert sum(figures[f"share_scope{s}"]["value"] for s in (1, 2, 3)) == pytest.approx(1)


def test_growth_intensity_and_decoupling(figures):
    assert figures["growth_2005_2013"]["value"] == pytest.approx(1.7)
    assert figures["intensity_change"]["value"] == pytest.approx(-0.27)
    # value added x 1.7 / 0.73; elasticity (1.7 - 1) / (1.7 / 0.73 - 1)
    assert figures["elasticity_co2e"]["value"] == pytest.approx(0.7 / (1.7 / 0.73 - 1))


def test_decoupling_table_classes_weak_decoupling(case):
    table = plugin.report(case).tables["decoupling"]
    assert table.loc["CO2e_t", "decoupling"] == "weak decoupling"
