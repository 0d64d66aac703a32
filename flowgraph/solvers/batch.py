"""Evaluate one network for many values of its uncertain inputs, reusing factorisations.

The balance system R z = r (balance.py) keeps its matrix when only known quantities change:
then r is affine in them, r = r_nom - E dv, and every draw is a right-hand side of the one
factorised BlockSolver (solved many at a time). Shares and recipe ratios change R itself:
each draw is reduced and factorised again. Value flow is propagated per draw (its matrix
follows the quantities through the allocation keys; the factorisation is reused when they
do not move, as when only prices vary). Case figures are evaluated per draw on a Result.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..errors import BalanceError, FlowgraphError, InconsistentError
from .balance import (
    CONSISTENCY_RTOL,
    Balance,
    constant_incidence,
    reduce_system,
    resolve_recipes,
    solve_balance,
)
from .compiled import Compiled
from .diagnosis import negative_error, nonfinite_flows_error, screen_flows
from .elimination import solves
from .inputs import MATRIX_ARRAYS, VALUE_ARRAYS, Bound, apply
from .propagate import ATTRIBUTES, COST_ATTRIBUTES, propagate
from .result import Result
from .sparse import BlockSolver, SingularBlock
from .specs import KNOWN

#: flow columns a batch can record, as in Result.flows
COLUMNS = ("quantity", "cost", *ATTRIBUTES, "price", "value")
#: relative residual of an over-determined (surplus) equation a draw may leave
SURPLUS_RTOL = 1e-8


class Batch:
    """The solved nominal network and what every draw reuses of it."""

    def __init__(self, net, c: Compiled, bound: list[Bound], columns=COLUMNS,
                 reuse: bool = True, flows=None):
        self.net, self.c, self.bound = net, c, bound
        bad = [col for col in columns if col not in COLUMNS]
        if bad:
            raise ValueError(f"unknown column(s) {bad}; columns are {', '.join(COLUMNS)}")
        self.columns = tuple(columns)
        self.keep = np.arange(c.n_flows) if flows is None else c.flow_ids.get_indexer(list(flows))
        if (self.keep < 0).any():
            raise BalanceError(f"no flow {list(np.asarray(list(flows))[self.keep < 0])}")
        self.reuse = reuse
        self.matrix = any(b.array in MATRIX_ARRAYS for b in bound)
        self.values_needed = any(col != "quantity" for col in self.columns)
        bal = solve_balance(c, strict=True)
        self.balance = bal
        red = bal.reduced
        self.red = red
        st = bal.structure
        self.cols = np.flatnonzero(~st.under_cols & (st.col_match >= 0))
        self.rows = st.col_match[self.cols]
        self.surplus = bal.surplus_rows
        self.A = red.R[self.rows][:, self.cols].tocsr()
        # the whole matched square system (the balance solver factorised only the core left
        # after peeling singletons; here the peeled rows ride along as 1x1 blocks)
        self.solver = BlockSolver(self.A) if len(self.cols) else None
        # known quantities enter r and x = G z + g linearly: dg = Gq dv, dr = -E dv
        q = [j for j, b in enumerate(bound) if b.array == "value"]
        self.q_inputs = np.array(q, dtype=np.int64)
        root, mult = resolve_recipes(c)
        self.Gq = _recipe_columns(c, root, mult, [int(bound[j].index[0]) for j in q])
        self.E = (constant_incidence(c, red) @ self.Gq).tocsr()
        self.q_nominal = np.array([c.value[bound[j].index[0]] for j in q])
        self.value_idx = [j for j, b in enumerate(bound) if b.array in VALUE_ARRAYS]
        self.prop_cache: dict = {}

    # -- quantities ---------------------------------------------------------------------------
    @np.errstate(over="ignore", invalid="ignore")    # overflow is found by name, not warned of
    def quantities(self, V: np.ndarray, first: int = 0) -> np.ndarray:
        """Flow quantities (flows x draws) for input values V (draws x inputs), the draws
        numbered from `first` in messages. A draw whose flows come out non-finite or below
        zero beyond rounding is refused as a solve would be (NonFiniteError,
        NegativeFlowError naming the draw and its input values); rounding noise is 0."""
        if self.matrix:
            x = np.column_stack([self._refactorised(v) for v in V])
        else:
            x = self._reused(V)
        self._screen(x, V, first)
        return x

    def _screen(self, x: np.ndarray, V: np.ndarray, first: int) -> None:
        """Refuse the first draw with a non-finite or negative flow; zero rounding noise (of
        the draws with a negative entry: positive noise is harmless in samples)."""
        finite = np.isfinite(x).all(axis=0)
        if not finite.all():
            d = int(np.flatnonzero(~finite)[0])
            raise nonfinite_flows_error(self.c, np.flatnonzero(~np.isfinite(x[:, d])),
                                        prefix=self.draw_label(first + d, V[d]))
        st = self.balance.structure
        for d in np.flatnonzero((x < 0).any(axis=0)):
            col = x[:, d]                               # a view: noise is zeroed in x
            neg = screen_flows(self.c, self.red, st, col, CONSISTENCY_RTOL).negative
            if len(neg):
                raise negative_error(self.c, self.red, st, col, neg,
                                     prefix=self.draw_label(first + d, V[d]))

    def draw_label(self, index: int, v: np.ndarray) -> str:
        """'draw N (input = value, ...): ', the prefix of a message about one draw."""
        return f"draw {index} ({_values(self.bound, v)}): "

    def _reused(self, V: np.ndarray) -> np.ndarray:
        """Quantities of draws that change only known quantities: right-hand sides of the
        one factorised system."""
        red = self.red
        dv = (V[:, self.q_inputs] - self.q_nominal).T if len(self.q_inputs) else \
            np.zeros((0, len(V)))
        r = red.r[:, None] - self.E @ dv
        z = np.zeros((red.R.shape[1], len(V)))
        if self.solver is not None:
            rhs = r[self.rows]
            if self.reuse:
                z[self.cols] = self.solver.solve(rhs)
            else:
                for d in range(len(V)):
                    z[self.cols, d] = BlockSolver(self.A).solve(rhs[:, d])
            if np.isfinite(z).all() and not solves(self.A, z[self.cols], rhs):
                raise BalanceError("the balance solver's answer to a draw does not satisfy "
                                   "the equations (numerically singular system)")
        self._check_surplus(red.R, z, r)
        x = red.g[:, None] + self.Gq @ dv
        has = red.G_col >= 0
        x[has] += red.G_coef[has, None] * z[red.G_col[has]]
        return x

    def _refactorised(self, v: np.ndarray) -> np.ndarray:
        c = apply(self.c, self.bound, v)
        red = reduce_system(c)
        z = np.zeros(red.R.shape[1])
        if len(self.cols):
            A = red.R[self.rows][:, self.cols]
            try:
                z[self.cols] = BlockSolver(A).solve(red.r[self.rows])
                if np.isfinite(z).all() and not solves(A, z[self.cols], red.r[self.rows]):
                    raise SingularBlock(self.cols, "numerically singular")
            except SingularBlock:
                raise BalanceError(f"a draw of the inputs makes the balances singular (shares "
                                   f"that pass everything on around a loop): "
                                   f"{_values(self.bound, v)}") from None
        self._check_surplus(red.R, z[:, None], red.r[:, None])
        return red.flows_of(z)

    def _check_surplus(self, R, z, r) -> None:
        if not len(self.surplus) or not np.isfinite(z).all():
            return
        Rs = R[self.surplus]
        res = Rs @ z - r[self.surplus]
        scale = abs(Rs) @ np.abs(z) + np.abs(r[self.surplus])
        bad = np.abs(res) > SURPLUS_RTOL * np.maximum(scale, 1e-300)
        if bad.any():
            nodes = self.c.node_ids[self.red.row_node[self.surplus[np.any(bad, axis=1)]]]
            raise InconsistentError(
                "the drawn inputs make over-determined data contradict each other at node(s) "
                f"{', '.join(map(repr, nodes[:5]))}: an uncertain quantity there is fixed "
                f"twice; vary only one of the values the balance ties together",
                nodes=list(nodes))

    # -- everything -----------------------------------------------------------------------------
    def evaluate(self, V: np.ndarray, progress=None, chunk: int = 64) -> dict:
        """The recorded columns (draws x kept flows) for each row of V."""
        n = len(V)
        out = {col: np.empty((n, len(self.keep))) for col in self.columns}
        for lo in range(0, n, chunk):
            block = V[lo:lo + chunk]
            X = self.quantities(block, first=lo)
            for d in range(len(block)):
                self.record(out, lo + d, block[d], X[:, d])
                if progress is not None:
                    progress.update(lo + d + 1)
        return out

    def record(self, out: dict, row: int, v: np.ndarray, x: np.ndarray, computed=None):
        """Store one draw's columns; `computed` = values(v, x) if the caller has it."""
        k = self.keep
        if "quantity" in out:
            out["quantity"][row] = x[k]
        if not self.values_needed:
            return
        c, values = self.values(v, x, row) if computed is None else computed
        names = list(values.names)
        for col in self.columns:
            if col == "quantity":
                continue
            if col == "cost":
                idx = [names.index(a) for a in COST_ATTRIBUTES]
                out[col][row] = values.flow[k][:, idx].sum(axis=1)
            elif col == "value":
                out[col][row] = x[k] * np.nan_to_num(c.price[k], nan=0.0)
            elif col == "price":
                out[col][row] = c.price[k]
            else:
                out[col][row] = values.flow[k, names.index(col)]

    def values(self, v: np.ndarray, x: np.ndarray, row: int | None = None):
        """The draw's compiled arrays (prices, factors, own costs) and its value flow; an
        error names the draw (number `row`) and its input values."""
        if self.value_idx:
            c = apply(self.c, [self.bound[j] for j in self.value_idx], v[self.value_idx])
        else:
            c = self.c
        try:
            return c, propagate(c, x, cache=self.prop_cache)
        except FlowgraphError as exc:
            label = self.draw_label(row, v) if row is not None else ""
            raise type(exc)(f"{label}{exc}", nodes=exc.nodes, flows=exc.flows,
                            origin=exc.origin) from None

    def result(self, c, x, values, scenario: str | None = None) -> Result:
        """A Result for one draw (for figures)."""
        bal = Balance(x, np.zeros(0), self.red, self.balance.structure, None, np.zeros(0),
                      np.zeros(0, np.int64))
        return Result(c, bal, values, scenario=scenario)


def _recipe_columns(c: Compiled, root, mult, flows: list[int]) -> sp.csr_matrix:
    """Gq[f, j] = d g_f / d value of flows[j]: the recipe multiplier of every flow whose
    chain ends at that known flow (1 for the flow itself)."""
    if not flows:
        return sp.csr_matrix((c.n_flows, 0))
    pos = np.full(c.n_flows, -1, dtype=np.int64)
    pos[np.array(flows)] = np.arange(len(flows))
    j = pos[root]
    sel = np.flatnonzero((j >= 0) & (c.spec[root] == KNOWN))
    return sp.csr_matrix((mult[sel], (sel, j[sel])), shape=(c.n_flows, len(flows)))


def _values(bound, v) -> str:
    return ", ".join(f"{b.name} = {x:.6g}" for b, x in zip(bound, v))
