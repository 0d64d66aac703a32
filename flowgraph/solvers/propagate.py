"""Propagate additive attributes (cost by category, tce, CO2, ...) along the solved flows.

Value enters on flows from sources (quantity x price, x standard-coal coefficient, x emission
factor) and as a node's own added amounts. At each node what enters is allocated to its
outputs by the node's allocation key (mass share among material outputs by default, as MFCA
does; or energy, economic value, fixed shares); waste-management cost goes to the negative
products only. With loops this is the linear system

    A = B + K A,   (I - K) A = B

over node inflows A (one column per attribute), K[n, m] the share of m's value passed to n.
All attributes are solved with one factorisation; flow values are then read off A.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg
import scipy.sparse as sp

from ..errors import AllocationError, NonFiniteError, SingularError
from ..model.schema import COST_CATEGORIES
from .balance import CONSISTENCY_RTOL
from .compiled import ALLOC_CODES, LAYER_KEY, Compiled
from .sparse import BlockSolver, SingularBlock, fingerprint, verify

#: the attributes every result carries, in column order
ATTRIBUTES = ("cost_material", "cost_energy", "cost_system", "cost_waste", "tce", "co2")
#: the cost attribute each cost category feeds
CATEGORY_ATTRIBUTE = dict(zip(COST_CATEGORIES, ATTRIBUTES[:4]))
COST_ATTRIBUTES = ATTRIBUTES[:4]


@dataclass
class Origins:
    """Where value enters, one column per attribute.

    flow: amounts carried by flows on top of what they are allocated (purchases from sources),
          (flows, k), a dense array or a scipy.sparse matrix (mostly zeros: use sparse);
    node: a node's own amounts, allocated by its key to all its outputs, (nodes, k);
    negative: a node's own amounts allocated to its negative products only (waste
          management), (nodes, k).
    """

    names: tuple[str, ...]
    flow: np.ndarray
    node: np.ndarray
    negative: np.ndarray


@dataclass
class Propagation:
    """Propagated values: per flow, and per node what entered, left and stayed."""

    names: tuple[str, ...]
    flow: np.ndarray       # (flows, k)
    node_in: np.ndarray    # (nodes, k): inflows, own added amounts, purchases put on outflows
    node_out: np.ndarray   # (nodes, k)
    retained: np.ndarray   # (nodes, k): in - out; sinks absorb, storage holds stock
    key: np.ndarray        # (flows,) allocation share of each flow at its source node


def default_origins(c: Compiled, x: np.ndarray) -> Origins:
    """Purchases priced on flows from sources, node costs, own CO2 and tce (ATTRIBUTES)."""
    k = len(ATTRIBUTES)
    purchase = np.flatnonzero(c.node_kind[c.tail] == "source")
    xp = x[purchase]
    pair = c.pair[purchase]
    rows = np.concatenate([purchase] * 3)
    cols = np.concatenate([c.pair_category[pair].astype(np.int64),
                           np.full(len(purchase), ATTRIBUTES.index("tce")),
                           np.full(len(purchase), ATTRIBUTES.index("co2"))])
    vals = np.concatenate([xp * np.nan_to_num(c.prices(purchase), nan=0.0),
                           xp * c.factor("tce", purchase), xp * c.factor("co2", purchase)])
    keep = vals != 0
    flow = sp.csc_matrix((vals[keep], (rows[keep], cols[keep])), shape=(c.n_flows, k))
    node = np.zeros((c.n_nodes, k))
    for i, cat in enumerate(COST_CATEGORIES):
        if cat != "waste_management":
            node[:, ATTRIBUTES.index(CATEGORY_ATTRIBUTE[cat])] = c.node_costs[:, i]
    node[:, ATTRIBUTES.index("tce")] = c.node_tce
    node[:, ATTRIBUTES.index("co2")] = c.node_co2
    negative = np.zeros((c.n_nodes, k))
    negative[:, ATTRIBUTES.index("cost_waste")] = c.node_costs[:, COST_CATEGORIES.index("waste_management")]
    return Origins(ATTRIBUTES, flow, node, negative)


def allocation_keys(c: Compiled, x: np.ndarray, negative: bool = True):
    """Per flow: its share of its source node's value, and of the node's waste-management
    cost (negative products only; None when `negative` is False); per node: the total key
    weight of its outputs, and of its negative outputs."""
    code = c.allocation[c.tail]
    weight = np.zeros(c.n_flows)
    for name, layer in (("mass", "mass"), ("energy", "energy")):
        sel = np.flatnonzero(code == ALLOC_CODES[name])
        weight[sel] = c.weight(c.layer_index(layer), sel) * x[sel]
    sel = np.flatnonzero(code == ALLOC_CODES["value"])
    weight[sel] = np.nan_to_num(c.prices(sel), nan=0.0) * x[sel]
    sel = np.flatnonzero(code == ALLOC_CODES["fixed"])
    if len(sel):
        weight[sel] = np.nan_to_num(c.allocation_share[sel], nan=0.0)
    sel = np.flatnonzero(code >= LAYER_KEY)
    weight[sel] = c.pair_W[c.pair[sel], code[sel] - LAYER_KEY] * x[sel]
    del code, sel
    np.nan_to_num(weight, copy=False, nan=0.0)
    # a storage node keeps the part of its value that stays in stock
    total = np.bincount(c.tail, weights=weight, minlength=c.n_nodes) + _stock_weight(c)
    neg = np.flatnonzero(c.negative)
    neg_total = np.bincount(c.tail[neg], weights=weight[neg], minlength=c.n_nodes)
    neg_key = None
    if negative:
        neg_key = np.zeros(c.n_flows)
        d = neg_total[c.tail[neg]]
        neg_key[neg] = np.divide(weight[neg], d, out=np.zeros(len(neg)), where=d > 0)
    # key = weight / total at the tail, in place, in slices (no full-length temporaries)
    step = 1 << 20
    for lo in range(0, c.n_flows, step):
        d = total[c.tail[lo:lo + step]]
        part = weight[lo:lo + step]
        np.divide(part, d, out=part, where=d > 0)
        part[d <= 0] = 0.0
    return weight, neg_key, total, neg_total


def _stock_weight(c: Compiled) -> np.ndarray:
    out = np.zeros(c.n_nodes)
    for name in ("mass", "energy"):
        sel = c.allocation == ALLOC_CODES[name]
        out[sel] = np.maximum(c.stock[sel, c.layer_index(name)], 0.0)
    sel = np.flatnonzero(c.allocation >= LAYER_KEY)
    out[sel] = np.maximum(c.stock[sel, c.allocation[sel] - LAYER_KEY], 0.0)
    return out


@np.errstate(over="ignore", invalid="ignore")   # overflow is found by name, not warned of
def propagate(c: Compiled, x: np.ndarray, origins: Origins | None = None, *,
              cache: dict | None = None, rtol: float = CONSISTENCY_RTOL) -> Propagation:
    """Solve (I - K) A = B for all attributes at once and read off the flow values.

    Column by column where arrays are flows x attributes, so that memory stays at one such
    array (the result) plus one column of temporaries. A node no value is allocated to (a
    source) holds exactly its own amounts; what a node retains within rtol of its throughput
    is rounding noise, set to 0; a non-finite value raises NonFiniteError by name."""
    origins = origins if origins is not None else default_origins(c, x)
    names = tuple(origins.names)
    k = len(names)
    n = c.n_nodes
    negative = np.asarray(origins.negative, dtype=float)
    has_negative = np.abs(negative).sum(axis=0) > 0
    key, neg_key, total, neg_total = allocation_keys(c, x, negative=bool(has_negative.any()))
    _check_allocatable(c, origins, neg_total)
    inj = sp.csc_matrix(origins.flow)          # purchases: few rows carry anything
    B = np.array(origins.node, dtype=float, copy=True)
    for j in range(k):
        r, v = _column(inj, j)
        B[:, j] += np.bincount(c.head[r], weights=v, minlength=n)
        if has_negative[j]:
            B[:, j] += np.bincount(c.head, weights=neg_key * negative[c.tail, j], minlength=n)
    if not np.isfinite(B.sum()) and not np.isfinite(B).all():
        raise _nonfinite_origins(c, names, inj, B)
    on = np.flatnonzero(key)
    diag = np.arange(n, dtype=c.head.dtype)
    A_mat = sp.csr_matrix((np.concatenate([np.ones(n), -key[on]]),
                           (np.concatenate([diag, c.head[on]]), np.concatenate([diag, c.tail[on]]))),
                          shape=(n, n))
    del on, diag
    A_mat.sum_duplicates()
    A = np.zeros((n, k))
    live = np.flatnonzero(np.abs(B).sum(axis=0) > 0)
    if len(live):
        A[:, live] = _solve_checked(A_mat, B[:, live], cache, c, rtol)
    # a row of I - K that is the identity's (nothing allocated in) solves exactly to B
    alone = np.flatnonzero(np.diff(A_mat.indptr) == 1)
    alone = alone[A_mat.data[A_mat.indptr[alone]] == 1.0]
    A[alone] = B[alone]
    del A_mat, B
    flow = np.empty((c.n_flows, k), order="F")
    node_in = A + negative
    node_out = np.empty((n, k))
    for j in range(k):
        col = flow[:, j]                    # a contiguous column of the result: no temporaries
        np.take(A[:, j], c.tail, out=col)
        col *= key
        if has_negative[j]:
            col += neg_key * negative[c.tail, j]
        r, v = _column(inj, j)
        col[r] += v
        node_in[:, j] += np.bincount(c.tail[r], weights=v, minlength=n)
        node_out[:, j] = np.bincount(c.tail, weights=col, minlength=n)
    # every flow's value is in its tail's node_out: a non-finite one makes the sum so
    if not np.isfinite(node_in.sum() + node_out.sum()) and not (
            np.isfinite(node_in).all() and np.isfinite(node_out).all()):
        raise _nonfinite_nodes(c, names, node_in + node_out, flow)
    retained = node_in - node_out           # what stays: in - out, noise where they are equal
    tol = np.abs(node_in)
    np.maximum(tol, np.abs(node_out), out=tol)
    tol *= rtol
    retained[np.abs(retained) <= tol] = 0.0
    _check_stuck(c, retained, total)
    return Propagation(names, flow, node_in, node_out, retained, key)


def _nonfinite_origins(c: Compiled, names, inj: sp.csc_matrix, B: np.ndarray) -> NonFiniteError:
    """Purchases (quantity x price or factor) and own amounts beyond the float range."""
    bad_cols = np.flatnonzero(~np.isfinite(B).all(axis=0))
    flows = np.unique(np.concatenate([_column(inj, j)[0][~np.isfinite(_column(inj, j)[1])]
                                      for j in bad_cols]))
    what = ", ".join(names[j] for j in bad_cols)
    if len(flows):
        return NonFiniteError(
            f"non-finite result: the {what} of {c.flow_names(flows)} is infinite (quantity "
            f"times price or factor overflows the largest number, about 1.8e308); check the "
            f"quantities and the prices or factors of these purchases",
            flows=list(c.flow_ids[flows]), origin=c.origin_of_flow(flows[0]))
    nodes = np.flatnonzero(~np.isfinite(B).all(axis=1))
    return NonFiniteError(
        f"non-finite result: the {what} added at node(s) {c.node_names(nodes)} is infinite "
        f"(it overflows the largest number, about 1.8e308); check their own amounts",
        nodes=list(c.node_ids[nodes]), origin=c.origin_of_node(nodes[0]))


def _nonfinite_nodes(c: Compiled, names, A: np.ndarray, flow=None) -> NonFiniteError:
    """Value that overflows on its way through the network (a loop multiplying it)."""
    bad = ~np.isfinite(A)
    nodes = np.flatnonzero(bad.any(axis=1))
    what = ", ".join(names[j] for j in np.flatnonzero(bad.any(axis=0)))
    flows = np.flatnonzero(~np.isfinite(flow).all(axis=1)) if flow is not None else []
    on = f" and flow(s) {c.flow_names(flows)}" if len(flows) else ""
    return NonFiniteError(
        f"non-finite result: the {what} at node(s) {c.node_names(nodes)}{on} overflows the "
        f"largest number (about 1.8e308); check the magnitudes of quantities and prices, and "
        f"loops passing on nearly everything they receive, which multiply value",
        nodes=list(c.node_ids[nodes]), flows=list(c.flow_ids[flows]))


def _solve_basis(solver, B: np.ndarray):
    """Solve for a basis of B's columns only: attributes injected by the same purchases
    (tce and energy cost of one carrier, say) are linearly dependent, and one solve serves
    them all. Pivoted QR of the column-scaled B; dependence is exploited only where exact
    to rounding (relative 1e-12), so nothing is approximated. Returns the solution and, for
    columns rebuilt from the basis, the size of the terms each entry is summed from (None if
    none was rebuilt): an entry far below its terms is their cancellation, a zero."""
    scale = np.abs(B).max(axis=0)
    if B.shape[1] == 1:
        return solver.solve(B[:, 0])[:, None], None
    Q, R, piv = scipy.linalg.qr(B / scale, mode="economic", pivoting=True)
    d = np.abs(np.diag(R))
    rank = int((d > 1e-12 * d[0]).sum())
    if rank == B.shape[1]:
        return solver.solve(B), None
    Y = solver.solve(Q[:, :rank]).reshape(B.shape[0], rank)
    R = R[:rank][:, np.argsort(piv)]                  # B / scale = Q R: columns in B's order
    return (Y @ R) * scale, (np.abs(Y) @ np.abs(R)) * scale


def _column(m: sp.csc_matrix, j: int):
    """Row indices and values of column j of a CSC matrix."""
    lo, hi = m.indptr[j], m.indptr[j + 1]
    return m.indices[lo:hi], m.data[lo:hi]


def _solve_checked(A_mat, B, cache, c, rtol: float) -> np.ndarray:
    """Solve (I - K) A = B with a cached factorisation when the matrix is the same, verify,
    and refactorise (fresh, then with pivoting everywhere) if the residual is too large.
    Entries of columns rebuilt from a basis within rtol of their terms are set to 0."""
    key = ("value", fingerprint(A_mat)) if cache is not None else None
    attempts = ([cache[key]] if cache is not None and key in cache else []) + ["fast", "robust"]
    for attempt in attempts:
        try:
            solver = BlockSolver(A_mat, robust=attempt == "robust") \
                if attempt in ("fast", "robust") else attempt
            X, terms = _solve_basis(solver, B)
        except SingularBlock as exc:
            raise _stuck(c, exc.columns) from None
        if all(verify(A_mat, X[:, j], B[:, j]) is None for j in range(B.shape[1])):
            if terms is not None:
                X[np.abs(X) <= rtol * terms] = 0.0
            if cache is not None:
                for k in [k for k in cache if isinstance(k, tuple) and k and k[0] == "value"]:
                    del cache[k]
                cache[key] = solver
            return X
    raise SingularError("value cannot be propagated: the allocation system is numerically "
                        "singular (a loop passing on almost everything it receives)")


def _check_allocatable(c: Compiled, origins: Origins, neg_total: np.ndarray) -> None:
    waste = np.abs(origins.negative).sum(axis=1) > 0
    bad = np.flatnonzero(waste & (neg_total <= 0))
    if len(bad):
        raise AllocationError(
            f"node(s) {c.node_names(bad)} have waste-management cost but no negative product "
            f"(an output with role loss, emission or waste carrying the allocation key) to put "
            f"it on", nodes=list(c.node_ids[bad]))


def _check_stuck(c: Compiled, retained: np.ndarray, total: np.ndarray) -> None:
    """Value that enters a node with outputs but cannot leave (no output carries the key)."""
    has_out = np.bincount(c.tail, minlength=c.n_nodes) > 0
    big = np.abs(retained).max(axis=0, initial=0.0)    # what the sinks absorb, say
    mag = (np.abs(retained) / np.maximum(big, 1e-300)).max(axis=1) if retained.size else \
        np.zeros(c.n_nodes)
    holds = np.isin(c.node_kind, ["sink", "storage"])
    bad = np.flatnonzero(has_out & ~holds & (total <= 0) & (mag > 1e-9))
    if len(bad):
        names = [list(ALLOC_CODES)[a] if a < LAYER_KEY else c.layers[a - LAYER_KEY]
                 for a in c.allocation[bad]]
        raise AllocationError(
            f"node(s) {c.node_names(bad)} receive value but none of their outputs carries the "
            f"allocation key ({', '.join(sorted(set(names)))}): set allocation to 'energy', "
            f"'value' or 'fixed', or give the outputs quantities", nodes=list(c.node_ids[bad]))


def _stuck(c: Compiled, nodes) -> SingularError:
    nodes = np.unique(nodes)
    return SingularError(f"value cannot leave the loop through node(s) {c.node_names(nodes)}: "
                         f"every output of the loop goes back into it", nodes=list(c.node_ids[nodes]))
