"""Close the quantity balances: flow quantities from specifications and node balances.

Every specification is a linear equation (DESIGN.md section 4). Known quantities, transfer
coefficients and recipes each define one flow, so they are substituted out first:

    x = G z + g,   z = [node inflows T(n, layer) that shares refer to; unknown flows]

(a share flow is s / w * T(tail, layer); a recipe is its ratio times the flow it refers to,
resolved through chains by pointer jumping; a known flow is a constant). What remains is one
row per node inflow, T - sum(w * x_in) = 0, and one per closed node layer,
sum(w * x_in) - sum(w * x_out) = stock change. For an input-output-like network that reduced
system is exactly the node-level matrix (I - M) T = c, the smallest system there is.

It is assembled from arrays in one go, its structure analysed (what is under-determined,
what over-determined), and its square part solved block by block (sparse.BlockSolver).
"""

from __future__ import annotations

import time
import zlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import InconsistentError, SingularError, UnderdeterminedError, name_list
from .compiled import FREE, KNOWN, PER, SHARE, Compiled
from .sparse import BlockSolver, SingularBlock, Structure, peel_singletons, structure

#: relative tolerance of a surplus equation's residual before data count as contradictory
CONSISTENCY_RTOL = 1e-9


@dataclass
class Reduced:
    """The reduced balance system R z = r and how flows follow from z (x = G z + g)."""

    R: sp.csr_matrix
    r: np.ndarray
    G_col: np.ndarray        # per flow: column of z it is proportional to, -1 if constant
    G_coef: np.ndarray       # per flow: the factor
    g: np.ndarray            # per flow: the constant part
    t_node: np.ndarray       # per T column: node index
    t_layer: np.ndarray      # per T column: layer index
    free_flow: np.ndarray    # per free column: flow index
    row_kind: np.ndarray     # per row: 0 = node inflow definition, 1 = balance
    row_node: np.ndarray
    row_layer: np.ndarray

    @property
    def n_t(self) -> int:
        return len(self.t_node)

    def flows_of(self, z: np.ndarray) -> np.ndarray:
        """Flow quantities x = G z + g for a solution z (1-D or 2-D)."""
        has = self.G_col >= 0
        if z.ndim == 1:
            x = self.g.copy()
            x[has] += self.G_coef[has] * z[self.G_col[has]]
            return x
        x = np.repeat(self.g[:, None], z.shape[1], axis=1)
        x[has] += self.G_coef[has, None] * z[self.G_col[has]]
        return x


def constant_incidence(c: Compiled, red: Reduced) -> sp.csr_matrix:
    """N (rows x flows) with r = r_stock - N g: how each flow's constant part enters the
    reduced rows, by the rules of reduce_system: -w on the node-inflow row of its head; +w
    on its head's balance row unless that node's inflow is a column (then the balance row
    holds T instead); -w on its tail's balance row. For re-solving with new known values."""
    L = len(c.layers)
    inc_f, inc_l, w = c.incidence
    n_rows = red.R.shape[0]
    keys = red.row_node.astype(np.int64) * L + red.row_layer
    t_row = np.full(c.n_nodes * L, -1, dtype=np.int64)
    b_row = np.full(c.n_nodes * L, -1, dtype=np.int64)
    t_row[keys[red.row_kind == 0]] = np.flatnonzero(red.row_kind == 0)
    b_row[keys[red.row_kind == 1]] = np.flatnonzero(red.row_kind == 1)
    head = c.head[inc_f].astype(np.int64) * L + inc_l
    tail = c.tail[inc_f].astype(np.int64) * L + inc_l
    has_t = t_row >= 0
    rows, cols, vals = [], [], []
    for row_of, key, sign, keep in ((t_row, head, -1.0, None), (b_row, head, 1.0, ~has_t[head]),
                                    (b_row, tail, -1.0, None)):
        r = row_of[key]
        on = (r >= 0) if keep is None else (r >= 0) & keep
        rows.append(r[on])
        cols.append(inc_f[on])
        vals.append(sign * w[on])
    return sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                         shape=(n_rows, c.n_flows))


def _pop_concat(parts: list) -> np.ndarray:
    """Concatenate and empty the list, so that the pieces are freed as soon as copied."""
    out = np.concatenate(parts)
    parts.clear()
    return out


