"""The balance half of the run engine (runs.py): flow quantities of many runs of one network.

The balance system R z = r (balance.py) keeps its matrix when only known quantities change:
r and the constant part of x = G z + g are affine in them,

    r = r_nom - E dv,    x = g_nom + Gq dv + G z,

so every such run is a right-hand side of the one factorisation the nominal solve made (its
core block solver and the unknowns peeled before it), solved many at a time and each
verified. Shares and recipe ratios change R itself: such a run is reduced anew and, while
R keeps its pattern and few rows change, solved with the same factorisation by the
Woodbury identity (lowrank.py); otherwise solved anew (balance.solve_balance on its
arrays). Every run is screened as a solve is: non-finite and negative flows refused by
name, rounding noise set to 0, over-determined data checked.
"""

from __future__ import annotations

import copy
import dataclasses

import numpy as np
import scipy.sparse as sp

from ..errors import FlowgraphError
from .balance import (
    CONSISTENCY_RTOL,
    MAX_AMPLIFICATION,
    constant_incidence,
    reduce_system,
    resolve_recipes,
    solve_balance,
)
from .compiled import Compiled
from .diagnosis import (
    inconsistent_error,
    negative_error,
    nonfinite_flows_error,
    residual_table,
    row_scale,
    runs_to_screen,
    screen_flows,
    singular_error,
)
from .inputs import MATRIX_ARRAYS, Bound, apply
from .lowrank import LowRank, Slice, entries
from .propagate import ATTRIBUTES
from .sparse import residual_excess
from .specs import KNOWN
from .validation import check_shares

#: flow columns a run can record, as in Result.flows
COLUMNS = ("quantity", "cost", *ATTRIBUTES, "price", "value")


def relabel(exc: FlowgraphError, prefix: str) -> FlowgraphError:
    """The same error (type, flows, nodes, origin, details) with `prefix` before its text."""
    out = copy.copy(exc)
    out.args = (prefix + str(exc),) + tuple(exc.args[1:])
    return out


