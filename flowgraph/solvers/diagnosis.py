"""What is wrong with a balance system, in the user's terms: the errors that name the
under-determined flows, the loop that is singular, the balances that contradict each other,
the flows forced below zero or beyond the float range; the residual table per node and layer;
counts of the system for reports and `check`."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import (
    InconsistentError,
    NegativeFlowError,
    NonFiniteError,
    SingularError,
    UnderdeterminedError,
    name_list,
)
from .compiled import Compiled
from .specs import FREE, KNOWN, PER, SHARE

#: relative tolerance of a balance: a surplus equation's residual beyond it means the data
#: contradict each other; a flow or residual within it of its balance's scale is rounding
#: noise (0), a flow below minus it is negative
CONSISTENCY_RTOL = 1e-9


def row_scale(c: Compiled, red, x: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Sum of |terms| of each row, the yardstick a residual is measured against."""
    return _row_terms(c, red, np.abs(x))[rows] + np.abs(red.r[rows])


def _row_terms(c: Compiled, red, xa: np.ndarray) -> np.ndarray:
    """For every row of the reduced system: sum over its flows of |w x| (plus |T|)."""
    L = len(c.layers)
    inc_f, inc_l, w = c.incidence
    w = w * xa[inc_f]
    key_row = np.full(c.n_nodes * L, -1, dtype=np.int64)
    n_rows = red.R.shape[0]
    out = np.zeros(n_rows)
    bal = np.flatnonzero(red.row_kind == 1)
    key_row[red.row_node[bal] * L + red.row_layer[bal]] = bal
    for ends in (c.head, c.tail):
        row = key_row[ends[inc_f] * L + inc_l]
        on = row >= 0
        out += np.bincount(row[on], weights=w[on], minlength=n_rows)
    t_rows = np.flatnonzero(red.row_kind == 0)
    key_t = np.full(c.n_nodes * L, -1, dtype=np.int64)
    key_t[red.row_node[t_rows] * L + red.row_layer[t_rows]] = t_rows
    row = key_t[c.head[inc_f] * L + inc_l]
    on = row >= 0
    out += np.bincount(row[on], weights=2 * w[on], minlength=n_rows)
    return out


def undetermined(bal) -> np.ndarray:
    """Indices of flows the balances leave undetermined (NaN quantities)."""
    return np.flatnonzero(np.isnan(bal.x))


def underdetermined_error(c: Compiled, red, st) -> UnderdeterminedError:
    cols = np.flatnonzero(st.under_cols)
    free = cols[cols >= red.n_t] - red.n_t
    flows = red.free_flow[free]
    t_nodes = red.t_node[cols[cols < red.n_t]]
    dof = st.degrees_of_freedom
    parts = [f"the balances leave {dof} degree{'s' if dof != 1 else ''} of freedom"]
    if len(flows):
        parts.append(f"nothing fixes the unknown flow(s) {c.flow_names(flows)}")
    if len(t_nodes):
        parts.append(f"the inflow of node(s) {c.node_names(np.unique(t_nodes))} is not fixed")
    parts.append("give a quantity, share or per to one flow per degree of freedom, or close a "
                 "balance layer at a node they touch")
    return UnderdeterminedError("under-determined: " + "; ".join(parts),
                                flows=list(c.flow_ids[flows]),
                                nodes=list(c.node_ids[np.unique(t_nodes)]))


def singular_error(c: Compiled, red, cols: np.ndarray) -> SingularError:
    cols = np.unique(cols)
    flows = set(red.free_flow[cols[cols >= red.n_t] - red.n_t].tolist())
    t_nodes = red.t_node[cols[cols < red.n_t]]
    in_block = np.zeros(red.R.shape[1], dtype=bool)
    in_block[cols] = True
    on_block = np.flatnonzero((red.G_col >= 0) & in_block[np.maximum(red.G_col, 0)])
    flows.update(on_block.tolist())
    flows = np.array(sorted(flows), dtype=np.int64)
    nodes = np.unique(np.concatenate([t_nodes, c.tail[flows], c.head[flows]])) if len(flows) \
        else np.unique(t_nodes)
    # the loop's nodes: those both entered and left by flows of the block
    inner = np.intersect1d(c.tail[flows], c.head[flows]) if len(flows) else nodes
    shown = inner if len(inner) else nodes
    msg = (f"singular balance: node(s) {c.node_names(shown)} form a closed loop with no exit "
           f"(everything entering is passed on around the loop, so no quantity is fixed), or "
           f"their equations contradict; flows involved: {c.flow_names(flows)}. Give the loop a "
           f"loss or product leaving it, or shares that sum to less than 1")
    return SingularError(msg, nodes=list(c.node_ids[shown]), flows=list(c.flow_ids[flows]))


