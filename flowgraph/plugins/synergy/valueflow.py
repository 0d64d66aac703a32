"""The value-flow table of a technology system (doc 000's table 2): each technology's saving of
each row's carrier x the row's standard-coal coefficient = tce, x its price = CNY, by row and in
total.

A technology's saving on a row is measured by re-solving: where its `saves` names flows (the
point where a source measures it), as the drop of those flows; otherwise system-wide, as the drop
of the carrier's use (its flows into anything but a sink). The system-wide drop is always shown
beside it: the difference is the knock-on effect elsewhere in the plant. A source's own figure
(`stated`) is converted the same way, so the source's arithmetic is reproduced next to ours.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ...model import units

COLUMNS = ["technology", "key", "stage", "row", "carrier", "unit", "measured_at", "saving",
           "saving_system", "stated", "kgce_per_unit", "tce", "tce_stated", "price",
           "value_cny", "value_cny_stated"]


def carrier_use(result, carrier: str, unit: str) -> float:
    """Use of a carrier: its flows into anything but a sink, in `unit`."""
    f = result.flows
    c = result.compiled
    sel = (f["carrier"].to_numpy() == carrier) & (c.node_kind[c.head] != "sink")
    return _sum(f[sel], unit)


def flows_total(result, flows, unit: str) -> float:
    """Sum of the named flows that exist in the result, in `unit` (missing ones count zero)."""
    f = result.flows
    return _sum(f.loc[[x for x in flows if x in f.index]], unit)


def _sum(frame: pd.DataFrame, unit: str) -> float:
    total = 0.0
    for u, g in frame.groupby("unit"):
        total += float(np.nansum(g["quantity"].to_numpy(dtype=float))) * units.factor(u, unit)
    return total


def value_flow(techs, base, singles: dict, settings) -> pd.DataFrame:
    """One row per technology and value-flow row it declares (saves or stated), or, for a
    technology that declares none, per row where it saves something system-wide."""
    rows = []
    for t in techs:
        res = singles.get(t.key)
        if res is None:
            continue
        declared = set(t.saves) | set(t.stated)
        for row in settings.value_flow:
            system = carrier_use(base, row.carrier, row.unit) - carrier_use(res, row.carrier,
                                                                            row.unit)
            if declared:
                if row.name not in declared:
                    continue
            elif abs(system) <= settings.rtol * max(abs(carrier_use(base, row.carrier,
                                                                    row.unit)), 1.0):
                continue
            if row.name in t.saves:
                flows = t.saves[row.name]
                saving = flows_total(base, flows, row.unit) - flows_total(res, flows, row.unit)
                where = ", ".join(flows)
            else:
                saving, where = system, "system-wide"
            stated = t.stated.get(row.name, math.nan)
            rows.append({
                "technology": t.name, "key": t.key, "stage": t.stage, "row": row.name,
                "carrier": row.carrier, "unit": row.unit, "measured_at": where,
                "saving": saving, "saving_system": system, "stated": stated,
                "kgce_per_unit": row.tce * 1000.0, "tce": saving * row.tce,
                "tce_stated": stated * row.tce, "price": row.price,
                "value_cny": saving * _nan0(row.price),
                "value_cny_stated": stated * _nan0(row.price)})
    return pd.DataFrame(rows, columns=COLUMNS)


def totals(table: pd.DataFrame, settings) -> pd.DataFrame:
    """Per value-flow row (in the rows' order) and in total: saving, tce and CNY, measured and
    stated. The total row sums tce and CNY only (savings are in different units)."""
    out = []
    for row in settings.value_flow:
        g = table[table["row"] == row.name]
        if g.empty:
            continue
        out.append({"row": row.name, "unit": row.unit, "technologies": ", ".join(g["key"]),
                    "saving": g["saving"].sum(), "stated": g["stated"].sum(min_count=1),
                    "saving_system": g["saving_system"].sum(),
                    "kgce_per_unit": row.tce * 1000.0, "tce": g["tce"].sum(min_count=1),
                    "tce_stated": g["tce_stated"].sum(min_count=1),
                    "value_cny": g["value_cny"].sum(),
                    "value_cny_stated": g["value_cny_stated"].sum(min_count=1)})
    frame = pd.DataFrame(out, columns=["row", "unit", "technologies", "saving", "stated",
                                       "saving_system", "kgce_per_unit", "tce", "tce_stated",
                                       "value_cny", "value_cny_stated"])
    total = {"row": "total", "unit": "", "technologies": ", ".join(pd.unique(table["key"])),
             "tce": frame["tce"].sum(min_count=1), "tce_stated": frame["tce_stated"].sum(
                 min_count=1), "value_cny": frame["value_cny"].sum(),
             "value_cny_stated": frame["value_cny_stated"].sum(min_count=1)}
    frame = pd.concat([frame, pd.DataFrame([total])], ignore_index=True)
    return frame.set_index("row")


def system_table(techs, base, singles: dict, settings) -> pd.DataFrame:
    """Every technology x every row, system-wide: the drop of the carrier's use, its tce and
    value (what the plant as a whole buys or uses less, knock-on effects included)."""
    rows = []
    for t in techs:
        res = singles.get(t.key)
        if res is None:
            continue
        for row in settings.value_flow:
            s = carrier_use(base, row.carrier, row.unit) - carrier_use(res, row.carrier, row.unit)
            rows.append({"key": t.key, "row": row.name, "unit": row.unit, "saving_system": s,
                         "tce": s * row.tce, "value_cny": s * _nan0(row.price)})
    return pd.DataFrame(rows, columns=["key", "row", "unit", "saving_system", "tce",
                                       "value_cny"]).set_index(["key", "row"])


def _nan0(v) -> float:
    return 0.0 if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)