def _amplified_entries(y: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Where a batched solution exceeds MAX_AMPLIFICATION times its run's data (unknowns x
    runs; a run without data never): the sign of a (nearly) singular core."""
    scale = np.max(np.abs(b), axis=0, initial=0.0)
    return (np.abs(y) > MAX_AMPLIFICATION * scale) & (scale > 0)


class Balances:
    """The solved nominal balance and what runs reuse of it."""

    def __init__(self, c: Compiled, bound: list[Bound], *, strict: bool = True,
                 rtol: float = CONSISTENCY_RTOL, reuse: bool = True):
        self.c, self.bound, self.strict, self.rtol, self.reuse = c, bound, strict, rtol, reuse
        self.cache: dict = {}
        self.nominal = solve_balance(c, cache=self.cache, strict=strict, rtol=rtol)
        red = self.red = self.nominal.reduced
        self.matrix = np.array([b.array in MATRIX_ARRAYS for b in bound], dtype=bool)
        self.q = np.array([j for j, b in enumerate(bound) if b.array == "value"], dtype=np.int64)
        flows = np.array([bound[j].index[0] for j in self.q], dtype=np.int64)
        self.q_nominal = c.value[flows]
        root, mult = resolve_recipes(c)
        self.Gq = _recipe_columns(c, root, mult, flows)
        self.E = (constant_incidence(c, red) @ self.Gq).tocsr() if len(flows) else None
        rows, cols = self.nominal.square
        self.rows, self.cols = rows, cols
        self.A_sq = red.R[rows][:, cols].tocsr() if len(cols) else None
        peel = self.nominal.peel
        self.rounds = [(rows_, cols_, coef, red.R[rows_].tocsr())
                       for rows_, cols_, coef in peel.rounds] if peel is not None else []
        self.surplus = self.nominal.surplus_rows
        self.R_surplus = red.R[self.surplus].tocsr() if len(self.surplus) else None
        solver = self.nominal.solver
        self.lowrank = LowRank(solver, self.A_sq, MAX_AMPLIFICATION) \
            if solver is not None and self.A_sq is not None and reuse else None
        self._slices = None
        self._take = None

    def slices(self):
        """Where a run's reduced matrix (of the nominal pattern) holds the square core, the
        peeled rounds (their rows and coefficients) and the surplus rows: gathers, built on
        the first run that changes the matrix."""
        if self._slices is None:
            R = self.red.R
            self._slices = (Slice(R, self.rows, self.cols) if self.A_sq is not None else None,
                            [(rows, cols, entries(R, rows, cols), Slice(R, rows))
                             for rows, cols, _, _ in self.rounds],
                            Slice(R, self.surplus) if len(self.surplus) else None)
        return self._slices

    # -- runs that change known quantities only ---------------------------------------------
    @np.errstate(over="ignore", invalid="ignore")   # overflow is found by name, not warned of
    def rhs_runs(self, V: np.ndarray, labels):
        """Quantities (flows x runs) of runs that change known quantities only (V: runs x
        params), and the error of each run that fails ({column: FlowgraphError}, messages
        after the run's label). A run whose batched solve does not verify is solved anew."""
        failed: dict = {}
        if not self.reuse:                          # benchmarks: every run factorised anew
            return self._each_anew(V, labels, range(len(V)), failed)
        dv, r, z, y, b = self._solved(V)
        redo = []
        if y is not None:
            self._amplified(y, b, labels, failed)
            redo = [d for d in np.flatnonzero(residual_excess(self.A_sq, y, b) > 1.0)
                    if d not in failed]
        xt = self._flows_of(z, dv)                # runs x flows: a run's flows contiguous
        for d in self._to_screen(xt, z, r):
            if d not in failed and d not in redo:
                try:
                    self.screen(xt[d], z[:, d], r[:, d])     # rounding noise set to 0
                except FlowgraphError as exc:
                    failed[d] = relabel(exc, labels[d])
        x = xt.T                                  # flows x runs (a view)
        if redo:
            x[:, redo] = self._each_anew(V, labels, redo, failed)[0][:, redo]
        return x, failed

    def _solved(self, V: np.ndarray):
        """The runs' dv (changed known quantities, params x runs), r = r_nom - E dv, and z
        (a column per run): the square core by the nominal factorisation (y = z[cols] from
        b = r[rows]; both None without a core), the peeled unknowns back-substituted."""
        dv = (V[:, self.q] - self.q_nominal).T if len(self.q) else np.zeros((0, len(V)))
        r = self.red.r[:, None] - (self.E @ dv if self.E is not None else 0.0)
        z = np.full((self.red.R.shape[1], len(V)), np.nan)
        y = b = None
        if self.A_sq is not None:
            b = r[self.rows]
            y = self.nominal.solver.solve(b)
            z[self.cols] = y
        self._back_substitute(r, z)
        return dv, r, z, y, b

    @np.errstate(over="ignore", invalid="ignore")
    def flows_at(self, V: np.ndarray, flows) -> np.ndarray:
        """Quantities (runs x len(flows)) of `flows` alone in runs that change known
        quantities only (V: runs x params), solved as rhs_runs solves them but not assembled
        for every flow nor screened: for a caller that reads a few flows of runs whose
        results it discards. NaN rows: runs rhs_runs could refuse, re-solve or change at
        these flows (not finite, amplified, not verified, a flow negative); the caller solves
        them the full way. A flow screening would round to 0 keeps its noise here."""
        flows = np.asarray(flows, dtype=np.int64)
        if not self.reuse:
            return np.full((len(V), len(flows)), np.nan)
        dv, r, z, y, b = self._solved(V)
        bad = np.zeros(len(V), dtype=bool)
        if y is not None:
            bad |= _amplified_entries(y, b).any(axis=0)
            bad |= ~(residual_excess(self.A_sq, y, b) <= 1.0)
        xt = self._some_flows(z, dv, flows)
        bad |= ~np.isfinite(xt).all(axis=1) | (xt < 0).any(axis=1)   # screening names those
        xt[bad] = np.nan
        return xt

    def _some_flows(self, z: np.ndarray, dv: np.ndarray, flows: np.ndarray) -> np.ndarray:
        """x of `flows` only, runs x flows, by the arithmetic of _flows_of."""
        red, (idx, coef) = self.red, self._gather()
        if idx is None:                             # a flow follows two: the general sum
            x = red.g[flows, None] + self.Gq[flows] @ dv
            col = red.G_col[flows]
            has = col >= 0
            x[has] += red.G_coef[flows[has], None] * z[col[has]]
            return np.ascontiguousarray(x.T)
        nz, q, at = z.shape[0], dv.shape[0], idx[flows]
        src = np.zeros((len(flows), z.shape[1]))
        inz, ind = at < nz, (at >= nz) & (at < nz + q)
        src[inz] = z[at[inz]]
        src[ind] = dv[at[ind] - nz]
        xt = np.ascontiguousarray(src.T)
        xt *= coef[flows]
        xt += red.g[flows]
        return xt

    def _flows_of(self, z: np.ndarray, dv: np.ndarray) -> np.ndarray:
        """x = g + Gq dv + G z of every run, runs x flows, by one gather: a flow follows
        one unknown of z (G), or one changed known quantity (a row of Gq holds at most one:
        the flow itself, or the known flow its recipe is per), or nothing (a column of
        zeros)."""
        nz, q = z.shape[0], dv.shape[0]
        idx, coef = self._gather()
        if idx is None:                             # a flow follows two: the general sum
            x = self.red.g[:, None] + self.Gq @ dv
            has = self.red.G_col >= 0
            x[has] += self.red.G_coef[has, None] * z[self.red.G_col[has]]
            return np.ascontiguousarray(x.T)
        src = np.empty((z.shape[1], nz + q + 1))
        src[:, :nz] = z.T
        src[:, nz:nz + q] = dv.T
        src[:, -1] = 0.0
        xt = np.take(src, idx, axis=1)
        xt *= coef
        xt += self.red.g
        return xt

    def _gather(self):
        """Per flow: the column of [z | dv | 0] it follows and its factor."""
        if self._take is None:
            red, Gq = self.red, sp.csr_matrix(self.Gq)
            nz, q = red.R.shape[1], Gq.shape[1]
            idx = np.full(len(red.G_col), nz + q, dtype=np.int64)
            coef = np.zeros(len(red.G_col))
            has = red.G_col >= 0
            idx[has], coef[has] = red.G_col[has], red.G_coef[has]
            counts = np.diff(Gq.indptr)
            if (counts > 1).any() or (has & (counts > 0)).any():
                self._take = (None, None)
                return self._take
            rows = np.flatnonzero(counts)
            idx[rows] = nz + Gq.indices[Gq.indptr[rows]]
            coef[rows] = Gq.data[Gq.indptr[rows]]
            self._take = (idx, coef)
        return self._take

    def _to_screen(self, x, z, r) -> np.ndarray:
        """The runs (rows of x, runs x flows) a solve's screening could find something in:
        a flow in question (runs_to_screen), or over-determined data whose rows do not
        close exactly; the others are screened by this test alone."""
        need = runs_to_screen(self.c, self.red, x, self.rtol)
        if self.R_surplus is not None:
            resid = self.R_surplus @ np.nan_to_num(z, nan=0.0) - r[self.surplus]
            need |= (resid != 0).any(axis=0)
        return np.flatnonzero(need)

    def _each_anew(self, V, labels, which, failed):
        x = np.full((self.c.n_flows, len(V)), np.nan)
        for d in which:
            try:
                x[:, d] = self.solve_anew(V[d])
            except FlowgraphError as exc:
                failed[d] = relabel(exc, labels[d])
        return x, failed

    def solve_anew(self, v: np.ndarray) -> np.ndarray:
        """Quantities of one run that changes shares or recipe ratios (or whose batched
        solve did not verify): reduced anew, solved by the nominal factorisation when its
        matrix differs in a few rows (lowrank.py), else by a solve of its own (analyse,
        factorise), which names what is wrong."""
        c = self.arrays(v)
        check_shares(c)
        x = self._low_rank(c) if self.lowrank is not None else None
        return x if x is not None else solve_balance(c, strict=self.strict, rtol=self.rtol).x

    def _low_rank(self, c: Compiled) -> np.ndarray | None:
        """The run's quantities through the nominal factorisation, screened as a solve
        screens them; None when its reduced system has another pattern or does not verify."""
        red, nom = reduce_system(c), self.red
        if not (red.R.shape == nom.R.shape and np.array_equal(red.R.indptr, nom.R.indptr)
                and np.array_equal(red.R.indices, nom.R.indices)
                and np.array_equal(red.G_col, nom.G_col)):
            return None
        square, rounds, surplus = self.slices()
        data = red.R.data
        z = np.full(red.R.shape[1], np.nan)
        if square is not None:
            y = self.lowrank.solve(square.of(data), red.r[self.rows])
            if y is None:
                return None
            z[self.cols] = y
        self._back_substitute(red.r[:, None], z[:, None],
                              [(rows, cols, data[pos], part.of(data))
                               for rows, cols, pos, part in rounds])
        x = red.flows_of(z)
        self.screen(x, z, red.r, red, surplus.of(data) if surplus is not None else None)
        return x

    def arrays(self, v: np.ndarray, only=None) -> Compiled:
        """The compiled arrays of a run (all its parameters, or those where `only`)."""
        sel = range(len(self.bound)) if only is None else np.flatnonzero(only)
        return apply(self.c, [self.bound[j] for j in sel], np.asarray(v)[list(sel)])

    def _amplified(self, y, b, labels, failed) -> None:
        big = _amplified_entries(y, b)
        for d in np.flatnonzero(big.any(axis=0)):
            failed[d] = relabel(singular_error(self.c, self.red,
                                               self.cols[np.flatnonzero(big[:, d])]), labels[d])

    def _back_substitute(self, r: np.ndarray, z: np.ndarray, rounds=None) -> None:
        """The peeled unknowns from their equations, for every run at once (z, r: a column
        per run); rounds: (rows, cols, coefficients, R's rows) of a run whose matrix is not
        the nominal one."""
        for rows, cols, coef, R_rows in reversed(self.rounds if rounds is None else rounds):
            z[cols] = 0.0
            z[cols] = (r[rows] - R_rows @ z) / coef[:, None]

    def screen(self, x: np.ndarray, z: np.ndarray, r: np.ndarray, red=None,
               R_surplus=None) -> None:
        """As solve_balance screens a solution: non-finite flows, over-determined data
        that contradict each other, negative flows (by name); rounding noise in x is 0.
        red, R_surplus: the run's reduced system and its surplus rows when its matrix is
        not the nominal one."""
        c, st = self.c, self.nominal.structure
        R_surplus = self.R_surplus if red is None else R_surplus
        red = dataclasses.replace(self.red, r=r) if red is None else red
        screened = screen_flows(c, red, st, x, self.rtol, self.nominal.undetermined)
        if len(screened.nonfinite):
            raise nonfinite_flows_error(c, screened.nonfinite)
        if R_surplus is not None:
            resid = R_surplus @ np.nan_to_num(z, nan=0.0) - r[self.surplus]
            if resid.any():
                scale = row_scale(c, red, x, self.surplus)
                bad = np.abs(resid) > self.rtol * np.maximum(scale, 1e-300)
                if bad.any():
                    exc = inconsistent_error(c, red, self.surplus[bad], resid[bad],
                                             residual_table(c, x))
                    nodes = ", ".join(map(repr, dict.fromkeys(exc.nodes[:5])))
                    raise relabel(exc, f"the run's values make over-determined data contradict "
                                       f"each other at node(s) {nodes}: a value there is fixed "
                                       f"twice; vary only one of the values a balance ties "
                                       f"together. ")
        if len(screened.negative):
            raise negative_error(c, red, st, x, screened.negative)


class Batch:
    """Quantities of draws of uncertain inputs, raising the first draw's error: the balance
    half of runs.RunEngine under the name it had (Batch(net, c, bound).quantities(V))."""

    def __init__(self, net, c: Compiled, bound: list[Bound], columns=("quantity",),
                 reuse: bool = True, flows=None):
        self.net, self.c, self.bound = net, c, bound
        self.balances = Balances(c, bound, reuse=reuse)

    def quantities(self, V: np.ndarray, first: int = 0) -> np.ndarray:
        V = np.atleast_2d(np.asarray(V, dtype=float))
        labels = Labels("draw", first, self.bound, V)
        matrix = self.balances.matrix
        same = np.all(V[:, matrix] == [b.nominal for b, m in zip(self.bound, matrix) if m],
                      axis=1) if matrix.any() else np.ones(len(V), dtype=bool)
        x = np.empty((self.c.n_flows, len(V)))
        failed: dict = {}
        rhs = np.flatnonzero(same)
        if len(rhs):
            x[:, rhs], errs = self.balances.rhs_runs(V[rhs], labels.subset(rhs))
            failed.update({rhs[k]: e for k, e in errs.items()})
        for d in np.flatnonzero(~same):
            try:
                x[:, d] = self.balances.solve_anew(V[d])
            except FlowgraphError as exc:
                failed[d] = relabel(exc, labels[d])
        if failed:
            raise failed[min(failed)]
        return x


def values_text(bound, v, changed=None, limit: int = 10) -> str:
    """'flow 'x' quantity = 3, ...': a run's parameter values (those `changed` marks, if
    given; at most `limit`), for messages."""
    idx = np.arange(len(bound)) if changed is None else np.flatnonzero(changed)
    shown = ", ".join(f"{bound[j].name} = {v[j]:.6g}" for j in idx[:limit])
    return shown + (f" and {len(idx) - limit} more" if len(idx) > limit else "")


class Labels:
    """'run N (parameter = value, ...): ' per run, the prefix of its messages, written only
    when a message needs it (a study of a thousand parameters fails rarely)."""

    def __init__(self, word: str, first: int, bound, V: np.ndarray, changed=None, rows=None):
        self.word, self.first, self.bound, self.V, self.changed = word, first, bound, V, changed
        self.rows = np.arange(len(V)) if rows is None else np.asarray(rows)

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i: int) -> str:
        d = int(self.rows[i])
        changed = None if self.changed is None else self.changed[d]
        return f"{self.word} {self.first + d} ({values_text(self.bound, self.V[d], changed)}): "

    def subset(self, rows) -> Labels:
        return Labels(self.word, self.first, self.bound, self.V, self.changed, self.rows[rows])


def _recipe_columns(c: Compiled, root, mult, flows: np.ndarray) -> sp.csr_matrix:
    """Gq[f, j] = d g_f / d value of flows[j]: the recipe multiplier of every flow whose
    chain ends at that known flow (1 for the flow itself)."""
    if not len(flows):
        return sp.csr_matrix((c.n_flows, 0))
    pos = np.full(c.n_flows, -1, dtype=np.int64)
    pos[flows] = np.arange(len(flows))
    j = pos[root]
    sel = np.flatnonzero((j >= 0) & (c.spec[root] == KNOWN))
    return sp.csr_matrix((mult[sel], (sel, j[sel])), shape=(c.n_flows, len(flows)))
