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
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from ..errors import SingularError
from .compiled import Compiled
from .diagnosis import (
    CONSISTENCY_RTOL,
    inconsistent_error,
    negative_error,
    nonfinite_flows_error,
    overflow_error,
    residual_table,
    row_scale,
    screen_flows,
    singular_error,
    underdetermined_error,
)
from .pattern import Structure, peel_singletons, structure
from .sparse import BlockSolver, SingularBlock, fingerprint, verify
from .specs import FREE, KNOWN, PER, SHARE
from .threads import blas_limit


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


@dataclass
class _Columns:
    """The unknowns z of the reduced system: node inflows that shares refer to (T), then the
    unknown flows; and the lookups from (node, layer) keys and flows to columns."""

    t_key: np.ndarray            # node * L + layer of each T column
    free_flow: np.ndarray        # flow index of each free column
    t_col_of_key: np.ndarray     # (nodes * L,): T column, -1 if none
    share_idx: np.ndarray
    share_layer: np.ndarray
    itype: type

    @property
    def n(self) -> int:
        return len(self.t_key) + len(self.free_flow)


def _columns(c: Compiled) -> _Columns:
    L = len(c.layers)
    share_idx = np.flatnonzero(c.spec == SHARE)
    share_layer = c.pair_primary[c.pair[share_idx]].astype(np.int32)
    t_mask = np.zeros(c.n_nodes * L, dtype=bool)
    t_mask[c.tail[share_idx] * L + share_layer] = True
    t_key = np.flatnonzero(t_mask)
    free_flow = np.flatnonzero(c.spec == FREE)
    nz = len(t_key) + len(free_flow)
    nrows_max = len(t_key) + int(c.closed.sum())
    itype = np.int32 if max(nz, nrows_max, c.n_nodes * L) < 2**31 - 1 else np.int64
    t_col_of_key = np.full(c.n_nodes * L, -1, dtype=itype)
    t_col_of_key[t_key] = np.arange(len(t_key))
    return _Columns(t_key, free_flow, t_col_of_key, share_idx, share_layer, itype)


def _flow_map(c: Compiled, z: _Columns):
    """x = G z + g per flow: the column each flow is proportional to (-1: constant), the
    factor, and the constant part; recipes resolved to the flow their chain ends at."""
    L = len(c.layers)
    nf = c.n_flows
    root, mult = resolve_recipes(c)
    own_col = np.full(nf, -1, dtype=z.itype)
    own_coef = np.zeros(nf)
    own_g = np.zeros(nf)
    known = c.spec == KNOWN
    own_g[known] = c.param[known]
    if len(z.share_idx):
        keys = c.tail[z.share_idx] * L + z.share_layer
        own_col[z.share_idx] = z.t_col_of_key[keys]
        own_coef[z.share_idx] = (c.param[z.share_idx]
                                 / c.pair_W[c.pair[z.share_idx], z.share_layer])
    own_col[z.free_flow] = len(z.t_key) + np.arange(len(z.free_flow))
    own_coef[z.free_flow] = 1.0
    return own_col[root], own_coef[root] * mult, own_g[root] * mult


