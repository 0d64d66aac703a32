"""The vintage-stock model of a park's energy infrastructure, year by year (Guo, Tian,
Chertow & Chen 2016, Environ. Sci. Technol. 50, 11403-11413; lecture slides doc 004).

Each utility unit is a slot that delivers a fixed service: electricity E = capacity x hours
(electricity and CHP units) and heat H = capacity x hours x 3.6 GJ/MWh (heat units) or
H = E x 3.6 x heat-to-power (CHP). A unit serves from its start year for its lifetime; at
retirement a follow-up unit takes the slot (like for like, unless a measure in force says
otherwise) and costs capex. The years are the project's one time axis: each slot's capacity
is a stock by cohort held at the unit's capacity (cohorts.stock_driven_as_built, fixed
lifetimes, a cohort's lifetime that of what was built), so a cohort's outflow is a
retirement and the inflow that replaces it the follow-up (docs/methods/symbiosis.md 9).
Measures (measures.py) retrofit units in service or govern follow-ups. In year t a slot in
state s burns

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

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ...errors import CaseFileError
from ...solvers.cohorts import CohortStock, Lifetime, stock_driven_as_built
from .data import size_classes
from .measures import OUTPUTS, Measure, Policy, State, technology_for, technology_state

UNIT_COLUMNS = ("fuel", "output", "capacity_mw", "start_year", "lifetime")
#: the earliest start year of a unit (the first power stations ran in the 1880s): a slot is
#: stepped year by year from it, so a mistyped year (3 for 2003) would step two millennia
FIRST_YEAR = 1850
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
    cohorts: dict = field(default_factory=dict)   # unit -> its slot's CohortStock (MW)

    def stock(self) -> pd.DataFrame:
        """Capacity by unit, cohort (the year a unit entered the slot) and horizon year: in
        service at the year's end (capacity_mw) and retired in the year (retired_mw), as the
        slots' cohort stocks give them."""
        years = set(self.annual.index)
        frames = [cs.frame().assign(unit=uid) for uid, cs in self.cohorts.items()]
        if not frames:
            return pd.DataFrame(columns=["unit", "cohort", "year", "capacity_mw", "retired_mw"])
        f = pd.concat(frames, ignore_index=True).rename(
            columns={"period": "year", "stock": "capacity_mw", "outflow": "retired_mw"})
        f = f[f["year"].isin(years) & ((f["capacity_mw"] > 0) | (f["retired_mw"] > 0))]
        return f[["unit", "cohort", "year", "capacity_mw", "retired_mw"]].reset_index(drop=True)


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
        #: the years the slots' cohort stocks run on: from the first unit's start year (so
        #: units and follow-ups before the horizon are stepped too) to end_year
        self.axis = np.arange(min([first, *self.units["start_year"].astype(int)]), last + 1)

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
            year = float(row["start_year"])
            if not (year.is_integer() and FIRST_YEAR <= year <= 3000):
                raise CaseFileError(f"{where}start_year must be a whole year from {FIRST_YEAR} "
                                    f"(before any power or heat unit) to 3000, not "
                                    f"{row['start_year']:g}")
            if row["lifetime"] < 1:
                raise CaseFileError(f"{where}lifetime must be at least 1 year (whole years "
                                    f"count), not {row['lifetime']:g}")
            fuel = self.data.get("fuel", {})
            if row["fuel"] not in fuel:
                raise CaseFileError(f"{where}fuel '{row['fuel']}' is not one of "
                                    f"{', '.join(fuel)} (symbiosis_energy.toml [fuel])")
        hours = self.data["hours"]
        u["hours"] = u["hours"].fillna(u["output"].map(lambda o: float(hours[o])))
        u["heat_to_power"] = u["heat_to_power"].fillna(float(self.data["heat_to_power"]))
        for uid, row in u.iterrows():
            if not 0 < row["hours"] <= 8784:
                raise CaseFileError(f"{_where(uid, row)}hours must be a number of hours a "
                                    f"year, more than 0 and at most 8784, not {row['hours']:g}")
            for col in ("electric_efficiency", "heat_efficiency"):
                if not (np.isnan(row[col]) or 0 < row[col] < np.inf):
                    raise CaseFileError(f"{_where(uid, row)}{col} must be a number > 0 (output "
                                        f"per unit of fuel), not {row[col]:g}")
            if row["output"] == "chp" and not 0 < row["heat_to_power"] < np.inf:
                raise CaseFileError(f"{_where(uid, row)}heat_to_power of a CHP unit must be a "
                                    f"number > 0 (heat per unit of power; a unit of no heat "
                                    f"has output 'electricity'), not {row['heat_to_power']:g}")
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
        states, per_unit, cohorts = {}, [], {}
        for uid in self.units.index:
            tech, fuel, parts, cohorts[uid] = self._slot(uid, active)
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
                       annual, st, by_unit, cohorts)

    def _slot(self, uid, active):
        """One unit's slot over the horizon: the technology and fuel in service each year,
        every component (COMPONENTS) by year, and the slot's stock by cohort."""
        row = self.units.loc[uid]
        prices = self.data["fuel"]
        e0, h0 = self.services(uid)
        timeline, capex_f, capex_r, policy, stock = self._timeline(uid, active)
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
        return tech, fuel, parts, stock

    def slot_stock(self, uid, active=()) -> tuple[CohortStock, dict]:
        """The slot's capacity as a stock by cohort on the years of `axis`: held at the
        unit's capacity from its start year (stock-driven, solvers/cohorts.py), each cohort
        leaving after the fixed lifetime of what was built: the unit's own, then each
        follow-up's (its technology after the measures in force when it is built). The
        cohorts' outflows are the retirements, their inflows the follow-ups. Returns the
        stock and the state each cohort was built as, by the year it entered (its cohort)."""
        row = self.units.loc[uid]
        where = _where(uid, row)
        built: dict[int, State] = {}

        def lifetime_of(t: int) -> Lifetime:
            year = int(self.axis[t])
            if built:                                # a cohort retires: its follow-up
                c = max(built)
                events = self._retrofits(built[c], self._retrofit_years(c, built, year - 1),
                                         active)
                s = self._follow_up(events[-1][1] if events else built[c], year, active)
                life = s.lifetime
            else:
                s, life = self.initial_state(uid), int(row["lifetime"])
            if life < 1:
                raise CaseFileError(f"{where}technology '{s.technology}' lasts {life} years: "
                                    f"give a lifetime >= 1 (symbiosis_energy.toml [technology])")
            built[year] = s
            return Lifetime("fixed", mean=life, origin=where)

        target = np.where(self.axis >= int(row["start_year"]), float(row["capacity_mw"]), 0.0)
        stock = stock_driven_as_built(target, lifetime_of, periods=[int(y) for y in self.axis],
                                      name=f"unit '{uid}'")
        return stock, built

    def _timeline(self, uid, active):
        """The state in service in each horizon year, capex / policy costs by year and the
        slot's stock by cohort: the years each cohort serves come from the cohort stock, its
        state from what it was built as and the retrofits of its years in service."""
        y0, y1 = int(self.years[0]), int(self.years[-1])
        n = y1 - y0 + 1
        timeline = [None] * n
        capex_f, capex_r, policy = np.zeros(n), np.zeros(n), np.zeros(n)
        stock, built = self.slot_stock(uid, active)
        first = min(built, default=None)
        for c, s in built.items():
            col = stock.cohorts.index(c)
            last = int(self.axis[np.flatnonzero(stock.stock_by_cohort[:, col] > 0)[-1]])
            if c != first and c >= y0:
                capex_f[c - y0] += stock.inflow[col] * s.capex_per_mw
            events = self._retrofits(s, self._retrofit_years(c, built, last), active)
            for y, _, cost in events:
                if y >= y0:
                    capex_r[y - y0] += cost
            spans = [(c, s)] + [(y, st) for y, st, _ in events]
            for (y_from, st), (y_to, _) in zip(spans, spans[1:] + [(last + 1, None)]):
                a, b = max(y_from, y0) - y0, min(y_to, y1 + 1) - y0
                if b <= a:                           # a span outside the horizon
                    continue
                timeline[a:b] = [st] * (b - a)
                for p in self.policies:
                    if a <= p.year - y0 < b and p.matches(st):
                        policy[p.year - y0] += st.capacity_mw * p.cost_per_mw
        return timeline, capex_f, capex_r, policy, stock

    @staticmethod
    def _retrofit_years(cohort: int, built: dict, last: int) -> range:
        """The years a cohort's retrofits may fall in: from the year it entered to `last`;
        a follow-up was built with the measures of its year already, so from the next."""
        return range(cohort + (cohort != min(built)), last + 1)

    def _retrofits(self, s: State, years: range, active) -> list:
        """The retrofits of a unit in state `s` in service in `years`, in year order and, in a
        year, in the order of the measures: (year, state after, cost)."""
        events = []
        for y in sorted({m.year for m in active if m.when == "retrofit" and m.year in years}):
            for m in active:
                if m.when == "retrofit" and m.year == y and m.matches(s):
                    s = m.apply(s, self.techs, self.classes)
                    events.append((y, s, s.capacity_mw * m.retrofit_cost_per_mw))
        return events

    def _follow_up(self, s: State, year: int, active) -> State:
        """The unit that takes the slot of `s` retiring in `year`: like for like, unless a
        measure in force (from its year on) matches it."""
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
