"""The energy-infrastructure part of the symbiosis report ([symbiosis.energy]): the vintage
model of the park's utility units, its mitigation scenarios against the baseline with their
MAC curve, and the park GHG of the first year's stock."""

from __future__ import annotations

import pandas as pd

from ...errors import CaseFileError
from ...model.report import Chart, Report, Table
from ...solvers.solver import Solver
from .charts import annual_lines, capacity_areas
from .data import energy_data
from .ghg import park_ghg
from .mac import mac_figure, mac_table
from .measures import parse_measures, parse_policies
from .stocknet import stock_network
from .vintage import VintageModel, units_from_network


def mitigation(report: Report, figs: dict, case, cfg: dict) -> None:
    """Add the mitigation scenarios of the case's units (nodes with capacity_mw) to the
    report; nothing when the case has no units."""
    units = units_from_network(case.network)
    if units.empty:
        return
    model, scenarios = _model(case, units, cfg)
    table, paths = model.evaluate(scenarios)
    table.insert(0, "name", [model.measures[s].name if s in model.measures else "combination"
                             for s in table.index])
    mac = mac_table(table)
    annual = pd.DataFrame({name: path.annual["co2"] for name, path in paths.items()})
    figs["energy_baseline_co2_t"] = table.attrs["baseline_co2"]
    figs["energy_measures"] = {s: {"abatement_t": r["abatement"],
                                   "abatement_share": r["abatement_share"],
                                   "cost_cny": r["cost"], "cost_per_t": r["cost_per_t"]}
                               for s, r in table.iterrows()}
    unit_table = model.units.drop(columns=["_origin"], errors="ignore")
    stock = paths["baseline"].stock().set_index("unit")
    report.tables.update({"energy_units": unit_table, "energy_scenarios": table,
                          "energy_mac": mac, "energy_annual_co2": annual,
                          "energy_baseline": paths["baseline"].annual,
                          "energy_stock_by_cohort": stock})
    y0 = int(model.years[0])
    acc = park_ghg(Solver(stock_network(model, paths["baseline"], y0)).solve())
    figs["energy_stock_ghg_first_year"] = acc.totals
    report.tables["energy_stock_ghg_by_firm"] = acc.by_firm
    report.blocks += [
        Table("Energy infrastructure: units", unit_table,
              units={"hours": "h/yr", "heat_to_power": "", "electric_efficiency": "",
                     "heat_efficiency": "", "start_year": "", "lifetime": "yr"}),
        Table("Mitigation scenarios against the baseline", table,
              note=f"Horizon {y0}-{int(model.years[-1])}, discount rate "
                   f"{float(model.data.get('discount_rate', 0.0)):g}. Cost = discounted "
                   f"difference of fuel, O&M, follow-up and retrofit capex, policy "
                   f"costs minus electricity and heat revenues; cost_per_t = cost / "
                   f"abatement.",
              units=SCENARIO_UNITS),
        Table("Marginal abatement cost curve (table)", mac, units=SCENARIO_UNITS),
        *([Chart("Marginal abatement cost curve", mac_figure(mac))] if len(mac) else []),
        Chart("Annual CO2 by scenario", annual_lines(annual)),
        *([Chart("Baseline capacity in service by cohort (MW)", capacity_areas(stock))]
          if len(stock) else []),
        Table(f"Park GHG of the energy stock in {y0} (t CO2e)", acc.by_firm,
              note="The baseline stock of the first year built as an ordinary park "
                   "network (stocknet.py), solved, and accounted by scope: its scope 1 "
                   "equals the vintage model's direct emissions of that year.",
              units=GHG_UNITS),
    ]


#: units of the mitigation and MAC tables' columns
SCENARIO_UNITS = {"co2_cumulative": "t CO2", "abatement": "t CO2", "abatement_share": "",
                  "delta_fuel_cost": "CNY", "delta_om_cost": "CNY",
                  "delta_capex_followup": "CNY", "delta_capex_retrofit": "CNY",
                  "delta_policy_cost": "CNY", "delta_revenue_electricity": "CNY",
                  "delta_revenue_heat": "CNY", "cost": "CNY", "cost_per_t": "CNY/t CO2",
                  "from_t": "t CO2", "to_t": "t CO2"}
#: units of the park GHG tables' columns (by firm, by sector)
GHG_UNITS = {**{k: "t CO2e" for k in ("scope1_fuel", "scope1_process", "scope1_waste",
                                      "scope2_imported", "scope3_transport", "scope3_waste",
                                      "scope2_internal", "upstream", "scope1", "scope2",
                                      "scope3", "total")},
             "added_value": "CNY", "intensity_t_per_10k_cny": "t CO2e/10k CNY"}


def _model(case, units: pd.DataFrame, cfg: dict) -> tuple[VintageModel, dict]:
    """The vintage model of the units with the case's data, measures and policies, and the
    scenarios to evaluate: each measure alone, then each combination."""
    data = energy_data({k: v for k, v in cfg.items()
                        if k not in ("measure", "policy", "combination")},
                       case.origin("symbiosis", "energy"))
    origin = case.origin("symbiosis", "energy")
    where = f"{origin}: [symbiosis.energy] " if origin else "[symbiosis.energy] "
    measures = parse_measures(cfg.get("measure", []), int(data["start_year"]), where)
    model = VintageModel(units, data, measures, parse_policies(cfg.get("policy", []), where),
                         where)
    scenarios = {m.id: (m.id,) for m in measures}
    for k, combo in enumerate(cfg.get("combination", [])):
        ids = _combination(combo, {m.id for m in measures}, f"{where}combination {k + 1}")
        scenarios[" & ".join(ids)] = ids
    return model, scenarios


def _combination(combo, known: set, here: str) -> tuple:
    """The measure ids of a [[symbiosis.energy.combination]] (a table with `measures`, or
    a list), each a measure of the case."""
    ids = combo.get("measures") if isinstance(combo, dict) else combo
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        raise CaseFileError(f"{here}: give measures = [ids of measures], not {combo!r}")
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise CaseFileError(f"{here}: unknown measure(s) {unknown}; measures: "
                            f"{', '.join(sorted(known))}")
    return tuple(ids)