def inconsistent_error(c, red, rows, resid, table) -> InconsistentError:
    lines = []
    for r, v in zip(rows[:10], resid[:10]):
        node, layer = red.row_node[r], red.row_layer[r]
        what = "balance" if red.row_kind[r] == 1 else "inflow"
        unit = "t" if c.layers[layer] != "energy" else "GJ"
        lines.append(f"node '{c.node_ids[node]}'{c.where_node(node)} {c.layers[layer]} {what}: "
                     f"in - out - stock = {v:+.6g} {unit}")
    more = f" and {len(rows) - 10} more" if len(rows) > 10 else ""
    nodes = list(c.node_ids[red.row_node[rows]])
    return InconsistentError(
        "inconsistent: the data over-determine the balances and contradict each other: "
        + "; ".join(lines) + more + ". Leave one flow per contradiction unknown, or reconcile "
        "the measurements (net.reconcile(), flowgraph reconcile); `flowgraph check` lists all "
        "residuals", residuals=table, nodes=nodes)


def residual_table(c: Compiled, x: np.ndarray, rtol: float = CONSISTENCY_RTOL) -> pd.DataFrame:
    """In, out, stock and residual (in - out - stock) per node and layer, with `closed`; a
    residual within rtol of |in| + |out| + |stock| is rounding noise, shown as 0."""
    L = len(c.layers)
    inc_f, inc_l, w = c.incidence
    wx = w * x[inc_f]
    size = c.n_nodes * L
    inflow = np.bincount(c.head[inc_f] * L + inc_l, weights=wx, minlength=size)
    outflow = np.bincount(c.tail[inc_f] * L + inc_l, weights=wx, minlength=size)
    stock = c.stock.ravel()
    touched = (np.bincount(c.head[inc_f] * L + inc_l, minlength=size)
               + np.bincount(c.tail[inc_f] * L + inc_l, minlength=size)) > 0
    keep = np.flatnonzero(touched | c.closed.ravel())
    node, layer = np.divmod(keep, L)
    inflow, outflow, stock = inflow[keep], outflow[keep], stock[keep]
    residual = inflow - outflow - stock
    residual[np.abs(residual) <= rtol * (np.abs(inflow) + np.abs(outflow) + np.abs(stock))] = 0.0
    return pd.DataFrame({
        "node": c.node_ids[node], "layer": np.array(c.layers, dtype=object)[layer],
        "closed": c.closed.ravel()[keep], "in": inflow, "out": outflow,
        "stock": stock, "residual": residual,
        "unit": np.where(np.array(c.layers, dtype=object)[layer] == "energy", "GJ", "t"),
    })


def describe_structure(c: Compiled, bal) -> dict:
    """Counts for reports: unknowns, equations, degrees of freedom, surplus equations."""
    red, st = bal.reduced, bal.structure
    return {
        "flows": c.n_flows,
        "known": int((c.spec == KNOWN).sum()), "shares": int((c.spec == SHARE).sum()),
        "recipes": int((c.spec == PER).sum()), "unknown": int((c.spec == FREE).sum()),
        "node_inflows": red.n_t, "balance_equations": int((red.row_kind == 1).sum()),
        "degrees_of_freedom": st.degrees_of_freedom,
        "surplus_equations": int(len(bal.surplus_rows)),
        "undetermined_flows": name_list(c.flow_ids[undetermined(bal)]),
        "peeled": bal.timings.get("peeled", 0),
    }


# -- flows no result may hold: below zero beyond rounding, non-finite --------------------------

@dataclass
class Screened:
    """Flows (indices) a solved balance holds that no result may: below minus the tolerance
    of the balance that fixed them, and non-finite without being merely undetermined."""

    negative: np.ndarray
    nonfinite: np.ndarray