def resolve_recipes(c: Compiled):
    """For each flow: the non-recipe flow its recipe chain ends at, and the product of ratios.

    Pointer jumping: log2(depth) vectorised steps. A chain that loops is an error."""
    n = c.n_flows
    parent = np.where(c.spec == PER, c.per_index, np.arange(n))
    mult = np.where(c.spec == PER, c.param, 1.0)
    for _ in range(64):
        new_parent = parent[parent]
        if np.array_equal(new_parent, parent):
            break
        mult = mult * mult[parent]
        parent = new_parent
    looping = c.spec[parent] == PER
    if looping.any():
        idx = np.flatnonzero(looping)
        raise SingularError(f"recipes refer to each other in a loop, so none of them is fixed: "
                            f"{c.flow_names(idx)}", flows=list(c.flow_ids[idx]))
    return parent, mult


def reduce_system(c: Compiled) -> Reduced:
    """Assemble the reduced system from the compiled arrays (no per-flow Python loop)."""
    L = len(c.layers)
    nf = c.n_flows
    root, mult = resolve_recipes(c)

    # z columns: node inflows referred to by shares, then free flows
    share_idx = np.flatnonzero(c.spec == SHARE)
    share_layer = c.pair_primary[c.pair[share_idx]].astype(np.int32)
    t_mask = np.zeros(c.n_nodes * L, dtype=bool)
    t_mask[c.tail[share_idx] * L + share_layer] = True
    t_key = np.flatnonzero(t_mask)
    t_node, t_layer = np.divmod(t_key, L)
    free_flow = np.flatnonzero(c.spec == FREE)
    nz = len(t_key) + len(free_flow)
    nrows_max = len(t_key) + int(c.closed.sum())
    itype = np.int32 if max(nz, nrows_max, c.n_nodes * L) < 2**31 - 1 else np.int64
    t_col_of_key = np.full(c.n_nodes * L, -1, dtype=itype)
    t_col_of_key[t_key] = np.arange(len(t_key))
    col_of_flow = np.full(nf, -1, dtype=itype)
    col_of_flow[free_flow] = len(t_key) + np.arange(len(free_flow))

    # each flow's own (column, coefficient, constant) before recipes
    own_col = np.full(nf, -1, dtype=itype)
    own_coef = np.zeros(nf)
    own_g = np.zeros(nf)
    known = c.spec == KNOWN
    own_g[known] = c.param[known]
    if len(share_idx):
        keys = c.tail[share_idx] * L + share_layer
        own_col[share_idx] = t_col_of_key[keys]
        own_coef[share_idx] = c.param[share_idx] / c.pair_W[c.pair[share_idx], share_layer]
    own_col[free_flow] = col_of_flow[free_flow]
    own_coef[free_flow] = 1.0
    G_col = own_col[root]
    G_coef = own_coef[root] * mult
    g = own_g[root] * mult
    del own_col, own_coef, own_g, root, mult

    # rows: one per T column (same number), then one per closed (node, layer) with flows
    inc_f, inc_l, w = c.incidence
    head_key = c.head[inc_f] * L + inc_l
    tail_key = c.tail[inc_f] * L + inc_l
    touched = np.zeros(c.n_nodes * L, dtype=bool)
    touched[head_key] = True
    touched[tail_key] = True
    bal_key = np.flatnonzero(c.closed.ravel() & (touched | (c.stock.ravel() != 0)))
    bal_row_of_key = np.full(c.n_nodes * L, -1, dtype=itype)
    bal_row_of_key[bal_key] = len(t_key) + np.arange(len(bal_key))
    nrows = len(t_key) + len(bal_key)
    has_t = t_col_of_key >= 0
    rhs = np.zeros(nrows)
    rhs[bal_row_of_key[bal_key]] = c.stock.ravel()[bal_key]
    # a node whose inflow is a column T closes its balance as T - sum(w x_out) = stock (the
    # T row says sum(w x_in) = T): one entry instead of one per inflow
    with_t = bal_key[has_t[bal_key]]
    rows = [np.arange(len(t_key), dtype=itype), bal_row_of_key[with_t]]
    cols = [np.arange(len(t_key), dtype=itype), t_col_of_key[with_t]]
    vals = [np.ones(len(t_key)), np.ones(len(with_t))]

    def add(row, sel, sign):
        f = inc_f[sel]
        coef = sign * w[sel]
        var = G_col[f] >= 0
        rows.append(row[var])
        cols.append(G_col[f][var])
        vals.append(coef[var] * G_coef[f][var])
        return -np.bincount(row, weights=coef * g[f], minlength=nrows)

    t_row = t_col_of_key[head_key]
    on = t_row >= 0
    rhs += add(t_row[on], on, -1.0)
    b_row = bal_row_of_key[head_key]
    on = (b_row >= 0) & ~has_t[head_key]
    rhs += add(b_row[on], on, 1.0)
    del head_key, t_row
    b_row = bal_row_of_key[tail_key]
    on = b_row >= 0
    # outflows that are shares of the same node's inflow all land on its own T: sum them first
    own_t = on & (G_col[inc_f] == t_col_of_key[tail_key]) & (G_col[inc_f] >= 0)
    agg = np.bincount(b_row[own_t], weights=-w[own_t] * G_coef[inc_f[own_t]], minlength=nrows)
    agg_rows = np.flatnonzero(agg)
    rows.append(agg_rows.astype(itype))
    cols.append(t_col_of_key[bal_key[agg_rows - len(t_key)]])
    vals.append(agg[agg_rows])
    rest = on & ~own_t
    rhs += add(b_row[rest], rest, -1.0)
    del tail_key, b_row, on, own_t, rest, touched
    R = sp.coo_matrix((_pop_concat(vals), (_pop_concat(rows), _pop_concat(cols))),
                      shape=(nrows, nz)).tocsr()
    R.eliminate_zeros()
    R.sum_duplicates()
    row_kind = np.concatenate([np.zeros(len(t_key), np.int8), np.ones(len(bal_key), np.int8)])
    row_node = np.concatenate([t_node, bal_key // L])
    row_layer = np.concatenate([t_layer, bal_key % L])
    return Reduced(R, rhs, G_col, G_coef, g, t_node, t_layer, free_flow, row_kind, row_node,
                   row_layer)


@dataclass
class Balance:
    """Solved quantities and how they were obtained."""

    x: np.ndarray                       # flow quantities in flow units
    z: np.ndarray
    reduced: Reduced
    structure: Structure
    solver: BlockSolver | None          # kept when a cache was given (for reuse), else None
    surplus_residual: np.ndarray        # residual of each surplus (unmatched) row
    surplus_rows: np.ndarray
    timings: dict = field(default_factory=dict)
    stats: object = None                # the block solver's SolveStats


def solve_balance(c: Compiled, *, cache: dict | None = None, rtol: float = CONSISTENCY_RTOL,
                  strict: bool = True) -> Balance:
    """Solve the balance system of `c`; raises a BalanceError subclass naming what is wrong.

    Unknowns that appear in one equation only (a loss fixed by its node's balance) are peeled
    off first; the core is analysed (what is under- and over-determined) and solved block by
    block; the peeled unknowns follow by back-substitution. With strict=False an under-
    determined or inconsistent system is returned as far as it can be solved, for `check`.
    """
    t0 = time.perf_counter()
    red = reduce_system(c)
    t1 = time.perf_counter()
    R, m, nz = red.R, *red.R.shape
    peel = peel_singletons(R)
    core = R[peel.core_rows][:, peel.core_cols] if peel.n_peeled else R
    st = lift_structure(structure(core), peel, m, nz)
    t2 = time.perf_counter()
    if strict and st.under_cols.any():
        raise _underdetermined(c, red, st)
    cols = np.flatnonzero(~st.under_cols & (st.col_match >= 0) & _in(peel.core_cols, nz))
    rows = st.col_match[cols]
    z = np.full(nz, np.nan)
    solver = None
    if len(cols):
        A = R[rows][:, cols]
        key = _fingerprint(A) if cache is not None else None
        solver = cache.get(key) if cache is not None else None
        z[cols], solver = _solve_verified(c, red, A, red.r[rows], cols, solver)
        if cache is not None:
            cache.clear()
            cache[key] = solver
        del A
    peel.back_substitute(R, red.r, z)
    t3 = time.perf_counter()
    x = red.flows_of(z)
    surplus = np.flatnonzero((st.row_match < 0) & ~st.under_rows)
    resid = R[surplus] @ np.nan_to_num(z, nan=0.0) - red.r[surplus] if len(surplus) \
        else np.zeros(0)
    stats = solver.stats if solver is not None else None
    bal = Balance(x, z, red, st, solver if cache is not None else None, resid, surplus,
                  {"assemble": t1 - t0, "structure": t2 - t1, "solve": t3 - t2,
                   "peeled": peel.n_peeled}, stats)
    if strict and len(surplus):
        table = residual_table(c, x)
        scale = _row_scale(c, red, x, surplus)
        bad = np.abs(resid) > rtol * np.maximum(scale, 1e-300)
        if bad.any():
            raise _inconsistent(c, red, surplus[bad], resid[bad], table)
    return bal


def _in(idx: np.ndarray, n: int) -> np.ndarray:
    mask = np.zeros(n, dtype=bool)
    mask[idx] = True
    return mask


def lift_structure(st: Structure, peel, m: int, n: int) -> Structure:
    """The core's structure in the numbering of the whole system; peeled rows are matched to
    their peeled columns (and under-determined where they depend on under-determined ones)."""
    if not peel.n_peeled:
        return st
    rr, cc = peel.core_rows, peel.core_cols
    itype = np.int32 if max(m, n) < 2**31 - 1 else np.int64
    row_match = np.full(m, -1, dtype=itype)
    col_match = np.full(n, -1, dtype=itype)
    ok = st.row_match >= 0
    row_match[rr[ok]] = cc[st.row_match[ok]]
    col_match[cc[st.col_match >= 0]] = rr[st.col_match[st.col_match >= 0]]
    for rows, cols, _ in peel.rounds:
        row_match[rows], col_match[cols] = cols, rows
    masks = []
    for core_mask, index, size in ((st.under_cols, cc, n), (st.under_rows, rr, m),
                                   (st.over_rows, rr, m), (st.over_cols, cc, n)):
        full = np.zeros(size, dtype=bool)
        full[index[core_mask]] = True
        masks.append(full)
    under_cols, under_rows, over_rows, over_cols = masks
    return Structure(row_match, col_match, under_cols, under_rows, over_rows, over_cols)


def _fingerprint(A) -> tuple:
    """A cheap key of a sparse matrix for the factorisation cache (CRC32 of its arrays). A
    collision cannot give a wrong answer: every solve is verified, and a cached solver whose
    solution fails is replaced."""
    A = sp.csr_matrix(A)
    return (A.shape, A.nnz) + tuple(zlib.crc32(np.ascontiguousarray(a).view(np.uint8))
                                    for a in (A.indptr, A.indices, A.data))


#: a solution this many times larger than the data: a loop passing on essentially all it receives
MAX_AMPLIFICATION = 1e12


def _check_amplification(c, red, y, b, cols) -> None:
    """A verified solution can still be meaningless: a loop that passes on all but 1e-15 of
    what it receives is singular in all but rounding, and its 'solution' is rounding noise
    blown up. Name the unknowns that grew beyond MAX_AMPLIFICATION times the data."""
    scale = np.max(np.abs(b), initial=0.0)
    if scale == 0:
        return
    big = np.flatnonzero(np.abs(y) > MAX_AMPLIFICATION * scale)
    if len(big):
        raise _singular(c, red, cols[big])


def _solve_verified(c, red, A, b, cols, solver=None):
    """Solve A y = b by the block solver (a cached one if given), verify the residual, and if
    it fails refactorise: fresh, then with pivoting everywhere; name the singular blocks when
    nothing passes."""
    attempts = ([solver] if solver is not None else []) + ["fast", "robust"]
    for attempt in attempts:
        try:
            if attempt in ("fast", "robust"):
                solver = BlockSolver(A, robust=attempt == "robust")
            y = solver.solve(b)
        except SingularBlock as exc:
            raise _singular(c, red, cols[exc.columns]) from None
        bad = _verify(A, y, b)
        if bad is None:
            _check_amplification(c, red, y, b, cols)
            return y, solver
    blocks = solver.diagnose(A)
    if blocks:
        raise _singular(c, red, cols[np.concatenate(blocks)])
    raise SingularError(f"the balance system is numerically singular (relative residual "
                        f"{bad:.2e}); check shares near 1 in loops")


def _verify(A, z, r, rtol: float = 1e-8, floor: float = 1e-12) -> float | None:
    """The worst relative residual of a solve if it is too large to trust, else None. Row i
    passes when |A z - r|_i <= rtol * (|A| |z| + |r|)_i + floor * max over rows of the same:
    each row against the size of its own terms, with rounding noise of the largest rows
    allowed on rows whose exact value is zero."""
    res = np.abs(A @ z - r)
    scale = np.abs(A) @ np.abs(z) + np.abs(r)
    allowed = rtol * scale + floor * np.max(scale, initial=0.0)
    if np.all(res <= allowed):
        return None
    worst = res / np.maximum(scale, 1e-300)
    return float(np.max(np.where(np.isfinite(worst), worst, np.inf)))


def _row_scale(c: Compiled, red: Reduced, x: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Sum of |terms| of each row, the yardstick a residual is measured against."""
    return _row_terms(c, red, np.abs(x))[rows] + np.abs(red.r[rows])


def _row_terms(c: Compiled, red: Reduced, xa: np.ndarray) -> np.ndarray:
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


def undetermined(bal: Balance) -> np.ndarray:
    """Indices of flows the balances leave undetermined (NaN quantities)."""
    return np.flatnonzero(np.isnan(bal.x))


def _underdetermined(c: Compiled, red: Reduced, st: Structure) -> UnderdeterminedError:
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


def _singular(c: Compiled, red: Reduced, cols: np.ndarray) -> SingularError:
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


def _inconsistent(c, red, rows, resid, table) -> InconsistentError:
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


def describe_structure(c: Compiled, bal: Balance) -> dict:
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
