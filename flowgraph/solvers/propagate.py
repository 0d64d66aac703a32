"""Propagate additive attributes (cost by category, tce, CO2, ...) along the solved flows.

Value enters on flows from sources (quantity x price, x standard-coal coefficient, x emission
factor) and as a node's own added amounts. At each node what enters is allocated to its
outputs by the node's allocation key (mass share among material outputs by default, as MFCA
does; or energy, economic value, fixed shares); waste-management cost goes to the negative
products only. With loops this is the linear system

    A = B + K A,   (I - K) A = B

over node inflows A (one column per attribute), K[n, m] the share of m's value passed to n.
B is few columns times a small matrix, B = U C: purchases of one carrier inject price, tce
and CO2 in fixed proportions, so one solve per column of U serves all the attributes they
feed (U: per purchase group the amounts bought at each node, each node's own amounts).
Flow values are read off A when first read (propagation.Propagation).
"""

from __future__ import annotations

import numpy as np

from ..errors import AllocationError, NonFiniteError, SingularError
from ..model.schema import COST_CATEGORIES
from .balance import CONSISTENCY_RTOL
from .compiled import ALLOC_CODES, LAYER_KEY, Compiled
from .keys import (
    KeyPattern,
    Keys,
    allocation_keys,
    core_solver,
    identity_rows,
    key_pattern,
    solve_peeled,
)
from .propagation import (
    FlowParts,
    Injections,
    NodeValues,
    Origins,
    Propagation,
    purchase_groups,
    tall_product,
)
from .sparse import SingularBlock, fingerprint, residual_excess
from .threads import blas_limit

__all__ = ["ATTRIBUTES", "CATEGORY_ATTRIBUTE", "COST_ATTRIBUTES", "Origins", "Propagation",
           "allocation_keys", "default_origins", "propagate"]

#: the attributes every result carries, in column order
ATTRIBUTES = ("cost_material", "cost_energy", "cost_system", "cost_waste", "tce", "co2")
#: the cost attribute each cost category feeds
CATEGORY_ATTRIBUTE = dict(zip(COST_CATEGORIES, ATTRIBUTES[:4]))
COST_ATTRIBUTES = ATTRIBUTES[:4]
TCE, CO2, WASTE = ATTRIBUTES.index("tce"), ATTRIBUTES.index("co2"), ATTRIBUTES.index("cost_waste")


def purchases(c: Compiled) -> np.ndarray:
    """Flows from source nodes (ascending): where purchased value enters."""
    return c.derive("purchases", lambda c: np.flatnonzero((c.node_kind == "source")[c.tail]))


def purchase_coefficients(c: Compiled, rep: np.ndarray) -> np.ndarray:
    """(len(rep), k): value per unit bought of the flows `rep`: the price in its cost
    category's column (NaN counted 0), tce and CO2."""
    coef = np.zeros((len(rep), len(ATTRIBUTES)))
    coef[np.arange(len(rep)), c.pair_category[c.pair[rep]]] = \
        np.nan_to_num(c.prices(rep), nan=0.0)
    coef[:, TCE] = c.factor("tce", rep)
    coef[:, CO2] = c.factor("co2", rep)
    return coef


def node_origins(c: Compiled) -> tuple[np.ndarray, np.ndarray]:
    """(own, negative): each node's own amounts by attribute, and its waste-management cost
    (allocated to its negative products only)."""
    node = np.zeros((c.n_nodes, len(ATTRIBUTES)), order="F")
    for i, cat in enumerate(COST_CATEGORIES):
        if cat != "waste_management":
            node[:, ATTRIBUTES.index(CATEGORY_ATTRIBUTE[cat])] = c.node_costs[:, i]
    node[:, TCE] = c.node_tce
    node[:, CO2] = c.node_co2
    negative = np.zeros((c.n_nodes, len(ATTRIBUTES)), order="F")
    negative[:, WASTE] = c.node_costs[:, COST_CATEGORIES.index("waste_management")]
    return node, negative


def default_origins(c: Compiled, x: np.ndarray) -> Origins:
    """Purchases priced on flows from sources, node costs, own CO2 and tce (ATTRIBUTES)."""
    rows = purchases(c)
    group, first = purchase_groups(c, rows)
    inj = Injections(rows, x[rows], group, purchase_coefficients(c, rows[first]))
    node, negative = node_origins(c)
    return Origins(ATTRIBUTES, inj, node, negative)