NOTHING = Screened(np.zeros(0, np.int64), np.zeros(0, np.int64))


def screen_flows(c: Compiled, red, st, x: np.ndarray, rtol: float,
                 undetermined: np.ndarray | None = None) -> Screened:
    """Set rounding noise in x to exactly 0 (in place) and return what no result may hold.

    A computed flow within rtol times the scale of the balance that fixed it (the sum of
    |terms| of its matched row, row_scale) is rounding noise: 0. Below minus that it is
    negative. Non-finite flows count unless `undetermined` (a flow mask) marks them NaN by
    design. The scales are computed only when a flow is small enough to be in question: a
    bound of every row's scale screens the rest in O(flows)."""
    xa = np.abs(x)
    with np.errstate(over="ignore", invalid="ignore"):
        bound = scale_bound(c, xa)
        if not np.isfinite(bound):                  # a flow is not finite: find it
            bad = ~np.isfinite(x)
            if undetermined is not None:
                bad &= ~(undetermined & np.isnan(x))
            if bad.any():
                return Screened(NOTHING.negative, np.flatnonzero(bad))
            xa[np.isnan(x)] = 0.0
            bound = scale_bound(c, xa)
        cand = np.flatnonzero(x <= rtol * bound)    # negatives, small ones
    cand = cand[(x[cand] != 0) & (red.G_col[cand] >= 0)]
    if not len(cand):
        return NOTHING
    rows = flow_rows(red, st, cand)
    tol = np.zeros(len(cand))
    has = rows >= 0
    with np.errstate(over="ignore"):
        scale = row_scale(c, red, xa, rows[has])
    tol[has] = rtol * np.minimum(scale, np.finfo(float).max)
    v = x[cand]
    x[cand[np.abs(v) <= tol]] = 0.0
    return Screened(cand[v < -tol], NOTHING.nonfinite)


def runs_to_screen(c: Compiled, red, X: np.ndarray, rtol: float) -> np.ndarray:
    """Per row of X (runs x flows): whether screen_flows could find anything in it (a flow
    not finite, or small or negative enough to be in question by its bound, taken a hair
    larger so that no run it would screen is missed); the other runs need no screening.
    One product for all runs."""
    with np.errstate(over="ignore", invalid="ignore"):
        bound = scale_bound(c, np.abs(X)) * (1.0 + 1e-9)
        small = X <= (rtol * bound)[:, None]
    small &= X != 0
    small &= (red.G_col >= 0)[None, :]
    return ~np.isfinite(bound) | small.any(axis=1)


def scale_bound(c: Compiled, xa: np.ndarray):
    """An upper bound of every row's scale for flows |x| = xa (one run, or runs x flows):
    3 sum_f wmax[pair_f] |x_f| + the largest |stock change| (wmax: the largest layer factor
    of the flow's (carrier, unit) pair; a row holds each of its flows at most twice, and its
    constant part at most once more). Not finite if a flow is not."""
    weight = c.derive("pair_weight_of_flows",
                      lambda c: np.abs(c.pair_W).max(axis=1, initial=0.0)[c.pair])
    return 3.0 * (xa @ weight) + float(np.abs(c.stock).max(initial=0.0))


def flow_rows(red, st, idx: np.ndarray) -> np.ndarray:
    """The row of the reduced system that fixed each flow of idx: the row matched to the
    column its quantity follows (peeled singletons are matched to their row); -1 for
    constant flows and unmatched columns."""
    col = red.G_col[idx]
    out = np.full(len(idx), -1, dtype=np.int64)
    has = col >= 0
    out[has] = st.col_match[col[has]]
    return out


def _layer_unit(c: Compiled, layer: int) -> str:
    return "GJ" if c.layers[layer] == "energy" else "t"


def equation(c: Compiled, red, row: int) -> str:
    """A row of the reduced system in words: 'mass balance of node 'p' (file:line)'."""
    node, layer = red.row_node[row], red.row_layer[row]
    what = "balance" if red.row_kind[row] == 1 else "inflow"
    return f"{c.layers[layer]} {what} of node '{c.node_ids[node]}'{c.where_node(node)}"


