"""Allocation keys and the value-flow matrix I - K they make.

At each node what enters is allocated to its outputs by the node's key: flow f leaving node
m takes key_f = weight_f / (sum of the weights of m's outputs + what m keeps in stock), the
weight being coef_f * x_f (mass, energy or element content, economic value) or a fixed
share. K[n, m] is the sum of the keys of the flows m -> n. Where K can have entries is fixed
by the structure (`KeyPattern`, built once per compiled structure and shared by every run of
it); the values follow the quantities.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .compiled import ALLOC_CODES, LAYER_KEY, Compiled
from .sparse import BlockSolver, SingularBlock

#: flows per slice of the in-place key division (no full-length temporaries)
STEP = 1 << 20


@dataclass
class Keys:
    """Allocation keys of one set of quantities."""

    key: np.ndarray              # (flows,) share of its source node's value
    neg_key: np.ndarray | None   # (flows,) share of the node's waste-management cost
    total: np.ndarray            # (nodes,) key weight of the outputs (and stock kept)
    neg_total: np.ndarray        # (nodes,) key weight of the negative outputs
    passed: np.ndarray           # (nodes,) the keys' sum: what a node passes on, 0 to 1


def allocation_keys(c: Compiled, x: np.ndarray, negative: bool = True, coef=None) -> Keys:
    """Per flow: its share of its source node's value, and of the node's waste-management
    cost (negative products only; None when `negative` is False); per node: the total key
    weight of its outputs, and of its negative outputs, and the share of its value it
    passes on (1 but for what stock keeps). `coef` overrides the key weight per unit of
    c.key_coefficients (a run that changes prices allocated by value)."""
    own, fixed, share = c.key_coefficients
    weight = (own if coef is None else coef) * x
    weight[fixed] = share
    kept = c.derive("stock_weight", stock_weight)
    out_sum = c.derive("outflow_sum", outflow_sum)
    total = out_sum @ weight + kept
    if not np.isfinite(total).all():            # NaN weights (0 x inf) count 0, as ever
        np.nan_to_num(weight, copy=False, nan=0.0)
        total = out_sum @ weight + kept
    neg = c.derive("negative_flows", lambda c: np.flatnonzero(c.negative))
    neg_total = np.bincount(c.tail[neg], weights=weight[neg], minlength=c.n_nodes) \
        if negative else np.zeros(c.n_nodes)
    neg_key = None
    if negative:
        neg_key = np.zeros(c.n_flows)
        d = neg_total[c.tail[neg]]
        neg_key[neg] = np.divide(weight[neg], d, out=np.zeros(len(neg)), where=d > 0)
    divide_by_total(weight, total, c.tail)
    passed = np.divide(total - kept, total, out=np.zeros(c.n_nodes), where=total > 0)
    return Keys(weight, neg_key, total, neg_total, passed)


def outflow_sum(c: Compiled) -> sp.csr_matrix:
    """(nodes x flows): the sum of a per-flow array over each node's outputs, in flow order
    (as np.bincount over the tails sums it, a few times faster)."""
    return sp.csr_matrix((np.ones(c.n_flows), c.tail, np.arange(c.n_flows + 1)),
                         shape=(c.n_flows, c.n_nodes)).T.tocsr()


def divide_by_total(weight: np.ndarray, total: np.ndarray, tail: np.ndarray) -> None:
    """weight / total[tail] in place (0 where the total is not positive), in slices."""
    safe = np.where(total > 0, total, np.inf)
    for lo in range(0, len(weight), STEP):
        part = weight[lo:lo + STEP]
        np.divide(part, np.take(safe, tail[lo:lo + STEP]), out=part)
        if not np.isfinite(part).all():         # an infinite weight: 0 where no total
            part[~(total[tail[lo:lo + STEP]] > 0)] = 0.0


def stock_weight(c: Compiled) -> np.ndarray:
    """Key weight of what a storage node keeps in stock (its stock change, if positive)."""
    out = np.zeros(c.n_nodes)
    for name in ("mass", "energy"):
        sel = c.allocation == ALLOC_CODES[name]
        out[sel] = np.maximum(c.stock[sel, c.layer_index(name)], 0.0)
    sel = np.flatnonzero(c.allocation >= LAYER_KEY)
    out[sel] = np.maximum(c.stock[sel, c.allocation[sel] - LAYER_KEY], 0.0)
    return out


@dataclass
class Part:
    """A block of I - K in CSR form (rows and columns numbered within the block), and
    which entries of I - K (KeyPattern.data) sum into each of its slots."""

    indptr: np.ndarray
    indices: np.ndarray
    shape: tuple
    items: np.ndarray                # entries that fall in the block
    slot: np.ndarray                 # per item: its CSR slot
    gather: np.ndarray | None        # per slot: its one entry (when no slot has two)

    @property
    def nnz(self) -> int:
        return len(self.indices)

    def values(self, data: np.ndarray) -> np.ndarray:
        if self.gather is not None:
            return data[self.gather]
        return np.bincount(self.slot, weights=data[self.items], minlength=self.nnz)

    def matrix(self, data: np.ndarray, drop_zeros: bool = False) -> sp.csr_matrix:
        """The block for the entry values `data`; without its zeros when drop_zeros (what a
        factorisation sees)."""
        d = self.values(data)
        if drop_zeros and not (d != 0).all():
            on = d != 0
            counts = np.bincount(self.rows(), weights=on, minlength=self.shape[0])
            indptr = np.concatenate([[0], np.cumsum(counts)]).astype(self.indptr.dtype)
            return _csr(d[on], self.indices[on], indptr, self.shape)
        return _csr(d, self.indices, self.indptr, self.shape)

    def rows(self) -> np.ndarray:
        return np.repeat(np.arange(self.shape[0]), np.diff(self.indptr))


def _part(rows, cols, items, shape) -> Part:
    """The CSR block of `items` at (rows, cols), entries at one place summed."""
    ids = sp.csr_matrix((np.arange(1, len(rows) + 1, dtype=float), (rows, cols)), shape=shape)
    if ids.nnz == len(rows):                    # no two items at one place: data says where
        order = ids.data.astype(np.int64) - 1
        slot = np.empty(len(rows), dtype=np.int64)
        slot[order] = np.arange(len(rows))
        return Part(ids.indptr, ids.indices, shape, items, slot, items[order])
    uniq, slot = np.unique(rows.astype(np.int64) * shape[1] + cols, return_inverse=True)
    r, cc = np.divmod(uniq, shape[1])
    indptr = np.concatenate([[0], np.cumsum(np.bincount(r, minlength=shape[0]))])
    return Part(indptr.astype(ids.indptr.dtype), cc.astype(ids.indices.dtype), shape, items,
                slot, None)


def _csr(data, indices, indptr, shape) -> sp.csr_matrix:
    m = sp.csr_matrix((data, indices, indptr), shape=shape)
    m.has_sorted_indices = True
    m.has_canonical_format = True
    return m


@dataclass
class KeyPattern:
    """Where I - K has entries, fixed by the structure: one per flow that can carry a key
    (flows between the same two nodes summed) and the diagonal. Nodes no key leads into
    (sources) solve first, A = B / d; nodes whose value goes nowhere (sinks) last, from what
    enters them; only the core between is factorised:

        core  (I - K)[core, core]   feed  (I - K)[core, sources]   drain  (I - K)[sinks, :]

    Entries are numbered: the flows in `flows` (their -key), then the n diagonal ones."""

    flows: np.ndarray        # flows that can carry a key, not to their own source
    loops: np.ndarray        # flows that can carry a key back to their own source
    loop_nodes: np.ndarray   # the node of each of those
    n: int
    sources: np.ndarray
    core_nodes: np.ndarray
    sinks: np.ndarray
    core: Part
    feed: Part
    drain: Part              # columns numbered as nodes
    core_at: object = None   # core_nodes, or the slice they are when contiguous
    place: np.ndarray | None = None   # per node: its row in [sources; core; sinks]

    def data(self, key: np.ndarray) -> np.ndarray:
        """The value of every entry of I - K for the keys `key` (per flow)."""
        out = np.empty(len(self.flows) + self.n)
        np.negative(key[self.flows], out=out[:len(self.flows)])
        out[len(self.flows):] = 1.0
        if len(self.loops):
            out[len(self.flows):] -= np.bincount(self.loop_nodes, weights=key[self.loops],
                                                 minlength=self.n)
        return out

    def diagonal(self, data: np.ndarray) -> np.ndarray:
        return data[len(self.flows):]

    def assemble(self, top: np.ndarray, core: np.ndarray, U: np.ndarray,
                 data: np.ndarray) -> np.ndarray:
        """A in node order from the sources' rows `top` and the core's `core`, the sinks'
        from what enters them (U: the origins). One gather: scattering rows into A is
        several times slower on tall arrays with few columns."""
        ns, nc = len(self.sources), len(self.core_nodes)
        stack = np.empty((self.n, U.shape[1]))
        stack[:ns] = top
        stack[ns:ns + nc] = core
        stack[ns + nc:] = 0.0
        A = np.take(stack, self.place, axis=0)
        if len(self.sinks):
            d = self.diagonal(data)[self.sinks]
            A[self.sinks] = (U[self.sinks] - self.drain.matrix(data) @ A) / d[:, None]
        return A

    def matrix(self, key: np.ndarray) -> sp.csr_matrix:
        """The whole of I - K (for diagnosis and tests)."""
        data = self.data(key)
        d = self.diagonal(data)
        parts = [(self.core, self.core_nodes, self.core_nodes),
                 (self.feed, self.core_nodes, self.sources), (self.drain, self.sinks, None)]
        rows, cols, vals = [], [], []
        for part, rn, cn in parts:
            rows.append(rn[part.rows()])
            cols.append(part.indices if cn is None else cn[part.indices])
            vals.append(part.values(data))
        ends = np.concatenate([self.sources, self.sinks])
        rows.append(ends)
        cols.append(ends)
        vals.append(d[ends])
        return sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                             shape=(self.n, self.n))


def key_pattern(c: Compiled) -> KeyPattern:
    """The pattern of I - K for the structure of `c` (built once, shared by its copies)."""
    return c.derive("key_pattern", _build_pattern)


def _build_pattern(c: Compiled) -> KeyPattern:
    coef, fixed, _ = c.key_coefficients
    code = c.allocation[c.tail]
    can = (coef != 0) | (code == ALLOC_CODES["value"])
    can[fixed] = True
    loop = can & (c.head == c.tail)
    flows = np.flatnonzero(can & ~loop)
    n = c.n_nodes
    head, tail = c.head[flows], c.tail[flows]
    has_in = np.bincount(head, minlength=n) > 0
    has_out = np.bincount(tail, minlength=n) > 0
    sources = np.flatnonzero(~has_in)
    sinks = np.flatnonzero(has_in & ~has_out)
    core_nodes = np.flatnonzero(has_in & has_out)
    place = np.full(n, -1, dtype=np.int64)
    for group in (sources, core_nodes, sinks):
        place[group] = np.arange(len(group))
    kind = np.zeros(n, dtype=np.int8)                  # 0 source, 1 core, 2 sink
    kind[core_nodes], kind[sinks] = 1, 2
    h_kind, t_kind = kind[head], kind[tail]
    ids = np.arange(len(flows))
    k = len(core_nodes)
    sel = np.flatnonzero((h_kind == 1) & (t_kind == 1))
    core = _part(np.concatenate([place[head[sel]], np.arange(k)]),
                 np.concatenate([place[tail[sel]], np.arange(k)]),
                 np.concatenate([ids[sel], len(flows) + core_nodes]), (k, k))
    sel = np.flatnonzero((h_kind == 1) & (t_kind == 0))
    feed = _part(place[head[sel]], place[tail[sel]], ids[sel], (k, len(sources)))
    sel = np.flatnonzero(h_kind == 2)
    drain = _part(place[head[sel]], tail[sel], ids[sel], (len(sinks), n))
    loops = np.flatnonzero(loop)
    contiguous = k and core_nodes[-1] - core_nodes[0] == k - 1
    core_at = slice(int(core_nodes[0]), int(core_nodes[-1]) + 1) if contiguous else core_nodes
    place = np.empty(n, dtype=np.int64)
    place[np.concatenate([sources, core_nodes, sinks])] = np.arange(n)
    return KeyPattern(flows, loops, c.head[loops], n, sources, core_nodes, sinks, core, feed,
                      drain, core_at, place)


def solve_peeled(pat: KeyPattern, data: np.ndarray, U: np.ndarray, core_solve):
    """A with (I - K) A = U (nodes x columns) for the entry values `data`: sources first,
    the core by `core_solve` (a function of its right-hand sides), sinks last. Returns A
    and the core's right-hand sides and solution (for verification). A zero diagonal at a
    source or sink raises SingularBlock naming those nodes."""
    d = pat.diagonal(data)
    ends = np.concatenate([pat.sources, pat.sinks])
    if (d[ends] == 0).any():
        raise SingularBlock(ends[d[ends] == 0])
    top = U[pat.sources] / d[pat.sources][:, None]
    rhs = rows_of(U, pat.core_at)
    if pat.feed.nnz:
        rhs -= pat.feed.matrix(data) @ top
    try:
        Y = core_solve(rhs) if len(pat.core_nodes) else rhs
    except SingularBlock as exc:
        raise SingularBlock(pat.core_nodes[exc.columns], exc.reason) from None
    return pat.assemble(top, Y, U, data), rhs, Y


def rows_of(a: np.ndarray, at) -> np.ndarray:
    """a[at] (a copy) for a slice or an index array (np.take: several times faster than
    fancy indexing on tall arrays with few columns)."""
    return a[at].copy() if isinstance(at, slice) else np.take(a, at, axis=0)


def core_solver(pat: KeyPattern, Mc, attempt="fast"):
    """A block solver of the core matrix Mc ('fast', 'robust', or a given solver); a
    singular block raises SingularBlock naming its nodes."""
    if attempt not in ("fast", "robust"):
        return attempt
    try:
        return BlockSolver(Mc, robust=attempt == "robust")
    except SingularBlock as exc:
        raise SingularBlock(pat.core_nodes[exc.columns], exc.reason) from None


def identity_rows(c: Compiled, pat: KeyPattern, data: np.ndarray, key: np.ndarray):
    """Nodes whose row of I - K is the identity's (no key leads in, none back to itself):
    their value is exactly B."""
    on = key[pat.flows] != 0
    fed = np.bincount(c.head[pat.flows[on]], minlength=pat.n) > 0
    return np.flatnonzero(~fed & (pat.diagonal(data) == 1.0))
