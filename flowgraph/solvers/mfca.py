"""The MFCA flow-cost matrix, read off a solved result.

For each quantity centre (process and utility nodes), its outputs are split into positive
products (passed on or sold) and negative products (material losses: role loss, emission,
waste), and the value each carries is summed by cost category.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .propagate import COST_ATTRIBUTES

CATEGORY_COLUMNS = {"cost_material": "material", "cost_energy": "energy",
                    "cost_system": "system", "cost_waste": "waste_management"}


def flow_cost_matrix(result, centres=None, include_system: bool = True) -> pd.DataFrame:
    """Rows (centre, product) with product 'positive' or 'negative'; columns the cost
    categories, total, mass (t), tce and co2. With include_system, a last pair of rows
    ('(system)', ...) sums the products that leave the system to sinks."""
    c = result.compiled
    f = result.flows
    kinds = c.node_kind
    if centres is None:
        centres = c.node_ids[np.isin(kinds, ["process", "utility", "storage"])]
    mass = c.weight(c.layer_index("mass")) * np.nan_to_num(result.quantities)
    frame = f[list(COST_ATTRIBUTES) + ["cost", "tce", "co2"]].copy()
    frame["mass"] = mass
    frame["product"] = np.where(c.negative, "negative", "positive")
    frame["centre"] = f["source"].to_numpy()
    parts = []
    sel = frame[frame["centre"].isin(list(centres))]
    grouped = sel.groupby(["centre", "product"], sort=False).sum(numeric_only=True)
    full = pd.MultiIndex.from_product([list(centres), ["positive", "negative"]],
                                      names=["centre", "product"])
    parts.append(grouped.reindex(full, fill_value=0.0))
    if include_system:
        to_sink = kinds[c.head] == "sink"
        out = frame[to_sink].groupby("product").sum(numeric_only=True)
        out = out.reindex(["positive", "negative"], fill_value=0.0)
        out.index = pd.MultiIndex.from_product([["(system)"], out.index],
                                               names=["centre", "product"])
        parts.append(out)
    table = pd.concat(parts)
    table = table.rename(columns={**CATEGORY_COLUMNS, "cost": "total"})
    return table[["material", "energy", "system", "waste_management", "total", "mass", "tce",
                  "co2"]]
