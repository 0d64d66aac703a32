"""The park plugin: `flowgraph park CASE --out DIR` (section [park]).

Greenhouse gases in CO2-equivalents by gas, scope (1, 2, 3) and source category (energy,
IPPU, waste, upstream) with the GWP100 set the case chooses (methods/greenhouse.py); use and
intensity per 10^4 CNY of industrial added value of energy (tce), water, COD, SO2 and CO2e
per firm and for the park; and, given a baseline and a target scenario, the baseline-and-
target table with the decoupling elasticity and Tapio's class (methods/decoupling.py).

Product footprints: the inventory's gases carried to the flows reaching sinks by the value
flow's allocation keys (methods/ghg_footprint.py), by gas and in CO2e per unit of product.

Figure functions: co2e(scope, gas, category, firm, gwp), ghg_gas(gas, scope, category),
ghg_share(category, scope), footprint(flow, gas, gwp), footprint_per_unit(flow, gas, gwp),
park_use(indicator, firm), park_intensity(indicator, firm),
decoupling_elasticity(indicator, baseline, target).
"""

from __future__ import annotations

import pandas as pd

from ..errors import AllocationError, PluginError, placed
from ..methods.conversions import ipcc_fuel
from ..methods.decoupling import INDICATORS, PARK, decoupling, park_usage
from ..methods.ghg_footprint import footprint_of, ghg_footprints
from ..methods.greenhouse import check_gwp_set, gas_name, ghg_inventory
from ..model.report import Cards, Chart, Report, Table
from .base import Option, Plugin

OPTIONS = (
    Option("gwp", str, "AR6", "GWP100 set of data/gwp.csv (AR5 or AR6)"),
    Option("sector", str, "manufacturing", "IPCC 2006 combustion category of nodes without "
           "combustion_sector", choices=("energy", "manufacturing")),
    Option("secondary", list, ("electricity", "heat", "steam"),
           "purchased energy carriers counted in scope 2", metavar="CARRIER"),
    Option("scopes", list, ("1", "2"), "scopes in the CO2e intensity", metavar="SCOPE",
           choices=("1", "2", "3")),
    Option("baseline", str, None, "baseline scenario of the decoupling table ('base': the "
                                  "base network)"),
    Option("target", str, None, "target scenario of the decoupling table ('base': the base)"),
    Option("cod", str, "COD", "carrier (and emit_ key) of chemical oxygen demand"),
    Option("so2", str, "SO2", "carrier (and emit_ key) of sulphur dioxide"),
    Option("fuels", dict, None, "carrier -> IPCC 2006 fuel burnt (CH4, N2O)", cli=False,
           data=True),
    Option("factors", dict, None, "carrier -> {gas: t per carrier unit}", cli=False, data=True),
)


class ParkPlugin(Plugin):
    """GHG in CO2e by scope and park indicators per unit of added value, as a plugin."""

    name = "park"
    section = "park"
    summary = ("GHG in CO2e by gas, scope and category (AR5/AR6 GWP100); energy, water, COD, "
               "SO2 and CO2e per 10^4 CNY of added value; decoupling baseline -> target")
    example = "example:\n  flowgraph park cases/bda_park --out out/bda_park"
    options = OPTIONS

    def run(self, case, options: dict, *, scenario: str | None = None,
            embedded: bool = False) -> Report:
        opts = checked(case, options)
        inv = inventory(case, opts, scenario)
        use = park_usage(case.result(scenario), inv, scopes=opts["scopes"], cod=opts["cod"],
                         so2=opts["so2"])
        table = decoupling_table(case, opts)
        report = build_report(case, scenario, opts, inv, use, table)
        add_footprints(report, case.result(scenario), inv)
        return report

    def figure_functions(self, case, result) -> dict:
        return figure_functions(case, result, checked(case, self.resolve(case)))


