"""The value-flow cost statement of doc 001, read off solved results.

Positive cost (raw material, energy, and system cost where a case has it), negative cost
(waste treatment), value-flow cost, revenue and net profit per situation side by side with
the differences; the same by product (every flow that leaves to a sink) and by cost
category, plus the energy (Table 4) and waste-treatment (Table 5) breakdowns and the flows
of each element layer.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...model import units
from ...model.schema import COST_CATEGORIES
from ...solvers.propagate import CATEGORY_ATTRIBUTE
from .aggregates import mass_per_unit

#: statement rows: aggregate, wording, part (positive or negative cost)
ROWS = (("raw_material_cost", "raw-material cost", "positive cost"),
        ("energy_cost", "energy cost", "positive cost"),
        ("system_cost", "system cost", "positive cost"),
        ("positive_cost", "positive cost", "subtotal"),
        ("waste_treatment_cost", "waste-treatment cost", "negative cost"),
        ("value_flow_cost", "value-flow cost", "total"),
        ("revenue", "revenue", ""),
        ("net_profit", "net profit", ""))
CATEGORY_NAMES = {"material": "raw material", "energy": "energy", "system": "system",
                  "waste_management": "waste treatment"}


def _money(unit: str) -> float:
    return units.factor("CNY", unit)


def cost_statement(values: dict, unit: str) -> pd.DataFrame:
    """Rows ROWS (system cost only where some situation has it), a column per situation
    (`values`: label -> aggregate values) and the difference of each to the first."""
    labels = list(values)
    k = _money(unit)
    rows = []
    for name, wording, part in ROWS:
        vals = [values[lab][name] * k for lab in labels]
        if name == "system_cost" and not any(vals):
            continue
        row = {"item": wording, "part": part, "unit": unit}
        row.update(dict(zip(labels, vals)))
        for lab, v in zip(labels[1:], vals[1:]):
            row[f"{lab} - {labels[0]}"] = v - vals[0]
        rows.append(row)
    return pd.DataFrame(rows).set_index("item")


def cost_matrix(values: dict, unit: str) -> pd.DataFrame:
    """Doc 001's Table 6 layout: per situation, positive and negative cost by category."""
    k = _money(unit)
    rows = []
    for lab, v in values.items():
        pos = {"raw material": v["raw_material_cost"], "energy": v["energy_cost"],
               "system": v["system_cost"], "waste treatment": 0.0}
        neg = {"raw material": 0.0, "energy": 0.0, "system": 0.0,
               "waste treatment": v["waste_treatment_cost"]}
        for part, d in (("positive cost", pos), ("negative cost", neg)):
            rows.append({"situation": lab, "part": part, **{c: x * k for c, x in d.items()},
                         "total": sum(d.values()) * k})
        tot = {c: (pos[c] + neg[c]) * k for c in pos}
        rows.append({"situation": lab, "part": "total", **tot, "total": sum(tot.values())})
    frame = pd.DataFrame(rows).set_index(["situation", "part"])
    if not frame["system"].any():
        frame = frame.drop(columns="system")
    return frame


def by_product(result, unit: str) -> pd.DataFrame:
    """Every flow that leaves to a sink: quantity, mass, cost by category, revenue, margin."""
    c = result.compiled
    f = result.flows
    k = _money(unit)
    out = c.node_kind[c.head] == "sink"
    mass = np.nan_to_num(result.quantities) * mass_per_unit(result)
    frame = pd.DataFrame({
        "carrier": f["carrier"].to_numpy()[out], "from": f["source"].to_numpy()[out],
        "to": f["target"].to_numpy()[out],
        "product": np.where(c.negative[out], "negative", "positive"),
        "quantity": f["quantity"].to_numpy()[out], "unit": f["unit"].to_numpy()[out],
        "mass (t)": mass[out]}, index=f.index[out])
    for cat in COST_CATEGORIES:
        frame[CATEGORY_NAMES[cat]] = f[CATEGORY_ATTRIBUTE[cat]].to_numpy()[out] * k
    frame["cost"] = f["cost"].to_numpy()[out] * k
    frame["revenue"] = np.where(c.negative[out], 0.0, f["value"].to_numpy()[out]) * k
    frame["margin"] = frame["revenue"] - frame["cost"]
    frame.index.name = "flow"
    return frame.sort_values(["product", "revenue"], ascending=[False, False])


def energy_table(result, unit: str) -> pd.DataFrame:
    """Energy and water entering from sources by carrier (doc 001 Table 4): quantity,
    standard coal and cost."""
    c = result.compiled
    f = result.flows
    sel = (c.node_kind[c.tail] == "source") & np.isin(c.carrier_kind, ["energy", "water"])
    part = f.loc[sel, ["carrier", "unit", "quantity", "tce", "cost"]]
    table = part.groupby(["carrier", "unit"], sort=False).sum(numeric_only=True)
    table["cost"] *= _money(unit)
    table["tce per unit"] = table["tce"] / table["quantity"]
    table = table[["quantity", "tce per unit", "tce", "cost"]]
    table.loc[("(total)", ""), :] = [np.nan, np.nan, table["tce"].sum(), table["cost"].sum()]
    return table


def waste_table(result, unit: str) -> pd.DataFrame:
    """Nodes with own waste-treatment cost (doc 001 Table 5): what they discharge and cost."""
    c = result.compiled
    f = result.flows
    j = COST_CATEGORIES.index("waste_management")
    treat = np.flatnonzero(c.node_costs[:, j] > 0)
    mass = np.nan_to_num(result.quantities) * mass_per_unit(result)
    rows = []
    for n in treat:
        leaving = (c.tail == n) & c.negative & (c.node_kind[c.head] == "sink")
        rows.append({"node": c.node_ids[n],
                     "discharged": ", ".join(pd.unique(f["carrier"].to_numpy()[leaving])),
                     "discharged (t)": float(mass[leaving].sum()),
                     "cost": float(c.node_costs[n, j]) * _money(unit)})
    table = pd.DataFrame(rows, columns=["node", "discharged", "discharged (t)", "cost"])
    table = table.set_index("node")
    if len(table):
        table.loc["(total)"] = ["", table["discharged (t)"].sum(), table["cost"].sum()]
    return table


def element_layers(result) -> list[str]:
    """Balance layers that are elements (neither mass nor energy)."""
    return [lay for lay in result.compiled.layers if lay not in ("mass", "energy")]


def element_flows(result, layer: str) -> pd.DataFrame:
    """Every flow carrying the element: its quantity of the element (t) and its share of all
    the element entering from sources."""
    c = result.compiled
    f = result.flows
    amount = np.nan_to_num(result.quantities) * c.W[:, c.layer_index(layer)]
    sel = amount > 0
    entering = amount[(c.node_kind[c.tail] == "source")].sum()
    table = pd.DataFrame({"from": f["source"].to_numpy()[sel], "to": f["target"].to_numpy()[sel],
                          "carrier": f["carrier"].to_numpy()[sel], "role": f["role"].to_numpy()[sel],
                          f"{layer} (t)": amount[sel]}, index=f.index[sel])
    table[f"share of {layer} input"] = table[f"{layer} (t)"] / entering if entering > 0 else np.nan
    table.index.name = "flow"
    return table
