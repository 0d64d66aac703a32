"""Park indicators per unit of industrial added value, and decoupling between two states.

- use U of a firm (or the park) per period: energy (tce of what it buys across its
  boundary), water (t of water-kind carriers bought), COD (t: discharge t x conc_COD mg/L x
  1e-6, plus flows of the COD carrier and emit_COD), SO2 (t of SO2-carrier flows released,
  plus emit_SO2) and CO2e (t, a greenhouse.GHGInventory's chosen scopes);
- intensity = U / (VA / 10^4 CNY), VA the sum of the node attribute added_value (CNY);
- decoupling elasticity from a baseline (0) to a target (1) state:
  e = (dU / U0) / (dVA / VA0), classified by Tapio (2005) (data/tapio_decoupling.csv) from
  the signs of dVA and dU and the value of e.
"""

from __future__ import annotations

import csv
import math
from functools import cache
from importlib import resources

import numpy as np
import pandas as pd

from ..errors import ModelError
from ..model import units

INDICATORS = ("energy_tce", "water_t", "COD_t", "SO2_t", "CO2e_t")
#: CNY per 10^4 CNY (万元), the denominator of Chinese park intensities
PER_10K = 1e4
PARK = "(park)"


@cache
def tapio_classes() -> pd.DataFrame:
    path = resources.files("flowgraph") / "data" / "tapio_decoupling.csv"
    with path.open(encoding="utf-8") as fh:
        frame = pd.DataFrame(list(csv.DictReader(fh)))
    for col in ("elasticity_min", "elasticity_max"):
        frame[col] = pd.to_numeric(frame[col].replace("", np.nan))
    return frame


def tapio_class(d_va: float, d_use: float) -> str:
    """Tapio's degree of decoupling of relative changes dVA/VA0 and dU/U0."""
    if d_va == 0 or not (math.isfinite(d_va) and math.isfinite(d_use)):
        return "undefined (no change in value added)"
    e = d_use / d_va
    sva, su = ("+" if d_va > 0 else "-"), ("+" if d_use >= 0 else "-")
    for _, row in tapio_classes().iterrows():
        lo = -math.inf if np.isnan(row["elasticity_min"]) else row["elasticity_min"]
        hi = math.inf if np.isnan(row["elasticity_max"]) else row["elasticity_max"]
        if row["value_added"] == sva and row["use"] == su and (lo <= e < hi or e == hi == 0):
            return row["class"]
    return "undefined"


def added_value(result) -> pd.Series:
    """added_value (CNY) of each node (NaN where not given); negative refused by node."""
    nodes = result.network.node_frame()
    if "added_value" not in nodes.columns:
        return pd.Series(np.nan, index=nodes.index, dtype=float)
    va = pd.to_numeric(nodes["added_value"], errors="coerce").astype(float)
    bad = va[va < 0]
    if len(bad):
        node = bad.index[0]
        origin = nodes.at[node, "_origin"] if "_origin" in nodes.columns else None
        raise ModelError(f"node '{node}': added_value {bad.iloc[0]:g} CNY is negative: "
                         f"industrial added value must be >= 0", nodes=[node],
                         origin=origin if isinstance(origin, str) else None)
    return va