def checked(case, options: dict) -> dict:
    """Options with the GWP set, gases of `factors` and scenario names checked by name."""
    out = dict(options)
    def where(key):
        return f"{case.origin('park', key) or case.origin()}: [park] "

    check_gwp_set(out["gwp"], where("gwp"))
    out["scopes"] = [int(s) for s in out["scopes"]]
    for fuel in (out["fuels"] or {}).values():
        with placed(case.origin("park", "fuels")):
            ipcc_fuel(fuel)                  # a name of data/ipcc2006_fuels.csv, by name
    for carrier, gases in (out["factors"] or {}).items():
        for gas in gases:
            gas_name(gas, f"{where('factors')}factors.{carrier}: ")
    for key in ("baseline", "target"):
        name = out[key]
        if name not in (None, "base") and name not in case.scenarios:
            raise PluginError(f"{where(key)}{key} scenario '{name}' is not a scenario of the case "
                              f"(scenarios: base, {', '.join(case.scenarios) or 'none'})",
                              origin=case.origin("park", key))
    if (out["baseline"] is None) != (out["target"] is None):
        missing = "baseline" if out["baseline"] is None else "target"
        raise PluginError(f"{where(missing)}decoupling needs a {missing} scenario as well",
                          origin=case.origin("park"))
    return out


def inventory(case, opts: dict, scenario=None):
    return ghg_inventory(case.result(scenario), gwp_set=opts["gwp"], fuels=opts["fuels"],
                         factors=opts["factors"], sector=opts["sector"],
                         secondary=opts["secondary"], pollutants=(opts["cod"], opts["so2"]))


def usage(case, opts: dict, scenario=None) -> pd.DataFrame:
    return park_usage(case.result(scenario), inventory(case, opts, scenario),
                      scopes=opts["scopes"], cod=opts["cod"], so2=opts["so2"])


def decoupling_table(case, opts: dict, baseline=None, target=None, firm=PARK):
    baseline, target = baseline or opts["baseline"], target or opts["target"]
    if baseline is None:
        return None
    b = usage(case, opts, None if baseline == "base" else baseline)
    t = usage(case, opts, None if target == "base" else target)
    return decoupling(b.loc[firm], t.loc[firm])


def figure_functions(case, result, opts: dict) -> dict:
    def inv(gwp=None):
        o = {**opts, "gwp": gwp or opts["gwp"]}
        check_gwp_set(o["gwp"])
        return ghg_inventory(result, gwp_set=o["gwp"], fuels=o["fuels"], factors=o["factors"],
                             sector=o["sector"], secondary=o["secondary"],
                             pollutants=(o["cod"], o["so2"]))

    def co2e(scope=None, gas=None, category=None, firm=None, gwp=None):
        """t CO2e of the items selected (all by default)."""
        return inv(gwp).total(scope, gas, category, firm)

    def ghg_gas(gas, scope=None, category=None):
        """t of one gas (not CO2e)."""
        return inv().total(scope, gas, category, column="amount_t")

    def ghg_share(category=None, scope=None):
        """Share of the total CO2e of a category and/or scope."""
        i = inv()
        return i.total(scope, None, category) / i.total()

    def footprint(flow, gas="co2e", gwp=None, per_unit=False):
        """t of a gas (or t CO2e) embodied in a flow, or per unit of it."""
        return footprint_of(ghg_footprints(result, inventory=inv(gwp), flows=[flow]), flow,
                            gas, per_unit)

    def footprint_per_unit(flow, gas="co2e", gwp=None):
        """t of a gas (or t CO2e) per unit of a flow (expressions have no True)."""
        return footprint(flow, gas, gwp, per_unit=True)

    def park_table():
        return park_usage(result, inv(), scopes=opts["scopes"], cod=opts["cod"], so2=opts["so2"])

    def park_use(indicator="CO2e_t", firm=PARK):
        return float(park_table().at[firm, _indicator(indicator)])

    def park_intensity(indicator="CO2e_t", firm=PARK):
        return float(park_table().at[firm, f"{_indicator(indicator)}_per_10k_cny"])

    def decoupling_elasticity(indicator="CO2e_t", baseline=None, target=None):
        table = decoupling_table(case, opts, baseline, target)
        if table is None:
            raise PluginError("decoupling_elasticity(): give baseline and target scenarios")
        return float(table.at[_indicator(indicator), "elasticity"])

    return {"co2e": co2e, "ghg_gas": ghg_gas, "ghg_share": ghg_share, "footprint": footprint,
            "footprint_per_unit": footprint_per_unit, "park_use": park_use,
            "park_intensity": park_intensity, "decoupling_elasticity": decoupling_elasticity}


