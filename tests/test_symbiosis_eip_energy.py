"""The arithmetic of cases/eip_energy/README.md, "What reproducing 42-46 % needs": what doc
004's 42-46 % abatement and negative costs imply (per-output reductions coal to gas, the
ceiling, the share of coal service that must switch, the remaining life that allows it,
break-even gas prices), recomputed by hand and with the case's vintage model, so the README's
numbers cannot drift from the model's."""

from __future__ import annotations

from pathlib import Path

import pytest

import flowgraph as fg
from flowgraph.plugins import symbiosis as sym
from flowgraph.plugins.symbiosis.mitigation import _model

CASES = Path(__file__).resolve().parent.parent / "cases"
EF_COAL, EF_GAS = 0.09645, 0.0561          # t CO2/GJ: symbiosis_energy.toml
PUBLISHED = (0.42, 0.46)                   # doc 004: "42%-46%" for the coal-to-gas measures


@pytest.fixture(scope="module")
def case_model():
    case = fg.load(CASES / "eip_energy")
    cfg = case.sections["symbiosis"]["energy"]
    return _model(case, sym.units_from_network(case.network), cfg)


def _d(coal_gj_per_out: float, gas_gj_per_out: float) -> float:
    return 1 - gas_gj_per_out * EF_GAS / (coal_gj_per_out * EF_COAL)


def test_what_a_switch_saves_per_unit_of_output():
    assert _d(1, 1) == pytest.approx(0.418, abs=5e-4)
    assert _d(1 / 0.75, 1 / 0.92) == pytest.approx(0.526, abs=5e-4)
    for eta, d in ((0.353, 0.627), (0.408, 0.569), (0.442, 0.533)):
        assert _d(1 / eta, 1 / 0.55) == pytest.approx(d, abs=5e-4)
    assert _d(3.6 / 0.353 + 5.4 / 0.85, 3.6 / 0.50 + 5.4 / 0.90) == pytest.approx(0.536, abs=5e-4)


def _national():
    """Mt CO2 a year of the 106 parks' fossil units (doc 004's capacity table) under the
    README's assumptions: hours 5000 / 4500 / 4000, heat-to-power 1.5, coal CHP at 0.353 and
    0.85, coal electricity at 0.408, coal gangue as coal; and d of each coal output."""
    chp_c = 5000 * (3.6 / 0.353 + 5.4 / 0.85) * EF_COAL
    el_c = 4500 * 3.6 / 0.408 * EF_COAL
    heat_c = 4000 * 3.6 / 0.75 * EF_COAL
    chp_g = 5000 * (3.6 / 0.50 + 5.4 / 0.90) * EF_GAS
    coal = {"chp": 18059.5 * chp_c, "electricity": 22580 * el_c, "heat": 5244.3 * heat_c}
    others = 2151.2 * chp_g + 127 * 4500 * 3.6 / 0.55 * EF_GAS \
        + 1613.8 * 4000 * 3.6 / 0.92 * EF_GAS + 42 * chp_c + 870 * el_c
    petrol = 0.0741 * (6 * 5000 * (3.6 / 0.35 + 5.4 / 0.85) + 165.1 * 4000 * 3.6 / 0.85)
    d = {"chp": _d(3.6 / 0.353 + 5.4 / 0.85, 3.6 / 0.5 + 5.4 / 0.9),
         "electricity": _d(1 / 0.408, 1 / 0.55), "heat": _d(1 / 0.75, 1 / 0.92)}
    return {k: v / 1e6 for k, v in coal.items()}, (others + petrol) / 1e6, d


def test_the_ceiling_and_the_share_that_must_switch_nationally():
    coal, rest, d = _national()
    total_coal = sum(coal.values())
    assert total_coal == pytest.approx(240.3, abs=0.05)
    assert total_coal + rest == pytest.approx(253.8, abs=0.05)
    s = total_coal / (total_coal + rest)
    d_mean = sum(coal[k] * d[k] for k in coal) / total_coal
    assert (s, d_mean) == (pytest.approx(0.947, abs=5e-4), pytest.approx(0.547, abs=5e-4))
    assert s * d_mean == pytest.approx(0.518, abs=5e-4)
    assert s * _d(1, 1) == pytest.approx(0.396, abs=5e-4)          # below 42 %
    k = [(1 - r / s) / (EF_GAS / EF_COAL) for r in PUBLISHED]
    assert k == [pytest.approx(0.957, abs=5e-4), pytest.approx(0.884, abs=5e-4)]
    f = [r / (s * d_mean) for r in PUBLISHED]
    assert f == [pytest.approx(0.81, abs=5e-3), pytest.approx(0.89, abs=5e-3)]
    assert [31 * (1 - x) for x in f] == [pytest.approx(5.9, abs=0.05), pytest.approx(3.5, abs=0.05)]
    assert [30 * (1 / x - 1) for x in f] == [pytest.approx(7.0, abs=0.05),
                                             pytest.approx(3.8, abs=0.05)]
    assert coal["heat"] / total_coal == pytest.approx(0.040, abs=5e-4)
    assert coal["heat"] / (total_coal + rest) * d["heat"] == pytest.approx(0.020, abs=5e-4)