def park_usage(result, inventory=None, *, scopes=(1, 2), cod="COD", so2="SO2") -> pd.DataFrame:
    """Use per firm (rows; a node without a firm is its own) and for the park: the
    INDICATORS, added_value_cny, and each indicator's intensity per 10^4 CNY."""
    net = result.network
    nodes, flows = net.node_frame(), result.flows
    firm = nodes["firm"] if "firm" in nodes.columns else pd.Series(None, nodes.index)
    firm = firm.where(firm.notna(), pd.Series(nodes.index, nodes.index))
    inside = ~nodes["kind"].isin(["source", "sink"])
    src_in, tgt_in = inside.reindex(flows["source"]).to_numpy(), \
        inside.reindex(flows["target"]).to_numpy()
    bought, released = tgt_in & ~src_in, src_in & ~tgt_in
    t = _tonnes(flows)
    rows = pd.DataFrame(0.0, index=pd.Index(sorted(set(firm[inside])), name="firm"),
                        columns=[*INDICATORS, "added_value_cny"])
    _add(rows, firm, flows["target"][bought], flows["tce"][bought], "energy_tce")
    water = bought & (flows["kind"] == "water").to_numpy()
    _add(rows, firm, flows["target"][water], t[water], "water_t")
    conc = net.flow_frame().reindex(flows.index).get("conc_COD")
    if conc is not None:
        c = pd.to_numeric(conc, errors="coerce").fillna(0.0).to_numpy()
        _add(rows, firm, flows["source"][released], (t * c * 1e-6)[released], "COD_t")
    for name, col in ((cod, "COD_t"), (so2, "SO2_t")):
        sel = released & (flows["carrier"] == name).to_numpy()
        _add(rows, firm, flows["source"][sel], t[sel], col)
        if f"emit_{name}" in nodes.columns:
            v = pd.to_numeric(nodes[f"emit_{name}"], errors="coerce").fillna(0.0)[inside]
            _add(rows, firm, v.index, v.to_numpy(), col)
    if inventory is not None:
        sel = inventory.select(scope=list(scopes))
        _add(rows, firm, sel["node"], sel["co2e_t"].to_numpy(), "CO2e_t")
    va = added_value(result)[inside]
    _add(rows, firm, va.index, va.fillna(0.0).to_numpy(), "added_value_cny")
    has_va = va.groupby(firm[inside]).count()
    rows.loc[has_va.index[has_va == 0], "added_value_cny"] = np.nan
    rows.loc[PARK] = rows.sum(min_count=1)
    for ind in INDICATORS:
        rows[f"{ind}_per_10k_cny"] = rows[ind] / (rows["added_value_cny"] / PER_10K)
    return rows


def _tonnes(flows: pd.DataFrame) -> np.ndarray:
    """Quantities in t where the unit has mass (else NaN)."""
    factor = {u: (units.factor(u, "t") if units.dimension(u) == units.dimension("t")
                  else np.nan) for u in flows["unit"].unique()}
    return flows["quantity"].to_numpy(float) * flows["unit"].map(factor).to_numpy(float)


def _add(rows, firm, nodes, values, column):
    """Add values (one per node) into rows[column], summed by the nodes' firm."""
    v = pd.Series(np.nan_to_num(np.asarray(values, float)), index=np.asarray(nodes, object))
    sums = v.groupby(firm.reindex(v.index).to_numpy()).sum()
    rows.loc[sums.index, column] += sums


def decoupling(base: pd.Series, target: pd.Series, indicators=INDICATORS) -> pd.DataFrame:
    """Baseline-and-target table of one row (firm or park) of park_usage in two states."""
    va0, va1 = base["added_value_cny"], target["added_value_cny"]
    d_va = (va1 - va0) / va0 if va0 else math.nan
    out = []
    for ind in indicators:
        u0, u1 = float(base[ind]), float(target[ind])
        d_u = (u1 - u0) / u0 if u0 else math.nan
        e = d_u / d_va if d_va and math.isfinite(d_u) else math.nan
        out.append({"indicator": ind, "baseline": u0, "target": u1, "change": d_u,
                    "intensity_baseline": base[f"{ind}_per_10k_cny"],
                    "intensity_target": target[f"{ind}_per_10k_cny"],
                    "intensity_change": _ratio(target[f"{ind}_per_10k_cny"],
                                               base[f"{ind}_per_10k_cny"]) - 1,
                    "value_added_change": d_va, "elasticity": e,
                    "decoupling": tapio_class(d_va, d_u) if math.isfinite(d_u) else
                    "undefined (no use in the baseline)"})
    return pd.DataFrame(out).set_index("indicator")


def _ratio(a, b) -> float:
    return float(a) / float(b) if b and math.isfinite(float(b)) else math.nan