def reduce_system(c: Compiled) -> Reduced:
    """Assemble the reduced system from the compiled arrays (no per-flow Python loop)."""
    L = len(c.layers)
    z = _columns(c)
    G_col, G_coef, g = _flow_map(c, z)
    t_key = z.t_key
    # rows: one per T column (same number), then one per closed (node, layer) with flows
    inc_f, inc_l, w = c.incidence
    head_key = c.head[inc_f] * L + inc_l
    tail_key = c.tail[inc_f] * L + inc_l
    touched = np.zeros(c.n_nodes * L, dtype=bool)
    touched[head_key] = True
    touched[tail_key] = True
    bal_key = np.flatnonzero(c.closed.ravel() & (touched | (c.stock.ravel() != 0)))
    del touched
    bal_row_of_key = np.full(c.n_nodes * L, -1, dtype=z.itype)
    bal_row_of_key[bal_key] = len(t_key) + np.arange(len(bal_key))
    nrows = len(t_key) + len(bal_key)
    has_t = z.t_col_of_key >= 0
    rhs = np.zeros(nrows)
    rhs[bal_row_of_key[bal_key]] = c.stock.ravel()[bal_key]
    # a node whose inflow is a column T closes its balance as T - sum(w x_out) = stock (the
    # T row says sum(w x_in) = T): one entry instead of one per inflow
    with_t = bal_key[has_t[bal_key]]
    rows = [np.arange(len(t_key), dtype=z.itype), bal_row_of_key[with_t]]
    cols = [np.arange(len(t_key), dtype=z.itype), z.t_col_of_key[with_t]]
    vals = [np.ones(len(t_key)), np.ones(len(with_t))]

    def add(row, sel, sign):
        f = inc_f[sel]
        coef = sign * w[sel]
        var = G_col[f] >= 0
        rows.append(row[var])
        cols.append(G_col[f][var])
        vals.append(coef[var] * G_coef[f][var])
        return -np.bincount(row, weights=coef * g[f], minlength=nrows)

    t_row = z.t_col_of_key[head_key]
    on = t_row >= 0
    rhs += add(t_row[on], on, -1.0)
    b_row = bal_row_of_key[head_key]
    on = (b_row >= 0) & ~has_t[head_key]
    rhs += add(b_row[on], on, 1.0)
    del head_key, t_row
    rhs += _outflow_entries(bal_row_of_key[tail_key], tail_key, inc_f, w, G_col, G_coef, z,
                            bal_key, nrows, (rows, cols, vals), add)
    del tail_key
    R = sp.coo_matrix((_pop_concat(vals), (_pop_concat(rows), _pop_concat(cols))),
                      shape=(nrows, z.n)).tocsr()
    R.eliminate_zeros()
    R.sum_duplicates()
    row_kind = np.concatenate([np.zeros(len(t_key), np.int8), np.ones(len(bal_key), np.int8)])
    t_node, t_layer = np.divmod(t_key, L)
    row_node = np.concatenate([t_node, bal_key // L])
    row_layer = np.concatenate([t_layer, bal_key % L])
    return Reduced(R, rhs, G_col, G_coef, g, t_node, t_layer, z.free_flow, row_kind, row_node,
                   row_layer)


def _outflow_entries(b_row, tail_key, inc_f, w, G_col, G_coef, z, bal_key, nrows, parts, add):
    """Outflows on their tail's balance row; shares of the same node's own inflow T are
    summed into one entry per row first. Returns the right-hand side part."""
    rows, cols, vals = parts
    on = b_row >= 0
    own_t = on & (G_col[inc_f] == z.t_col_of_key[tail_key]) & (G_col[inc_f] >= 0)
    agg = np.bincount(b_row[own_t], weights=-w[own_t] * G_coef[inc_f[own_t]], minlength=nrows)
    agg_rows = np.flatnonzero(agg)
    rows.append(agg_rows.astype(z.itype))
    cols.append(z.t_col_of_key[bal_key[agg_rows - len(z.t_key)]])
    vals.append(agg[agg_rows])
    rest = on & ~own_t
    return add(b_row[rest], rest, -1.0)


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
    undetermined: np.ndarray | None = None  # flow mask: left NaN by design (strict=False)
    peel: object = None                 # the unknowns peeled off before the core was solved
    square: tuple | None = None         # (rows, columns) of the core the solver factorised


@np.errstate(over="ignore", invalid="ignore")   # overflow is found by name, not warned of
def solve_balance(c: Compiled, *, cache: dict | None = None, rtol: float = CONSISTENCY_RTOL,
                  strict: bool = True, diagnose: bool = False) -> Balance:
    """Solve the balance system of `c`; raises a BalanceError subclass naming what is wrong.

    Unknowns that appear in one equation only (a loss fixed by its node's balance) are peeled
    off first; the core is analysed (what is under- and over-determined) and solved block by
    block; the peeled unknowns follow by back-substitution. A flow below minus rtol times the
    scale of the balance that fixed it, or non-finite, is refused (NegativeFlowError,
    NonFiniteError); within that tolerance it is rounding noise, set to 0. With strict=False
    flows nothing fixes are left NaN (marked in `undetermined`); with diagnose=True nothing
    but a singular system raises: the system is returned as far as it can be solved, for
    `check`, which screens it itself.
    """
    t0 = time.perf_counter()
    red = reduce_system(c)
    t1 = time.perf_counter()
    R, m, nz = red.R, *red.R.shape
    peel = peel_singletons(R)
    core = R[peel.core_rows][:, peel.core_cols] if peel.n_peeled else R
    st = lift_structure(structure(core), peel, m, nz)
    t2 = time.perf_counter()
    if strict and not diagnose and st.under_cols.any():
        raise underdetermined_error(c, red, st)
    cols = np.flatnonzero(~st.under_cols & (st.col_match >= 0) & _in(peel.core_cols, nz))
    rows = st.col_match[cols]
    z = np.full(nz, np.nan)
    solver = None
    if len(cols):
        z[cols], solver = _solve_cached(c, red, R[rows][:, cols], red.r[rows], cols, cache)
    peel.back_substitute(R, red.r, z)
    t3 = time.perf_counter()
    x = red.flows_of(z)
    surplus = np.flatnonzero((st.row_match < 0) & ~st.under_rows)
    resid = R[surplus] @ np.nan_to_num(z, nan=0.0) - red.r[surplus] if len(surplus) \
        else np.zeros(0)
    stats = solver.stats if solver is not None else None
    undetermined = _undetermined_flows(red, peel, R, cols, nz) \
        if not strict and np.isnan(x).any() else None
    bal = Balance(x, z, red, st, solver if cache is not None else None, resid, surplus,
                  {"assemble": t1 - t0, "structure": t2 - t1, "solve": t3 - t2,
                   "peeled": peel.n_peeled}, stats, undetermined, peel, (rows, cols))
    if diagnose:
        return bal
    screened = screen_flows(c, red, st, x, rtol, undetermined)
    if len(screened.nonfinite):
        raise nonfinite_flows_error(c, screened.nonfinite)
    if len(surplus):
        table = residual_table(c, x)
        scale = row_scale(c, red, x, surplus)
        bad = np.abs(resid) > rtol * np.maximum(scale, 1e-300)
        if bad.any():
            raise inconsistent_error(c, red, surplus[bad], resid[bad], table)
    if len(screened.negative):
        raise negative_error(c, red, st, x, screened.negative)
    return bal


def _undetermined_flows(red: Reduced, peel, R, solved: np.ndarray, nz: int) -> np.ndarray:
    """Flow mask of what the balances leave undetermined: flows on a column that was neither
    solved nor peeled from a row whose other columns are all determined (the pattern alone
    decides, so that an overflow's NaN is never mistaken for an unknown)."""
    known = _in(solved, nz)
    for rows, cols, _ in reversed(peel.rounds):
        pattern = abs(R[rows]).sign()
        others = pattern @ (~known).astype(float) - 1.0      # the column itself is unknown
        known[cols] = others <= 0
    return (red.G_col >= 0) & ~known[np.maximum(red.G_col, 0)]


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
        raise singular_error(c, red, cols[big])


def _solve_cached(c, red, A, b, cols, cache):
    """_solve_verified with the factorisation of an equal matrix held in `cache` (one
    balance factorisation held, the value one apart)."""
    key = fingerprint(A) if cache is not None else None
    y, solver = _solve_verified(c, red, A, b, cols, cache.get(key) if cache is not None else None)
    if cache is not None:
        for old in [k for k in cache if not (isinstance(k, tuple) and k[:1] == ("value",))]:
            del cache[old]
        cache[key] = solver
    return y, solver


def _solve_verified(c, red, A, b, cols, solver=None):
    """Solve A y = b by the block solver (a cached one if given), verify the residual, and if
    it fails refactorise: fresh, then with pivoting everywhere; name the singular blocks when
    nothing passes. BLAS on one thread: the dense blocks are small (threads.py)."""
    with blas_limit():
        return _attempts(c, red, A, b, cols, solver)


def _attempts(c, red, A, b, cols, solver):
    attempts = ([solver] if solver is not None else []) + ["fast", "robust"]
    for attempt in attempts:
        try:
            if attempt in ("fast", "robust"):
                solver = BlockSolver(A, robust=attempt == "robust")
            y = solver.solve(b)
        except SingularBlock as exc:
            raise singular_error(c, red, cols[exc.columns]) from None
        bad = verify(A, y, b)
        if bad is None:
            _check_amplification(c, red, y, b, cols)
            return y, solver
    over = _overflowing(solver, A, b)
    if len(over):
        raise overflow_error(c, red, cols[over])
    blocks = solver.diagnose(A)
    if blocks:
        raise singular_error(c, red, cols[np.concatenate(blocks)])
    raise SingularError(f"the balance system is numerically singular (relative residual "
                        f"{bad:.2e}); check shares near 1 in loops")


def _overflowing(solver, A, b) -> np.ndarray:
    """Unknowns whose solution is beyond the float range (positions in A's columns): the
    system solved for b scaled to 1 verifies, but the solution scaled back overflows; or the
    right-hand side itself is not finite (known quantities whose sum overflows)."""
    if not np.isfinite(b).all():
        return np.flatnonzero(~np.isfinite(b))
    s = float(np.max(np.abs(b), initial=0.0))
    if s == 0:
        return np.zeros(0, np.int64)
    try:
        y = solver.solve(b / s)
    except SingularBlock:
        return np.zeros(0, np.int64)
    if not np.isfinite(y).all() or verify(A, y, b / s) is not None:
        return np.zeros(0, np.int64)
    return np.flatnonzero(~np.isfinite(y * s))