def test_the_cases_ceiling_horizons_and_remaining_life(case_model):
    model, _ = case_model
    every = sym.parse_measures([{"id": "G", "when": "retrofit", "year": 2015,
                                 "match": {"fuel": "coal"},
                                 "to": {"heat": "gas boiler", "electricity": "NGCC",
                                        "chp": "gas CHP"}}], 2015)
    model.measures["G"] = every[0]
    table, paths = model.evaluate({"G": ("G",), "M2": ("M2",)})
    ceiling = table.loc["G", "abatement_share"]
    assert ceiling == pytest.approx(0.5306, abs=5e-5)
    base = paths["baseline"].by_unit
    assert base.loc[base.fuel == "coal", "co2"].sum() / base["co2"].sum() == \
        pytest.approx(0.968, abs=5e-4)
    assert [r / ceiling for r in PUBLISHED] == [pytest.approx(0.79, abs=5e-3),
                                                pytest.approx(0.87, abs=5e-3)]
    assert table.loc["M2", "abatement_share"] == pytest.approx(0.115, abs=5e-4)
    first = base.xs(2015, level="year")
    coal = first[first.fuel == "coal"]
    left = model.units.loc[coal.index, "start_year"] + model.units.loc[coal.index, "lifetime"] - 2015
    assert (left * coal.co2).sum() / coal.co2.sum() == pytest.approx(23.6, abs=0.05)
    for end, share in ((2060, 0.245), (2080, 0.326)):
        longer = sym.VintageModel(model.units, {**model.data, "end_year": end},
                                  list(model.measures.values()), model.policies)
        assert longer.evaluate({"M2": ("M2",)})[0].loc["M2", "abatement_share"] == \
            pytest.approx(share, abs=5e-4)
    assert _own_horizons(model) == pytest.approx(0.290, abs=5e-4)


def _own_horizons(model) -> float:
    """M2's abatement share with each unit's own horizon: from 2015 to the end of its first
    follow-up's life (remaining life + one follow-up lifetime)."""
    longer = sym.VintageModel(model.units, {**model.data, "end_year": 2080},
                              list(model.measures.values()), model.policies)
    base, m2 = longer.run(()), longer.run(("M2",))
    b = s = 0.0
    for uid, row in longer.units.iterrows():
        retire = max(int(row.start_year + row.lifetime), 2015)
        end = retire + longer.techs[base.states.loc[uid, retire]]["lifetime"] - 1
        b += base.by_unit.xs(uid, level="unit").loc[2015:end, "co2"].sum()
        s += m2.by_unit.xs(uid, level="unit").loc[2015:end, "co2"].sum()
    return 1 - s / b


def test_break_even_gas_prices(case_model):
    """Cost is linear in the gas price (undiscounted): p* = p_gas - C / dF_gas."""
    model, scenarios = case_model
    table, paths = model.evaluate(scenarios)
    p_gas, p_coal = (model.data["fuel"][f]["price"] for f in ("gas", "coal"))
    assert p_gas / p_coal == pytest.approx(2.45, abs=5e-3)
    gas = {n: p.by_unit.loc[p.by_unit.fuel == "gas", "fuel_gj"].sum() for n, p in paths.items()}
    expected = {"M1": 35.89, "M2": 41.51, "M5": 36.39, "M1 & M3": 43.06, "M1 & M4": 68.29,
                "M2 & M4": 45.02}
    for name, price in expected.items():
        d_gas = gas[name] - gas["baseline"]
        assert p_gas - table.loc[name, "cost"] / d_gas == pytest.approx(price, abs=5e-3)
    for name, per_t in (("M3", -401), ("M4", -243)):
        assert table.loc[name, "cost_per_t"] == pytest.approx(per_t, abs=0.5)
    # the gas price at which M2 costs per tonne what M4 does (M2 cheapest below it)
    m2, m4 = table.loc["M2"], table.loc["M4"]
    at = p_gas - (m2["cost"] - m4["cost_per_t"] * m2["abatement"]) / (gas["M2"] - gas["baseline"])
    assert at == pytest.approx(25.02, abs=5e-3)
    # fuel-cost parity alone: eta_gas / eta_coal
    assert [round(x, 2) for x in (0.92 / 0.75, 0.55 / 0.408, 0.55 / 0.353)] == [1.23, 1.35, 1.56]
    assert (3.6 / 0.353 + 5.4 / 0.85) / (3.6 / 0.5 + 5.4 / 0.9) == pytest.approx(1.25, abs=5e-3)


def test_a_unit_table_without_kinds_still_reports(tmp_path):
    """units.csv without its kind column (the fuzzer's): the park's firm table joined the
    missing kinds as text and failed; it runs and lists no kind for those firms."""
    import shutil

    import pandas as pd

    from flowgraph.cli import main
    case = tmp_path / "eip"
    shutil.copytree(Path(__file__).parent.parent / "cases" / "eip_energy", case)
    units = pd.read_csv(case / "units.csv", dtype=str)
    units.drop(columns="kind").to_csv(case / "units.csv", index=False)
    assert main(["run", str(case), "--out", str(tmp_path / "out")]) == 0
