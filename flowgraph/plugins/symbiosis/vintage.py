"""The vintage-stock model of a park's energy infrastructure, year by year (Guo, Tian,
Chertow & Chen 2016, Environ. Sci. Technol. 50, 11403-11413; lecture slides doc 004).

Each utility unit is a slot that delivers a fixed service: electricity E = capacity x hours
(electricity and CHP units) and heat H = capacity x hours x 3.6 GJ/MWh (heat units) or
H = E x 3.6 x heat-to-power (CHP). A unit serves from its start year for its lifetime; at
retirement a follow-up unit takes the slot (like for like, unless a measure in force says
otherwise) and costs capex. Measures (measures.py) retrofit units in service or govern
follow-ups. In year t a slot in state s burns

    F = E_s x 3.6 / eta_e + H / eta_h      (GJ; eta_e effective electric efficiency)

emits F x EF(fuel), and costs F x price(fuel) + capacity x O&M - E_s x p_e - H x p_h, plus
capex in the years units are built or retrofitted and policy costs (e.g. ultra-low-emission
retrofits of coal units). Electricity a state makes beyond (or short of) the slot's original
service E_0 is taken as displacing (or drawing) grid electricity: net emissions subtract
(E_s - E_0) x grid factor. Against the baseline (no measure) a scenario abates
A = sum_t (CO2_base,t - CO2_s,t) and costs C = sum_t (cost_s,t - cost_base,t) / (1 + r)^(t - t0);
its cost per tonne is C / A.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...errors import CaseFileError
from .data import size_classes
from .measures import OUTPUTS, Measure, Policy, State, technology_for, technology_state

UNIT_COLUMNS = ("fuel", "output", "capacity_mw", "start_year", "lifetime")
OPTIONAL = ("hours", "heat_to_power", "electric_efficiency", "heat_efficiency", "technology",
            "firm", "label")
COMPONENTS = ("electricity_mwh", "heat_gj", "fuel_gj", "co2_direct", "grid_adjustment", "co2",
              "fuel_cost", "om_cost", "capex_followup", "capex_retrofit", "policy_cost",
              "revenue_electricity", "revenue_heat", "net_cost")
COST_PARTS = ("fuel_cost", "om_cost", "capex_followup", "capex_retrofit", "policy_cost",
              "revenue_electricity", "revenue_heat")


def units_from_network(net) -> pd.DataFrame:
    """The utility units of a park network: nodes with a `capacity_mw` attribute."""
    nodes = net.node_frame()
    if "capacity_mw" not in nodes.columns:
        return pd.DataFrame(columns=[*UNIT_COLUMNS, *OPTIONAL])
    units = nodes[pd.to_numeric(nodes["capacity_mw"], errors="coerce").notna()]
    origin = units["_origin"] if "_origin" in units.columns else pd.Series(None, units.index)
    cols = [c for c in (*UNIT_COLUMNS, *OPTIONAL) if c in units.columns]
    out = units[cols].copy()
    out["_origin"] = origin
    return out


@dataclass
class Pathway:
    """One scenario of the stock: totals by year and the state of every unit each year."""

    name: str
    measures: tuple
    annual: pd.DataFrame          # index year, COMPONENTS
    states: pd.DataFrame          # index unit, columns year: technology in service
    by_unit: pd.DataFrame         # index (unit, year): COMPONENTS plus technology and fuel


class VintageModel:
    """Units, data (symbiosis_energy.toml merged with the case's), measures and policies."""

    def __init__(self, units: pd.DataFrame, data: dict, measures: list[Measure] = (),
                 policies: list[Policy] = (), where: str = "[symbiosis.energy] "):
        self.data = data
        self.techs = data["technology"]
        self.classes = size_classes()
        self.measures = {m.id: m for m in measures}
        self.policies = list(policies)
        first, last = int(data["start_year"]), int(data["end_year"])
        if not 1000 <= first <= last <= 3000:
            raise CaseFileError(f"{where}the years run from start_year {first} to "
                                f"end_year {last}: give two years, the first not after the last")
        self.years = np.arange(first, last + 1)
        self.units = self._check(units)

    # -- units ---------------------------------------------------------------------------
    def _check(self, units: pd.DataFrame) -> pd.DataFrame:
        missing = [c for c in UNIT_COLUMNS if c not in units.columns]
        if missing:
            ids = ", ".join(map(str, units.index[:5])) + (" ..." if len(units) > 5 else "")
            raise CaseFileError(f"{_where(units.index[0], units.iloc[0])}energy units (nodes "
                                f"with capacity_mw: {ids}) give no {', '.join(missing)}: "
                                f"every unit needs {', '.join(UNIT_COLUMNS)}")
        u = units.copy()
        for col in OPTIONAL:
            if col not in u.columns:
                u[col] = np.nan
        for col in ("capacity_mw", "start_year", "lifetime", "hours", "heat_to_power",
                    "electric_efficiency", "heat_efficiency"):
            u[col] = pd.to_numeric(u[col], errors="coerce")
        for uid, row in u.iterrows():
            where = _where(uid, row)
            if row["output"] not in OUTPUTS:
                raise CaseFileError(f"{where}output '{row['output']}' is not one of "
                                    f"{', '.join(OUTPUTS)}")
            for col in ("capacity_mw", "start_year", "lifetime"):
                if not np.isfinite(row[col]) or row[col] <= 0:
                    raise CaseFileError(f"{where}{col} must be a number > 0, not {row[col]}")
            fuel = self.data.get("fuel", {})
            if row["fuel"] not in fuel:
                raise CaseFileError(f"{where}fuel '{row['fuel']}' is not one of "
                                    f"{', '.join(fuel)} (symbiosis_energy.toml [fuel])")
        hours = self.data["hours"]
        u["hours"] = u["hours"].fillna(u["output"].map(lambda o: float(hours[o])))
        u["heat_to_power"] = u["heat_to_power"].fillna(float(self.data["heat_to_power"]))
        return u

    def initial_state(self, uid) -> State:
        row = self.units.loc[uid]
        where = _where(uid, row)
        tech = row["technology"] if isinstance(row["technology"], str) else \
            technology_for(row["fuel"], row["output"], self.techs, where)
        s = technology_state(tech, self.techs, row["capacity_mw"], self.classes,
                             row["electric_efficiency"], row["heat_efficiency"], where)
        return State(s.technology, row["fuel"], row["output"], s.capacity_mw,
                     s.electric_efficiency, s.heat_efficiency, int(row["lifetime"]),
                     s.capex_per_mw, s.om_per_mw)

    def services(self, uid) -> tuple[float, float]:
        """The slot's original electricity (MWh) and heat (GJ) per year."""
        row = self.units.loc[uid]
        cap, h = float(row["capacity_mw"]), float(row["hours"])
        if row["output"] == "electricity":
            return cap * h, 0.0
        if row["output"] == "chp":
            return cap * h, cap * h * 3.6 * float(row["heat_to_power"])
        return 0.0, cap * h * 3.6

    # -- simulation ----------------------------------------------------------------------
    def run(self, measure_ids=(), name: str | None = None) -> Pathway:
        """The stock year by year with the given measures (none: the baseline)."""
        unknown = [m for m in measure_ids if m not in self.measures]
        if unknown:
            raise CaseFileError(f"unknown measure(s) {unknown}; measures: "
                                f"{', '.join(self.measures)}")
        active = [self.measures[m] for m in measure_ids]
        total = {k: np.zeros(len(self.years)) for k in COMPONENTS}
        states, per_unit = {}, []
        for uid in self.units.index:
            tech, fuel, parts = self._slot(uid, active)
            states[uid] = tech
            for k, v in parts.items():
                total[k] += v
            per_unit.append(pd.DataFrame({"unit": uid, "year": self.years, "technology": tech,
                                          "fuel": fuel, **parts}))
        annual = pd.DataFrame(total, index=pd.Index(self.years, name="year"))
        st = pd.DataFrame(states, index=self.years).T
        st.index.name = "unit"
        by_unit = pd.concat(per_unit, ignore_index=True).set_index(["unit", "year"]) \
            if per_unit else pd.DataFrame()
        return Pathway(name or (" & ".join(measure_ids) or "baseline"), tuple(measure_ids),
                       annual, st, by_unit)

    def _slot(self, uid, active):
        """One unit's slot over the horizon: the technology and fuel in service each year,
        and every component (COMPONENTS) by year."""
        row = self.units.loc[uid]
        prices = self.data["fuel"]
        e0, h0 = self.services(uid)
        timeline, capex_f, capex_r, policy = self._timeline(uid, active, int(self.years[0]),
                                                            int(self.years[-1]))
        tech = _column(timeline, "technology", None, object)
        eta_e = _column(timeline, "electric_efficiency", np.nan, float)
        eta_h = _column(timeline, "heat_efficiency", np.nan, float)
        cap = _column(timeline, "capacity_mw", 0.0, float)
        om = _column(timeline, "om_per_mw", 0.0, float)
        out = _column(timeline, "output", None, object)
        fuel = _column(timeline, "fuel", None, object)
        on = tech != None  # noqa: E711 (object array: years before the unit exists)
        elec = np.where(out == "heat", 0.0,
                        np.where((out == "chp") & (e0 == 0),
                                 h0 / (3.6 * float(row["heat_to_power"])), e0))
        if ((out == "electricity") & (h0 > 0)).any():
            raise CaseFileError(f"{_where(uid, row)}a measure turns this heat-supplying "
                                f"unit into an electricity-only one; map chp to chp")
        heat = np.where(on, h0, 0.0)
        elec = np.where(on, elec, 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            f_gj = np.where(elec > 0, elec * 3.6 / eta_e, 0.0) \
                + np.where(heat > 0, heat / eta_h, 0.0)
        ef = np.array([float(prices[f]["co2"]) if f else 0.0 for f in fuel])
        price = np.array([float(prices[f]["price"]) if f else 0.0 for f in fuel])
        co2d = f_gj * ef
        adj = -np.where(on, elec - e0, 0.0) * float(self.data["grid_co2"])
        parts = {
            "electricity_mwh": elec, "heat_gj": heat, "fuel_gj": f_gj, "co2_direct": co2d,
            "grid_adjustment": adj, "co2": co2d + adj, "fuel_cost": f_gj * price,
            "om_cost": np.where(on, cap * om, 0.0), "capex_followup": capex_f,
            "capex_retrofit": capex_r, "policy_cost": policy,
            "revenue_electricity": elec * float(self.data["electricity_price"]),
            "revenue_heat": heat * float(self.data["heat_price"]),
        }
        parts["net_cost"] = (parts["fuel_cost"] + parts["om_cost"] + capex_f + capex_r + policy
                             - parts["revenue_electricity"] - parts["revenue_heat"])
        return tech, fuel, parts

    def _timeline(self, uid, active, y0, y1):
        """The state in service in each horizon year, and capex / policy costs by year."""
        n = y1 - y0 + 1
        timeline = [None] * n
        capex_f, capex_r, policy = np.zeros(n), np.zeros(n), np.zeros(n)
        s = self.initial_state(uid)
        start = int(self.units.at[uid, "start_year"])
        retire = start + int(self.units.at[uid, "lifetime"])
        for y in range(start, y1 + 1):
            k = y - y0
            if y == retire:
                s = self._follow_up(s, y, active)
                retire = y + s.lifetime
                if k >= 0:
                    capex_f[k] += s.capacity_mw * s.capex_per_mw
            for m in active:
                if m.when == "retrofit" and m.year == y and m.matches(s):
                    s = m.apply(s, self.techs, self.classes)
                    if k >= 0:
                        capex_r[k] += s.capacity_mw * m.retrofit_cost_per_mw
            for p in self.policies:
                if p.year == y and p.matches(s) and k >= 0:
                    policy[k] += s.capacity_mw * p.cost_per_mw
            if k >= 0:
                timeline[k] = s
        return timeline, capex_f, capex_r, policy

    def _follow_up(self, s: State, year: int, active) -> State:
        new = technology_state(s.technology, self.techs, s.capacity_mw, self.classes)
        for m in active:
            if m.year <= year and m.matches(new):
                new = m.apply(new, self.techs, self.classes)
        return new

    # -- comparison ----------------------------------------------------------------------
    def evaluate(self, scenarios: dict | None = None) -> tuple[pd.DataFrame, dict]:
        """Cost-effectiveness of each scenario (name -> measure ids; default: each measure
        alone) against the baseline: cumulative GHG, abatement, discounted cost by part,
        cost per tonne. Returns the table and the pathways by name (with 'baseline')."""
        scenarios = scenarios or {m: (m,) for m in self.measures}
        base = self.run(())
        paths = {"baseline": base}
        r = float(self.data.get("discount_rate", 0.0))
        disc = 1.0 / (1.0 + r) ** (self.years - self.years[0])
        rows = []
        base_co2 = float(base.annual["co2"].sum())
        for name, ids in scenarios.items():
            path = self.run(tuple(ids), name)
            paths[name] = path
            d = path.annual - base.annual
            row = {"scenario": name, "measures": " & ".join(ids),
                   "co2_cumulative": float(path.annual["co2"].sum()),
                   "abatement": -float(d["co2"].sum())}
            row["abatement_share"] = row["abatement"] / base_co2 if base_co2 else np.nan
            for part in COST_PARTS:
                row[f"delta_{part}"] = float((d[part] * disc).sum())
            row["cost"] = float((d["net_cost"] * disc).sum())
            row["cost_per_t"] = row["cost"] / row["abatement"] if row["abatement"] else np.nan
            rows.append(row)
        columns = ["scenario", "measures", "co2_cumulative", "abatement", "abatement_share",
                   *(f"delta_{part}" for part in COST_PARTS), "cost", "cost_per_t"]
        table = pd.DataFrame(rows, columns=columns).set_index("scenario")
        table.attrs["baseline_co2"] = base_co2
        return table, paths


def _column(timeline, attr, empty, dtype) -> np.ndarray:
    """One attribute of the state in service each year (`empty` before the unit exists)."""
    return np.array([empty if s is None else getattr(s, attr) for s in timeline], dtype=dtype)


def _where(uid, row) -> str:
    origin = row.get("_origin") if hasattr(row, "get") else None
    return f"{origin}: unit '{uid}': " if isinstance(origin, str) else f"unit '{uid}': "