@np.errstate(over="ignore", invalid="ignore")   # overflow is found by name, not warned of
def propagate(c: Compiled, x: np.ndarray, origins: Origins | None = None, *,
              cache: dict | None = None, rtol: float = CONSISTENCY_RTOL) -> Propagation:
    """Solve (I - K) A = B for all attributes at once; flow values follow when read.

    A node no value is allocated to (a source) holds exactly its own amounts; what a node
    retains within rtol of its throughput is rounding noise, set to 0; a non-finite value
    raises NonFiniteError by name."""
    origins = origins if origins is not None else default_origins(c, x)
    names = tuple(origins.names)
    inj = origins.flow if isinstance(origins.flow, Injections) else \
        Injections.from_matrix(origins.flow, len(names))
    negative = np.asarray(origins.negative, dtype=float)
    keys = allocation_keys(c, x, negative=bool(negative.any()))
    _check_allocatable(c, origins, keys.neg_total)
    B, U, C = origin_columns(c, inj, np.asarray(origins.node, dtype=float), negative, keys)
    if not np.isfinite(B.sum()) and not np.isfinite(B).all():
        raise nonfinite_origins(c, names, inj, B)
    pat = key_pattern(c)
    data = pat.data(keys.key)
    Y = np.zeros_like(U)
    if U.shape[1]:
        with blas_limit():
            Y = solve_values(pat, data, U, cache, c)
    alone = identity_rows(c, pat, data, keys.key)
    return finish(c, names, Y, C, keys, negative, inj, rtol, alone, B[alone])


def origin_columns(c: Compiled, inj: Injections, own: np.ndarray, negative: np.ndarray,
                   keys: Keys):
    """B (nodes x k) and its factors U C: one column of U per purchase group, per column
    of own amounts and per attribute of waste-management cost; when that is not fewer
    columns than B has live ones, U is B's live columns and C selects them."""
    n, k = own.shape
    G = inj.group_sums(c.head, n) if inj.few else None
    B = own.copy(order="F")
    B += tall_product(G, inj.coef) if G is not None else inj.node_sums(c.head, n)
    neg_cols = np.flatnonzero(negative.any(axis=0))
    Bn = np.zeros((n, len(neg_cols)), order="F")
    if len(neg_cols):
        neg = c.derive("negative_flows", lambda c: np.flatnonzero(c.negative))
        for i, j in enumerate(neg_cols):
            Bn[:, i] = np.bincount(c.head[neg], weights=keys.neg_key[neg] *
                                   negative[c.tail[neg], j], minlength=n)
        B[:, neg_cols] += Bn
    live = np.flatnonzero(B.any(axis=0))
    own_cols = np.flatnonzero(own.any(axis=0))
    eye = np.eye(k)
    if G is not None and inj.n_groups + len(own_cols) + len(neg_cols) < len(live):
        used = np.flatnonzero(np.abs(G).sum(axis=0) > 0)
        U = np.column_stack([G[:, used], own[:, own_cols], Bn])
        C = np.vstack([inj.coef[used], eye[own_cols], eye[neg_cols]])
        return B, U, C
    return B, B[:, live], eye[live]


def solve_values(pat: KeyPattern, data: np.ndarray, U: np.ndarray, cache,
                 c: Compiled) -> np.ndarray:
    """Y = (I - K)^-1 U: the core of I - K by a cached factorisation when it is the same
    matrix, its solution verified column by column; refactorised (fresh, then with pivoting
    everywhere) if a residual is too large."""
    Mc = pat.core.matrix(data, drop_zeros=True)
    key = ("value", fingerprint(Mc)) if cache is not None else None
    cached = [cache[key]] if cache is not None and key in cache else []
    for attempt in cached + ["fast", "robust"]:
        try:
            solver = core_solver(pat, Mc, attempt)
            Y, rhs, Yc = solve_peeled(pat, data, U, solver.solve)
        except SingularBlock as exc:
            raise _stuck(c, exc.columns) from None
        if (residual_excess(Mc, Yc, rhs) <= 1.0).all():
            if cache is not None:
                for k in [k for k in cache if isinstance(k, tuple) and k and k[0] == "value"]:
                    del cache[k]
                cache[key] = solver
            return Y
    raise SingularError("value cannot be propagated: the allocation system is numerically "
                        "singular (a loop passing on almost everything it receives)")


