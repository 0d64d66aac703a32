"""The data of value flow: where value enters (Origins, Injections) and what propagation
gives (Propagation), with flow values computed only when read.

A flow's value is what its source node allocates to it plus what it carries in itself:

    flow[f, j] = A[tail f, j] key_f + neg_key_f negative[tail f, j] + injected[f, j]

A (value entering each node, nodes x attributes) is what the solve gives; the flow values
follow in one pass when first read (Propagation.flow), or for a few flows or one attribute
(Propagation.column), so that a result nobody reads per flow costs nodes x attributes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .threads import blas_limit


def tall_product(Y: np.ndarray, C: np.ndarray) -> np.ndarray:
    """Y C for a tall Y with few columns (BLAS is fastest on the transposed product, one
    thread); the result is column-major."""
    with blas_limit():
        return (C.T @ Y.T).T


@dataclass
class Origins:
    """Where value enters, one column per attribute.

    flow: amounts carried by flows on top of what they are allocated (purchases from sources),
          (flows, k): Injections, a dense array or a scipy.sparse matrix (mostly zeros);
    node: a node's own amounts, allocated by its key to all its outputs, (nodes, k);
    negative: a node's own amounts allocated to its negative products only (waste
          management), (nodes, k).
    """

    names: tuple[str, ...]
    flow: object
    node: np.ndarray
    negative: np.ndarray


@dataclass
class Injections:
    """Value carried by flows in themselves, in factored form:

        injected[rows[i], j] = amount[i] * coef[group[i], j]

    Flows of one group (purchases of one carrier in one unit at one price) share a row of
    coefficients, so the node-level origins they make are a few columns (one per group)
    times a small matrix: what lets one solve serve attributes injected together."""

    rows: np.ndarray        # flow indices, ascending
    amount: np.ndarray
    group: np.ndarray
    coef: np.ndarray        # (groups, k)

    @classmethod
    def from_matrix(cls, m, k: int) -> Injections:
        """Any (flows, k) matrix: each flow carrying something is a group of its own."""
        m = sp.csr_matrix(m) if not isinstance(m, np.ndarray) else m
        if isinstance(m, np.ndarray):
            rows = np.flatnonzero(np.any(m != 0, axis=1))
            coef = np.asarray(m[rows], dtype=float).reshape(len(rows), k)
        else:
            rows = np.flatnonzero(np.diff(m.indptr))
            coef = m[rows].toarray().reshape(len(rows), k)
        return cls(rows, np.ones(len(rows)), np.arange(len(rows)), coef)

    @property
    def k(self) -> int:
        return self.coef.shape[1]

    @property
    def n_groups(self) -> int:
        return len(self.coef)

    def values(self, j: int) -> tuple[np.ndarray, np.ndarray]:
        """Flow indices and values of attribute j where they are not zero."""
        vals = self.amount * self.coef[self.group, j]
        keep = vals != 0
        return self.rows[keep], vals[keep]

    def at(self, idx: np.ndarray, j: int) -> np.ndarray:
        """Attribute j injected on the flows `idx` (0 where nothing)."""
        idx = np.asarray(idx)
        out = np.zeros(len(idx))
        if not len(self.rows):
            return out
        p = np.minimum(np.searchsorted(self.rows, idx), len(self.rows) - 1)
        hit = self.rows[p] == idx
        out[hit] = self.amount[p[hit]] * self.coef[self.group[p[hit]], j]
        return out

    @property
    def few(self) -> bool:
        """Whether there are no more groups than attributes (the factored form pays)."""
        return self.n_groups <= self.k

    def node_sums(self, ends: np.ndarray, n: int) -> np.ndarray:
        """(n, k): per node the injections of the flows whose `ends` (head or tail) it is."""
        return self.sums_at(ends[self.rows], n)

    def sums_at(self, where: np.ndarray, m: int) -> np.ndarray:
        """(m, k): the injections summed by `where` (per row, a place 0..m-1)."""
        if self.few:
            g = self.n_groups
            flat = np.bincount(where.astype(np.int64) * g + self.group, weights=self.amount,
                               minlength=m * g)
            return tall_product(flat.reshape(m, g), self.coef)
        out = np.zeros((m, self.k))
        for j in np.flatnonzero(np.any(self.coef != 0, axis=0)):
            out[:, j] = np.bincount(where, weights=self.amount * self.coef[self.group, j],
                                    minlength=m)
        return out

    def group_sums(self, ends: np.ndarray, n: int) -> np.ndarray:
        """(n, groups): per node and group the amounts of the flows ending there."""
        g = self.n_groups
        flat = np.bincount(ends[self.rows].astype(np.int64) * g + self.group,
                           weights=self.amount, minlength=n * g)
        return flat.reshape(n, g)


def purchase_groups(c, rows: np.ndarray, split=None) -> tuple[np.ndarray, np.ndarray]:
    """Group the purchases `rows` (ascending) by what they cost per unit: the (carrier,
    unit) pair, a price of their own, per-flow factors of a what-if; `split` (flow indices)
    puts those flows in groups of their own. Returns (group per row, first row of each)."""
    parts = []
    if len(c.flow_price[0]) or "price" in c.overrides:
        parts.append(pd.factorize(c.prices(rows))[0])
    parts += [pd.factorize(c.overrides[name][rows])[0] for name in ("tce", "co2")
              if name in c.overrides]
    if split is not None and len(split):
        own = np.full(len(rows), -1, dtype=np.int64)
        pos = np.searchsorted(rows, split)
        ok = (pos < len(rows)) & (rows[np.minimum(pos, len(rows) - 1)] == split)
        own[pos[ok]] = np.arange(ok.sum())
        parts.append(own)
    key = pd.factorize(c.pair[rows])[0].astype(np.int64)
    for p in parts:                       # codes >= -1: (key, p) -> one code, injectively
        key = pd.factorize(key * (int(np.max(p, initial=0)) + 2) + p + 1)[0].astype(np.int64)
    running = np.maximum.accumulate(key) if len(key) else key
    first = np.flatnonzero(np.diff(running, prepend=-1) > 0)   # codes come in order
    return key, first


class NodeValues:
    """Value at the nodes, computed when read:

        A        = Y C (+ dA in `plus` columns), entries within rtol of the terms they are
                   summed from 0; exactly B at the `alone` nodes (nothing allocated in)
        node_in  = A + negative (+ purchases at the sources they leave)
        node_out = A passed + negative where the node has negative products (+ purchases)
        retained = node_in - node_out: A (1 - passed) + negative where it has none, noise
                   within rtol of in or out 0

    A is the value entering each node (passed on by its key); rows of it (a few flows' tails)
    are computed without the rest."""

    def __init__(self, Y, C, rtol, alone, alone_values, negative, passed, has_negative,
                 sources, sold, plus=None):
        self.Y, self.C, self.rtol = Y, C, rtol
        self.alone, self.alone_values = np.asarray(alone), alone_values
        self.negative, self.passed, self.has_negative = negative, passed, has_negative
        self.sources, self.sold = sources, sold
        self.plus = plus                        # (attribute columns, dA) or None
        mixed = np.count_nonzero(C, axis=0) > 1
        if plus is not None:
            mixed[plus[0]] = True
        self.mixed = np.flatnonzero(mixed)
        self._A = self._in = self._out = self._retained = self._last = None

    def rows(self, idx) -> np.ndarray:
        """A at the nodes idx (full A if idx is None)."""
        if idx is None:
            if self._A is None:
                self._A = self._rows(None)
            return self._A
        if self._A is not None:
            return self._A[idx]
        idx = np.asarray(idx)
        last = self._last              # the rows asked for last (one per attribute read)
        if last is None or not np.array_equal(last[0], idx):
            last = self._last = (idx, self._rows(idx))
        return last[1]

    def _rows(self, idx) -> np.ndarray:
        Y = self.Y if idx is None else self.Y[idx]
        A = tall_product(Y, self.C)
        terms = tall_product(np.abs(Y), np.abs(self.C[:, self.mixed])) if len(self.mixed) \
            else None
        if self.plus is not None:
            attrs, dA = self.plus
            d = dA if idx is None else dA[idx]
            A[:, attrs] += d
            terms[:, np.searchsorted(self.mixed, attrs)] += np.abs(d)
        if terms is not None:
            part = A[:, self.mixed]
            part[(np.abs(part) <= self.rtol * terms) & np.isfinite(terms)] = 0.0
            A[:, self.mixed] = part
        if len(self.alone):
            if idx is None:
                A[self.alone] = self.alone_values
            else:
                p = np.minimum(np.searchsorted(self.alone, idx), len(self.alone) - 1)
                hit = self.alone[p] == idx
                A[hit] = self.alone_values[p[hit]]
        return A

    @property
    def A(self) -> np.ndarray:
        return self.rows(None)

    @property
    def node_in(self) -> np.ndarray:
        if self._in is None:
            self._in = self.A + self.negative
            if len(self.sources):
                self._in[self.sources] += self.sold
        return self._in

    @property
    def node_out(self) -> np.ndarray:
        if self._out is None:
            self._out = self.A * self.passed[:, None]
            cols = np.flatnonzero(self.negative.any(axis=0))
            if len(cols):
                self._out[:, cols] += np.where(self.has_negative[:, None],
                                               self.negative[:, cols], 0.0)
            if len(self.sources):
                self._out[self.sources] += self.sold
        return self._out

    def retained_rows(self, idx) -> np.ndarray:
        """What stays at the nodes idx, before the noise rule."""
        out = self.rows(idx) * (1.0 - self.passed[idx])[:, None]
        return out + np.where(self.has_negative[idx][:, None], 0.0, self.negative[idx])

    @property
    def retained(self) -> np.ndarray:
        if self._retained is None:
            retained = self.A * (1.0 - self.passed)[:, None]
            cols = np.flatnonzero(self.negative.any(axis=0))
            if len(cols):
                retained[:, cols] += np.where(self.has_negative[:, None], 0.0,
                                              self.negative[:, cols])
            keeps = np.flatnonzero(self.passed != 1.0)  # noise only where value stays
            part = retained[keeps]
            tol = self.rtol * np.maximum(np.abs(self.node_in[keeps]),
                                         np.abs(self.node_out[keeps]))
            part[np.abs(part) <= tol] = 0.0
            retained[keeps] = part
            self._retained = retained
        return self._retained


@dataclass
class FlowParts:
    """What a flow's values are computed from (see the module text)."""

    tail: np.ndarray
    nodes: NodeValues
    key: np.ndarray
    neg_key: np.ndarray | None
    injected: Injections

    def column(self, j: int, idx=None) -> np.ndarray:
        """Attribute j of every flow, or of the flows `idx`."""
        negative = self.nodes.negative
        if idx is None:
            col = np.take(self.nodes.A[:, j], self.tail)
            col *= self.key
            if self.neg_key is not None and negative[:, j].any():
                col += self.neg_key * negative[self.tail, j]
            r, v = self.injected.values(j)
            col[r] += v
            return col
        idx = np.asarray(idx)
        if self.nodes._A is not None or 4 * len(idx) > len(self.nodes.passed):
            return self.column(j)[idx]          # many flows: A once, at the nodes
        t = self.tail[idx]
        col = self.nodes.rows(t)[:, j] * self.key[idx]
        if self.neg_key is not None and negative[:, j].any():
            col += self.neg_key[idx] * negative[t, j]
        return col + self.injected.at(idx, j)

    def matrix(self) -> np.ndarray:
        k = self.nodes.C.shape[1]
        out = np.empty((len(self.tail), k), order="F")
        for j in range(k):
            out[:, j] = self.column(j)
        return out


class Propagation:
    """Propagated values: per node what entered, left and stayed; per flow; each computed
    when first read from what the solve gave (parts: FlowParts and its NodeValues)."""

    def __init__(self, names, flow, node_in, node_out, retained, key,
                 parts: FlowParts | None = None):
        self.names = tuple(names)
        self._flow = flow           # (flows, k)
        self._node = {"in": node_in, "out": node_out, "retained": retained}
        self.key = key              # (flows,) allocation share of each flow at its source
        self.parts = parts

    def _nodes(self, which: str) -> np.ndarray:
        if self._node[which] is None:
            nodes = self.parts.nodes
            self._node[which] = {"in": lambda: nodes.node_in, "out": lambda: nodes.node_out,
                                 "retained": lambda: nodes.retained}[which]()
        return self._node[which]

    @property
    def node_in(self) -> np.ndarray:
        """(nodes, k): inflows, own added amounts, purchases put on outflows."""
        return self._nodes("in")

    @property
    def node_out(self) -> np.ndarray:
        """(nodes, k): outflows."""
        return self._nodes("out")

    @property
    def retained(self) -> np.ndarray:
        """(nodes, k): in - out; sinks absorb, storage holds stock."""
        return self._nodes("retained")

    @property
    def flow(self) -> np.ndarray:
        """(flows, k): the value of every flow (computed on first read)."""
        if self._flow is None:
            self._flow = self.parts.matrix()
        return self._flow

    @property
    def computed(self) -> bool:
        """Whether the per-flow values have been built."""
        return self._flow is not None

    def column(self, j: int, idx=None) -> np.ndarray:
        """Attribute j (index into names) of every flow or of the flows `idx`, without
        building the others."""
        if self._flow is not None or self.parts is None:
            return self.flow[:, j] if idx is None else self.flow[np.asarray(idx), j]
        return self.parts.column(j, idx)
