"""The links of a Sankey: one row per flow with an amount in the measure, and what the
quantity centres add themselves (system and waste-management cost, process emissions),
entering from one extra node so that what enters a centre leaves it."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .extract import measure

#: node added for amounts the centres add themselves
ADDED = "added at the centres"
#: per attribute: the compiled array of a node's own added amounts
_ADDED_COLUMNS = {"cost": None, "cost_material": 0, "cost_energy": 1, "cost_system": 2,
                  "cost_waste": 3}
#: the measures whose links include what the centres add themselves
ADDS = {*_ADDED_COLUMNS, "tce", "co2"}


def flow_links(data, measure_by: str, added: bool = True) -> pd.DataFrame:
    """One row per flow with an amount above 0 in the measure (source, target, value, flows
    (1), flow, carrier, kind, negative, recycle), plus the amounts the centres add
    themselves (from ADDED) for cost, tce and co2."""
    amount, _ = measure(data, measure_by)
    f = data.flows
    links = pd.DataFrame({
        "source": f["source"].astype(str).to_numpy(), "target": f["target"].astype(str).to_numpy(),
        "value": amount, "flows": 1, "flow": f.index.astype(str),
        "carrier": f["carrier"].to_numpy(), "kind": f["kind"].to_numpy(),
        "negative": f["negative"].to_numpy(dtype=bool),
        "recycle": (f["role"] == "recycle").to_numpy()})
    extra = _added_links(data, measure_by) if added else None
    if extra is not None and len(extra):
        links = pd.concat([links, extra], ignore_index=True)
    value = links["value"].to_numpy(dtype=float)
    return links[np.isfinite(value) & (value > 0)].reset_index(drop=True)


def _added_links(data, name: str) -> pd.DataFrame | None:
    c = data.compiled
    if name in _ADDED_COLUMNS:
        col = _ADDED_COLUMNS[name]
        own = c.node_costs.sum(axis=1) if col is None else c.node_costs[:, col]
    elif name == "tce":
        own = c.node_tce
    elif name == "co2":
        own = c.node_co2
    else:
        return None
    own = np.asarray(own, dtype=float)
    idx = np.flatnonzero(own > 0)
    return pd.DataFrame({"source": ADDED, "target": [str(c.node_ids[i]) for i in idx],
                         "value": own[idx], "flows": 0, "flow": "own added",
                         "carrier": name, "kind": "added", "negative": False,
                         "recycle": False})