def finish(c: Compiled, names, Y: np.ndarray, C: np.ndarray, keys: Keys,
           negative: np.ndarray, inj: Injections, rtol: float, alone, alone_values,
           plus=None) -> Propagation:
    """The propagated values of A = Y C (+ plus), B at the nodes `alone` (node values
    computed when read: propagation.NodeValues), after the checks a solve makes: a
    non-finite value and value stuck at a node with outputs are refused by name."""
    sources, place = purchase_sources(c, inj)
    sold = inj.sums_at(place, len(sources)) if len(sources) else np.zeros((0, C.shape[1]))
    nodes = NodeValues(Y, C, rtol, alone, alone_values, negative, keys.passed,
                       keys.neg_total > 0, sources, sold, plus)
    values = Propagation(names, None, None, None, None, keys.key,
                         FlowParts(c.tail, nodes, keys.key, keys.neg_key, inj))
    scale = _largest(Y) * _largest(C) * max(C.shape[0], 1)
    finite = bool(np.isfinite(scale)) and scale < 1e300 and (
        plus is None or bool(np.isfinite(plus[1]).all()))
    if not finite and not np.isfinite(nodes.A).all():
        raise _nonfinite_nodes(c, names, nodes.node_in + nodes.node_out, values.flow)
    _check_stuck(c, nodes, keys.total)
    return values


def _largest(a: np.ndarray) -> float:
    """max |a| (NaN if a holds one) without an |a| copy."""
    return float(np.maximum(a.max(initial=0.0), -a.min(initial=0.0)))


def purchase_sources(c: Compiled, inj: Injections) -> tuple[np.ndarray, np.ndarray]:
    """The nodes the injected flows leave (sources, few) and, per injected flow, the place
    of its node among them."""
    if inj.rows is purchases(c):                # the usual purchases: found once
        return c.derive("purchase_sources", lambda c: _sources(c.tail[inj.rows], c.n_nodes))
    return _sources(c.tail[inj.rows], c.n_nodes)


def _sources(tails: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    if len(tails) and (tails == tails[0]).all():
        return tails[:1], np.zeros(len(tails), dtype=np.int64)
    sources = np.unique(tails) if len(tails) < n // 8 else \
        np.flatnonzero(np.bincount(tails, minlength=n))
    return sources, np.searchsorted(sources, tails)


def nonfinite_origins(c: Compiled, names, inj: Injections, B: np.ndarray) -> NonFiniteError:
    """Purchases (quantity x price or factor) and own amounts beyond the float range."""
    bad_cols = np.flatnonzero(~np.isfinite(B).all(axis=0))
    flows = np.unique(np.concatenate([inj.values(j)[0][~np.isfinite(inj.values(j)[1])]
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


def _check_allocatable(c: Compiled, origins: Origins, neg_total: np.ndarray) -> None:
    waste = np.abs(origins.negative).sum(axis=1) > 0
    bad = np.flatnonzero(waste & (neg_total <= 0))
    if len(bad):
        raise AllocationError(
            f"node(s) {c.node_names(bad)} have waste-management cost but no negative product "
            f"(an output with role loss, emission or waste carrying the allocation key) to put "
            f"it on", nodes=list(c.node_ids[bad]))


def _check_stuck(c: Compiled, nodes: NodeValues, total: np.ndarray) -> None:
    """Value that enters a node with outputs but cannot leave (no output carries the key).
    A node without outputs holds what it receives or adds, as sinks do: an end use (an
    energy consumer of an energy account, a park unit given by its own emissions)."""
    suspect = np.flatnonzero(total <= 0)
    if not len(suspect):
        return
    has_out = c.has_outflow()
    holds = np.isin(c.node_kind[suspect], ["sink", "storage"])
    suspect = suspect[has_out[suspect] & ~holds]
    if not len(suspect) or not nodes.retained_rows(suspect).any():
        return
    retained = nodes.retained
    suspect = suspect[retained[suspect].any(axis=1)]
    big = np.abs(retained).max(axis=0, initial=0.0)    # what the sinks absorb, say
    mag = (np.abs(retained[suspect]) / np.maximum(big, 1e-300)).max(axis=1) \
        if len(suspect) else np.zeros(0)
    bad = suspect[mag > 1e-9]
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