def _storage_note(c: Compiled, red, row: int, x: np.ndarray) -> str:
    """For a storage node's balance with a stock change: what it stocks against what enters."""
    node, layer = red.row_node[row], red.row_layer[row]
    stock = c.stock[node, layer]
    if red.row_kind[row] != 1 or c.node_kind[node] != "storage" or stock <= 0:
        return ""
    inc_f, inc_l, w = c.incidence
    on = (c.head[inc_f] == node) & (inc_l == layer)
    inflow = float(np.dot(w[on], np.nan_to_num(x[inc_f[on]], nan=0.0)))
    unit = _layer_unit(c, layer)
    return (f" (storage '{c.node_ids[node]}' puts {stock:.6g} {unit} into stock but receives "
            f"only {inflow:.6g} {unit}: a stock cannot be filled with more than flows in)")


def negative_lines(c: Compiled, red, st, x: np.ndarray, idx: np.ndarray) -> list[str]:
    """One phrase per negative flow: its value and unit and the balance that forced it."""
    rows = flow_rows(red, st, idx)
    lines = []
    for f, row in zip(idx, rows):
        line = f"'{c.flow_ids[f]}'{c.where_flow(f)} = {x[f]:.6g} {c.unit[f]}"
        if row >= 0:
            line += f", forced by the {equation(c, red, row)}" + _storage_note(c, red, row, x)
        lines.append(line)
    return lines


def negative_error(c: Compiled, red, st, x: np.ndarray, idx: np.ndarray,
                   prefix: str = "") -> NegativeFlowError:
    """The flows the balances force below zero, each with the balance that forced it."""
    lines = negative_lines(c, red, st, x, idx[:8])
    more = f"; and {len(idx) - 8} more" if len(idx) > 8 else ""
    rows = flow_rows(red, st, idx)
    nodes = list(dict.fromkeys(c.node_ids[red.row_node[rows[rows >= 0]]]))
    return NegativeFlowError(
        f"{prefix}negative flow{'s' if len(idx) > 1 else ''}: " + "; ".join(lines) + more
        + ". Flows cannot be negative: the quantities, shares, recipes and stock changes fixed "
        "at these balances leave less than nothing for them. Check those values (a known "
        "output too large, a share or recipe ratio too high, a stock change beyond the "
        "inflow) or leave one of them unknown; measured data that do not close can be "
        "reconciled (flowgraph reconcile)",
        flows=list(c.flow_ids[idx]), nodes=nodes,
        values=dict(zip(c.flow_ids[idx], x[idx].tolist())), origin=c.origin_of_flow(idx[0]))


def nonfinite_flows_error(c: Compiled, idx: np.ndarray, prefix: str = "") -> NonFiniteError:
    """Flows whose quantity overflows the float range (or is undefined)."""
    nodes = np.unique(np.concatenate([c.tail[idx], c.head[idx]]))
    return NonFiniteError(
        f"{prefix}non-finite result: the balances give {c.flow_names(idx)} an infinite or "
        f"undefined quantity (it would overflow the largest number, about 1.8e308). Check the "
        f"known quantities, recipe ratios and stock changes that feed them: recipes multiply "
        f"along a chain, and shares near 1 in loops multiply what enters",
        flows=list(c.flow_ids[idx]), nodes=list(c.node_ids[nodes]),
        origin=c.origin_of_flow(idx[0]))


def overflow_error(c: Compiled, red, cols: np.ndarray) -> NonFiniteError:
    """The unknowns of the balance system whose solution overflows: the flows on them."""
    cols = np.unique(cols)
    in_cols = np.zeros(red.R.shape[1], dtype=bool)
    in_cols[cols] = True
    flows = np.flatnonzero((red.G_col >= 0) & in_cols[np.maximum(red.G_col, 0)])
    if len(flows):
        return nonfinite_flows_error(c, flows)
    nodes = np.unique(red.t_node[cols[cols < red.n_t]])
    return NonFiniteError(
        f"non-finite result: the inflow of node(s) {c.node_names(nodes)} would overflow the "
        f"largest number (about 1.8e308); check the magnitudes of the known quantities that "
        f"feed them, and shares near 1 in loops", nodes=list(c.node_ids[nodes]))