def _indicator(name: str) -> str:
    if name not in INDICATORS:
        raise PluginError(f"park indicator '{name}' is not one of {', '.join(INDICATORS)}")
    return name


def build_report(case, scenario, opts, inv, use, table) -> Report:
    by_gas, by_cat = inv.by("gas", "scope"), inv.by("category", "scope")
    total = inv.total()
    figures = {"ghg_total_t_co2e": total, "gwp_set": inv.gwp_set,
               **{f"scope{s}_t_co2e": inv.total(s) for s in (1, 2, 3)},
               **{f"share_{k}": float(v) for k, v in inv.shares("category").items()}}
    report = Report("park", title=f"{case.name} [{scenario or 'base'}]: GHG and park indicators",
                    figures=figures, summary=f"GHG {total / 1e6:.4g} Mt CO2e ({inv.gwp_set})")
    report.add_table("ghg_items", inv.items, {"amount_t": "t", "co2e_t": "t CO2e"})
    report.add_table("ghg_by_gas", by_gas, {c: "t CO2e" for c in by_gas.columns})
    report.add_table("ghg_by_category", by_cat, {c: "t CO2e" for c in by_cat.columns})
    report.add_table("indicators", use, _use_units(use))
    cards = [{"name": "total", "value": total, "unit": f"t CO2e ({inv.gwp_set})"}] + \
        [{"name": f"scope {s}", "value": inv.total(s), "unit": "t CO2e"} for s in (1, 2, 3)]
    report.blocks = [Cards("Greenhouse gases", cards),
                     Table("GHG by gas and scope", by_gas, units={c: "t CO2e" for c in by_gas}),
                     Table("GHG by source category and scope", by_cat,
                           units={c: "t CO2e" for c in by_cat}),
                     Table("Use and intensity per 10^4 CNY of added value", use,
                           units=_use_units(use)),
                     _chart(by_cat)]
    if table is not None:
        report.add_table("decoupling", table)
        report.blocks.append(Table(f"Decoupling: {opts['baseline']} -> {opts['target']}", table,
                                   note="elasticity = (dU/U0)/(dVA/VA0); classes of Tapio "
                                        "(2005), Transport Policy 12(2) 137-151."))
    return report


def add_footprints(report: Report, result, inv) -> None:
    """The product footprints (flows reaching sinks) as a table and a block after the GHG
    tables; where the gases cannot be allocated (a node emitting with no output carrying its
    key) the block says so by name instead of failing the whole report."""
    try:
        table = ghg_footprints(result, inventory=inv)
    except AllocationError as exc:
        report.blocks.insert(3, Table("Product footprints", pd.DataFrame(),
                                      empty=f"not computed: {exc}"))
        return
    cols = ["source", "target", "carrier", "role", "quantity", "unit",
            *[c for c in table.columns if c.endswith("_t")], "co2e_t_per_unit"]
    shown = table[cols]
    units = {c: "t" for c in table.attrs["gases"]} | {
        c: "t CO2e" for c in cols if c.startswith(("co2e", "CO2e"))}
    units["co2e_t_per_unit"] = "t CO2e per unit"
    report.add_table("ghg_footprints", shown, units)
    report.blocks.insert(3, Table(f"Product footprints ({inv.gwp_set})", shown, units=units,
                                  note="the inventory carried to the flows reaching sinks "
                                       "by the allocation keys of cost and CO2"))


def _use_units(use: pd.DataFrame) -> dict:
    base = {"energy_tce": "tce", "water_t": "t", "COD_t": "t", "SO2_t": "t", "CO2e_t": "t CO2e",
            "added_value_cny": "CNY"}
    return {c: base.get(c, base.get(c.replace("_per_10k_cny", ""), "") + "/10^4 CNY")
            for c in use.columns}


def _chart(by_cat: pd.DataFrame) -> Chart:
    cols = [c for c in by_cat.columns if c.startswith("scope")]
    data = [{"type": "bar", "name": c, "x": list(by_cat.index), "y": by_cat[c].tolist()}
            for c in cols]
    return Chart("GHG by source category and scope",
                 {"data": data, "layout": {"barmode": "stack", "yaxis": {"title": "t CO2e"}}})


plugin = ParkPlugin()
