"""Optimal allocation of supplies to demands: which candidate links to make and how much
each carries, as a linear program solved by scipy's HiGHS.

With y_k >= 0 the waste sent along candidate k (catalogue waste units),

    maximise   sum_k w_k y_k,   w_k = benefit_k + co2_price * co2_k   (or co2_k)
    subject to sum_{k from supply s} y_k <= supply_s           for every known supply
               sum_{k to demand d} ratio_k y_k <= demand_d      for every known demand
               y_k <= capacity_k

over the candidates within the distance limit with a capacity and w_k > 0. Accepting the
result gives a Scenario of the park: each link becomes a flow, the supply's flow to disposal
and the demand's purchase shrink by what the link carries and replaces.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.optimize import linprog

from ...errors import FlowgraphError
from ...model.scenario import Edit, Scenario

OBJECTIVES = ("benefit", "co2")


@dataclass
class Allocation:
    """The links the optimum makes, with quantities and totals."""

    links: pd.DataFrame        # candidates with y > 0: quantity, benefit, co2, replaced
    considered: int            # candidates in the program
    objective: str
    total_benefit: float       # CNY per period
    total_co2: float           # t CO2e avoided per period
    status: str

    def scenario(self, result, name: str = "symbiosis links", **meta) -> Scenario:
        """A Scenario that makes the links on the result's network."""
        return links_scenario(result, self.links, name, **meta)


def allocate(cands: pd.DataFrame, objective: str = "benefit", co2_price: float = 0.0,
             only_within: bool = True) -> Allocation:
    """Solve the allocation LP over the candidates (matching.candidates)."""
    if objective not in OBJECTIVES:
        raise FlowgraphError(f"objective must be one of {', '.join(OBJECTIVES)}, "
                             f"not '{objective}'")
    weight = (cands["benefit_per_unit"] + co2_price * cands["co2_per_unit"]
              if objective == "benefit" else cands["co2_per_unit"]).to_numpy(dtype=float)
    cap = cands["capacity"].to_numpy(dtype=float)
    use = np.isfinite(cap) & (cap > 0) & (weight > 0)
    if only_within:
        use &= cands["within"].to_numpy(dtype=bool)
    k = np.flatnonzero(use)
    if len(k) == 0:
        return Allocation(_with_y(cands.iloc[:0], np.zeros(0)), 0, objective, 0.0, 0.0,
                          "no candidate")
    sub = cands.iloc[k]
    rows, cols, vals, rhs = [], [], [], []
    r = 0
    for key, limit_col, coef in (("supply_flow", "supply", None), ("demand_flow", "demand",
                                                                   "ratio")):
        codes, uniq = pd.factorize(sub[key])
        limit = sub.groupby(codes)[limit_col].first().to_numpy(dtype=float)
        known = np.isfinite(limit)
        row_of = np.full(len(uniq), -1)
        row_of[known] = r + np.arange(known.sum())
        on = row_of[codes] >= 0
        rows.append(row_of[codes][on])
        cols.append(np.arange(len(k))[on])
        vals.append(sub[coef].to_numpy(dtype=float)[on] if coef else np.ones(on.sum()))
        rhs.append(limit[known])
        r += int(known.sum())
    A = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                      shape=(r, len(k)))
    res = linprog(-weight[k], A_ub=A if r else None, b_ub=np.concatenate(rhs) if r else None,
                  bounds=np.column_stack([np.zeros(len(k)), cap[k]]), method="highs")
    if res.status != 0:
        raise FlowgraphError(f"allocation LP failed: {res.message}")
    y = np.where(res.x > 1e-9 * np.maximum(cap[k], 1.0), res.x, 0.0)
    chosen = y > 0
    links = _with_y(sub[chosen], y[chosen])
    return Allocation(links, len(k), objective, float(links["benefit"].sum()),
                      float(links["co2"].sum()), res.message)


def _with_y(frame: pd.DataFrame, y: np.ndarray) -> pd.DataFrame:
    out = frame.copy()
    out["quantity"] = y
    out["benefit"] = y * out["benefit_per_unit"].to_numpy(dtype=float)
    out["co2"] = y * out["co2_per_unit"].to_numpy(dtype=float)
    out["replaced"] = y * out["ratio"].to_numpy(dtype=float)
    return out


def links_scenario(result, links: pd.DataFrame, name: str = "symbiosis links",
                   **meta) -> Scenario:
    """Edits that make `links` (rows of an allocation) on the result's network: a flow per
    link (its specification follows the supply flow's: a quantity, the same share of the
    supplier's inflow, or a recipe), the supply flows and the purchases shrunk accordingly
    (purchases the balances fix are left to them)."""
    net = result.network
    x = pd.Series(result.quantities, index=result.compiled.flow_ids)
    edits, used = [], set(x.index)
    for sflow, grp in links.groupby("supply_flow", sort=False):
        rec = net.flow(sflow)
        xs = float(x[sflow])
        for _, row in grp.iterrows():
            yf = float(row["quantity"]) / float(row["supply_factor"])
            fid = f"symbiosis:{row['source_node']}->{row['target_node']}:{row['carrier']}"
            if len(links[(links["source_node"] == row["source_node"])
                         & (links["target_node"] == row["target_node"])
                         & (links["carrier"] == row["carrier"])]) > 1:
                fid += f" for {row['replaces']}"
            fid = _unused(fid, sflow, used)
            edits.append(Edit.add_flow(
                row["source_node"], row["target_node"], row["carrier"], id=fid,
                unit=rec["unit"], role="byproduct", replaces=row["replaces"],
                ratio=float(row["ratio"]), distance_km=float(row["distance_km"]),
                **_part_spec(rec, yf, xs)))
        total = float(grp["quantity"].sum() / grp["supply_factor"].iloc[0])
        edits += _shrink(rec, sflow, total, xs)
    for dflow, grp in links.groupby("demand_flow", sort=False):
        rec = net.flow(dflow)
        replaced = float((grp["replaced"] / grp["demand_factor"]).sum())
        edits += _shrink(rec, dflow, replaced, float(x[dflow]))
    return Scenario(name, edits, **{"description": f"{len(links)} symbiosis link(s) made",
                                    **meta})


def _unused(fid: str, supply, used: set) -> str:
    """`fid`, else with its supply flow (two parallel supply flows of one carrier, each
    linked), else numbered: never an id the network or another link has."""
    out, k = fid, 1
    if out in used:
        out = f"{fid} from {supply}"
    while out in used:
        k += 1
        out = f"{fid} from {supply} ({k})"
    used.add(out)
    return out


def _part_spec(rec: dict, part: float, whole: float) -> dict:
    """Specification of a flow carrying `part` of a flow of `whole` specified by `rec`."""
    if rec.get("share") is not None and whole > 0:
        return {"share": rec["share"] * part / whole}
    if rec.get("per_flow") is not None and whole > 0:
        return {"per": (rec["per_flow"], rec["per_ratio"] * part / whole)}
    return {"quantity": part}


def _shrink(rec: dict, fid, part: float, whole: float) -> list:
    """Edits reducing flow `fid` by `part` (nothing if the balances fix it)."""
    if rec.get("quantity") is not None:
        return [Edit.set_flow(fid, quantity=max(rec["quantity"] - part, 0.0))]
    if (rec.get("share") is not None or rec.get("per_flow") is not None) and whole > 0:
        return [Edit.scale_flow(fid, max(whole - part, 0.0) / whole)]
    return []
