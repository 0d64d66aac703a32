"""What is wrong with a balance system, in the user's terms: the errors that name the
under-determined flows, the loop that is singular, the balances that contradict each other;
the residual table per node and layer; counts of the system for reports and `check`."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import InconsistentError, SingularError, UnderdeterminedError, name_list
from .compiled import Compiled
from .specs import FREE, KNOWN, PER, SHARE


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


def residual_table(c: Compiled, x: np.ndarray) -> pd.DataFrame:
    """In, out, stock and residual (in - out - stock) per node and layer, with `closed`."""
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
    return pd.DataFrame({
        "node": c.node_ids[node], "layer": np.array(c.layers, dtype=object)[layer],
        "closed": c.closed.ravel()[keep], "in": inflow[keep], "out": outflow[keep],
        "stock": stock[keep], "residual": inflow[keep] - outflow[keep] - stock[keep],
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
