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
import scipy.sparse as sp

from ..errors import AllocationError, SingularError
from ..model.compiled import ALLOC_CODES, LAYER_KEY, Compiled
from ..model.schema import COST_CATEGORIES
from .sparse import BlockSolver, SingularBlock

#: the attributes every result carries, in column order
ATTRIBUTES = ("cost_material", "cost_energy", "cost_system", "cost_waste", "tce", "co2")
#: the cost attribute each cost category feeds
CATEGORY_ATTRIBUTE = dict(zip(COST_CATEGORIES, ATTRIBUTES[:4]))
COST_ATTRIBUTES = ATTRIBUTES[:4]


@dataclass
class Origins:
    """Where value enters, one column per attribute.

    flow: amounts carried by flows on top of what they are allocated (purchases from sources);
    node: a node's own amounts, allocated by its key to all its outputs;
    negative: a node's own amounts allocated to its negative products only (waste management).
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
    flow = np.zeros((c.n_flows, k))
    purchase = np.flatnonzero(c.node_kind[c.tail] == "source")
    amount = x[purchase] * np.nan_to_num(c.price[purchase], nan=0.0)
    flow[purchase, c.category[purchase]] = amount
    flow[purchase, ATTRIBUTES.index("tce")] = x[purchase] * c.tce[purchase]
    flow[purchase, ATTRIBUTES.index("co2")] = x[purchase] * c.co2[purchase]
    node = np.zeros((c.n_nodes, k))
    for i, cat in enumerate(COST_CATEGORIES):
        if cat != "waste_management":
            node[:, ATTRIBUTES.index(CATEGORY_ATTRIBUTE[cat])] = c.node_costs[:, i]
    node[:, ATTRIBUTES.index("tce")] = c.node_tce
    node[:, ATTRIBUTES.index("co2")] = c.node_co2
    negative = np.zeros((c.n_nodes, k))
    negative[:, ATTRIBUTES.index("cost_waste")] = c.node_costs[:, COST_CATEGORIES.index("waste_management")]
    return Origins(ATTRIBUTES, flow, node, negative)


def allocation_keys(c: Compiled, x: np.ndarray):
    """Per flow: its share of its source node's value, and of the node's waste-management
    cost (negative products only); per node: the total key weight of its outputs."""
    code = c.allocation[c.tail]
    weight = np.zeros(c.n_flows)
    for name, layer in (("mass", "mass"), ("energy", "energy")):
        sel = code == ALLOC_CODES[name]
        weight[sel] = c.W[sel, c.layer_index(layer)] * x[sel]
    sel = code == ALLOC_CODES["value"]
    weight[sel] = np.nan_to_num(c.price[sel], nan=0.0) * x[sel]
    sel = code == ALLOC_CODES["fixed"]
    weight[sel] = np.nan_to_num(c.allocation_share[sel], nan=0.0)
    sel = np.flatnonzero(code >= LAYER_KEY)
    weight[sel] = c.W[sel, code[sel] - LAYER_KEY] * x[sel]
    weight = np.nan_to_num(weight, nan=0.0)
    total = np.bincount(c.tail, weights=weight, minlength=c.n_nodes)
    # a storage node keeps the part of its value that stays in stock
    retained_w = _stock_weight(c)
    total_all = total + retained_w
    key = np.divide(weight, total_all[c.tail], out=np.zeros_like(weight),
                    where=total_all[c.tail] > 0)
    neg_w = np.where(c.negative, weight, 0.0)
    neg_total = np.bincount(c.tail, weights=neg_w, minlength=c.n_nodes)
    neg_key = np.divide(neg_w, neg_total[c.tail], out=np.zeros_like(neg_w),
                        where=neg_total[c.tail] > 0)
    return key, neg_key, total_all, neg_total


def _stock_weight(c: Compiled) -> np.ndarray:
    out = np.zeros(c.n_nodes)
    for name in ("mass", "energy"):
        sel = c.allocation == ALLOC_CODES[name]
        out[sel] = np.maximum(c.stock[sel, c.layer_index(name)], 0.0)
    sel = np.flatnonzero(c.allocation >= LAYER_KEY)
    out[sel] = np.maximum(c.stock[sel, c.allocation[sel] - LAYER_KEY], 0.0)
    return out


def propagate(c: Compiled, x: np.ndarray, origins: Origins | None = None, *,
              cache: dict | None = None) -> Propagation:
    """Solve (I - K) A = B for all attributes at once and read off the flow values."""
    origins = origins if origins is not None else default_origins(c, x)
    key, neg_key, total, neg_total = allocation_keys(c, x)
    _check_allocatable(c, origins, neg_total)
    n = c.n_nodes
    K = sp.csr_matrix((key, (c.head, c.tail)), shape=(n, n))
    A_mat = (sp.identity(n, format="csr") - K).tocsr()
    A_mat.eliminate_zeros()
    # B: own amounts, plus flow-borne amounts and waste cost arriving at each head
    carried = origins.flow + neg_key[:, None] * origins.negative[c.tail]
    B = origins.node + _scatter(c.head, carried, n)
    solver = _solver(A_mat, cache, c)
    try:
        A = solver.solve(B)
    except SingularBlock as exc:
        raise _stuck(c, exc.columns) from None
    flow = key[:, None] * A[c.tail] + carried
    # what a node brings in: inflows, own amounts, and what its outflows carry on top of their
    # allocated share (purchases leaving a source), so that in = out + retained everywhere
    node_in = A + origins.negative + _scatter(c.tail, origins.flow, n)
    node_out = _scatter(c.tail, flow, n)
    retained = node_in - node_out
    _check_stuck(c, retained, total)
    return Propagation(origins.names, flow, node_in, node_out, retained, key)


def _scatter(index: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Column-wise bincount: out[i] = sum of values rows whose index is i."""
    out = np.empty((n, values.shape[1]))
    for j in range(values.shape[1]):
        out[:, j] = np.bincount(index, weights=values[:, j], minlength=n)
    return out


def _solver(A_mat, cache, c):
    from .balance import _fingerprint
    key = None
    if cache is not None:
        key = "value:" + _fingerprint(A_mat, np.zeros(0, np.int64), np.zeros(0, np.int64))
        if key in cache:
            return cache[key]
    try:
        solver = BlockSolver(A_mat)
    except SingularBlock as exc:
        raise _stuck(c, exc.columns) from None
    if cache is not None:
        for k in [k for k in cache if str(k).startswith("value:")]:
            del cache[k]
        cache[key] = solver
    return solver


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
    mag = np.abs(retained).max(axis=1)
    holds = np.isin(c.node_kind, ["sink", "storage"])
    bad = np.flatnonzero(has_out & ~holds & (total <= 0) & (mag > 0))
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
