"""Doc 003 clause 8 on an energy evaluation: metering coverage by GB 17167 level, key
equipment against limit values and the obsolete-equipment list, appendix A.3's correction by
the supplying plant's coal rate, and the compliance table, clause by clause.

Metering points (one per flow and level; docs/methods/energy_clause8.md):
  level 1 (plant): every flow counted in the comprehensive energy (entering the boundary or
           exported) whose carrier has a GB 17167 energy kind, or that a level-1 meter names;
  level 2 (workshop or centre): every flow into a node inside the boundary whose carrier has
           a GB 17167 kind (each such node is a secondary energy-using unit);
  level 3 (key equipment): the supply flow of each item of equipment, and every flow a
           level-3 meter names.
A point is metered when a [[energy.meter]] of its level names its flow with metered = true.
In a scenario, points of flows the scenario removed are dropped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from ...methods.energy_metering import (
    MET,
    NO_DATA,
    NOT_MET,
    coverage,
    equipment_check,
    kind_of,
    level_names,
)
from ...model.report import Block, Cards, Table

PREFIX = "Energy efficiency"


@dataclass
class Clause8:
    """What clause 8 finds on one evaluation."""

    points: pd.DataFrame
    coverage: pd.DataFrame
    equipment: pd.DataFrame
    compliance: pd.DataFrame
    supplying_plant: dict | None

    def tables(self) -> dict:
        out = {"compliance": self.compliance}
        if len(self.points):
            out.update(metering_points=self.points, metering_coverage=self.coverage)
        if len(self.equipment):
            out["equipment"] = self.equipment
        return out

    def figures(self) -> dict:
        c = self.compliance["status"].value_counts()
        out = {"clause8_met": int(c.get(MET, 0)), "clause8_not_met": int(c.get(NOT_MET, 0)),
               "clause8_no_data": int(c.get(NO_DATA, 0))}
        if len(self.coverage):
            for (level, kind), row in self.coverage.iterrows():
                out[f"metering_coverage_L{level}_{kind.replace(' ', '_')}"] = row["coverage"]
        return out


def compute(ev) -> Clause8:
    """Clause 8 of one Evaluation (its settings hold the case's meter and equipment tables)."""
    s = ev.settings
    checked = equipment_check(s.equipment) if len(s.equipment) else equipment_check(
        pd.DataFrame(columns=["kind", "rated_efficiency", "rated_power_kw", "model"]))
    points = metering_points(ev)
    cov = coverage(points[["flow", "level", "kind", "metered"]]) if len(points) else \
        coverage(points)
    comp = compliance(ev, cov, checked, len(s.meter) > 0)
    return Clause8(points, cov, checked, comp, s.supplying_plant)


def metering_points(ev) -> pd.DataFrame:
    """One row per (flow, level) the levels require or a meter names: carrier, GB 17167
    kind, whether it is metered, the instrument."""
    s, r = ev.settings, ev.result
    flows = r.network.flow_frame()
    kinds = s.meter_kinds
    required = []
    acc = ev.account.flows
    for fid in acc.index[acc["counted"].to_numpy(dtype=bool)]:
        if kind_of(acc.at[fid, "carrier"], kinds):
            required.append((fid, 1))
    inside = set(ev.account.inside)
    for fid, row in flows.iterrows():
        if row["target"] in inside and kind_of(row["carrier"], kinds):
            required.append((fid, 2))
    for fid in s.equipment["flow"] if len(s.equipment) else ():
        if fid:
            required.append((fid, 3))
    meters = s.meter
    named = list(zip(meters["flow"], meters["level"])) if len(meters) else []
    # a scenario may remove a flow the base's meters or equipment name: its point goes too
    keys = [k for k in dict.fromkeys(required + named) if k[0] in flows.index]
    metered = {(f, lv) for f, lv, m in zip(meters["flow"], meters["level"], meters["metered"])
               if m} if len(meters) else set()
    instrument = dict(zip(named, meters["instrument"])) if len(meters) else {}
    rows = [{"flow": f, "level": lv, "carrier": flows.at[f, "carrier"],
             "kind": kind_of(flows.at[f, "carrier"], kinds),
             "metered": (f, lv) in metered, "instrument": instrument.get((f, lv), ""),
             "required_by": "meter table" if (f, lv) not in set(required) else
             ("flowsheet" if lv < 3 else "equipment table")} for f, lv in keys]
    return pd.DataFrame(rows, columns=["flow", "level", "carrier", "kind", "metered",
                                       "instrument", "required_by"])


def _status_of(statuses, empty: str = NO_DATA) -> str:
    s = set(statuses)
    if not s:
        return empty
    return NOT_MET if NOT_MET in s else (MET if MET in s else NO_DATA)


def compliance(ev, cov: pd.DataFrame, equipment: pd.DataFrame, have_meters: bool) -> pd.DataFrame:
    """Clause by clause: met / not met / no data, with the evidence."""
    s, g = ev.settings, ev.grade
    has_eq = len(equipment) > 0
    obsolete = equipment.index[equipment["obsolete"] != ""].tolist() if has_eq else []
    low = equipment.index[equipment["efficiency_status"] == NOT_MET].tolist() if has_eq else []
    cov_status = _status_of(cov["status"]) if have_meters else NO_DATA
    short = [f"L{lv} {k}: {r['coverage']:.0%} < {r['required_coverage']:.0%}"
             for (lv, k), r in cov.iterrows() if r["status"] == NOT_MET]
    eq_status = _status_of(equipment["efficiency_status"]) if has_eq else NO_DATA
    rows = [
        ("7.1.3", "list of main energy-using equipment and of obsolete equipment",
         MET if has_eq else NO_DATA,
         f"{len(equipment)} items in [[energy.equipment]]" if has_eq else
         "no [[energy.equipment]] table"),
        ("7.1.5", "energy metering instruments fitted",
         MET if have_meters and len(s.meter) and s.meter["metered"].any() else NO_DATA,
         f"{int(s.meter['metered'].sum())} metered points in [[energy.meter]]" if have_meters
         else "no [[energy.meter]] table"),
        ("8.2.1 b)", "no banned or obsolete processes and equipment",
         (NOT_MET if obsolete else MET) if has_eq else NO_DATA,
         ("obsolete: " + "; ".join(f"{i} ({equipment.at[i, 'obsolete']})" for i in obsolete))
         if obsolete else ("no item on the obsolete list" if has_eq else "no equipment table")),
        ("8.2.2", "metering instruments per GB 17167 (coverage by level and energy kind)",
         cov_status, "; ".join(short) if short else (
             f"{len(cov)} level/kind pairs, none below the required rate" if have_meters
             else "no [[energy.meter]] table")),
        ("8.2.3 b)", "efficiency of key equipment against its limit value", eq_status,
         ("below the limit: " + ", ".join(low)) if low else (
             f"{int((equipment['efficiency_status'] == MET).sum())} items at or above their "
             f"limit, {int((equipment['efficiency_status'] == NO_DATA).sum())} without a limit"
             if has_eq else "no equipment table")),
        ("8.1.3", "comprehensive energy per unit against the limit (grade table)",
         NO_DATA if g is None or not math.isfinite(g.gap_to_baseline) else
         (MET if g.gap_to_baseline <= 0 else NOT_MET),
         "no grade" if g is None else f"{g.label}; gap to the limit (level 3) "
                                      f"{g.gap_to_baseline:+,.2f} {g.unit}"),
        ("A.3", "electricity and working media at the supplying plant's actual coal rate",
         MET if s.supplying_plant else NO_DATA, _a3_evidence(s.supplying_plant)),
    ]
    return pd.DataFrame(rows, columns=["clause", "requirement", "status", "evidence"]
                        ).set_index("clause")


def _a3_evidence(p: dict | None) -> str:
    if not p:
        return ("electricity at its equivalent value or a given equal value; name "
                "[energy.supplying_plant] with its coal_rate to apply A.3")
    media = ", ".join(p["media"]) or "none"
    return (f"{p['name']}: {p['coal_rate'] * 1000:g} gce/kWh"
            + (f" ({p['source']})" if p["source"] else "")
            + f"; working media corrected: {media if p['correct_media'] else 'not corrected'}")


def blocks(ev) -> list[Block]:
    """The clause-8 blocks of the report (under e), the scoring table)."""
    c8 = ev.clause8
    counts = c8.compliance["status"].value_counts()
    cards = [{"name": k, "value": int(counts.get(k, 0)), "unit": "clauses"}
             for k in (MET, NOT_MET, NO_DATA)]
    out = [Cards(f"{PREFIX}: clause 8 compliance", cards, level=3,
                 note="Doc 003 clause 8 (and 7.1.3, 7.1.5, A.3), clause by clause."),
           Table(f"{PREFIX}: compliance by clause", c8.compliance, level=3)]
    if len(c8.coverage):
        names = level_names()
        cov = c8.coverage.reset_index()
        cov.insert(1, "level_name", cov["level"].map(names))
        out.append(Table(f"{PREFIX}: metering coverage (GB 17167)", cov.set_index(
            ["level", "level_name", "kind"]), level=3,
            units={"coverage": "1", "required_coverage": "1"},
            note="Coverage = metered points / points the level requires (one per flow); the "
                 "required rates are GB 17167-2006's, shipped in "
                 "flowgraph/data/gb17167_metering_rates.csv."))
    if len(c8.equipment):
        out.append(Table(f"{PREFIX}: key equipment against limit values", c8.equipment,
                         level=3, units={"rated_power_kw": "kW", "rated_efficiency": "1",
                                         "limit_efficiency": "1", "margin": "1"},
                         note="Rated efficiency against the limit of its kind and size "
                              "(flowgraph/data/equipment_limits.csv, or the case's); obsolete: "
                              "the catalogue listing its model (obsolete_equipment.csv)."))
    return out
