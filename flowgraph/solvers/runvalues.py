"""The value half of the run engine (runs.py): value flow of many runs of one network.

Value flow solves (I - K) A = B with B = U C (propagate.py): U per purchase group the
amounts bought at each node, the nodes' own amounts and the waste-management cost their
negative products carry; C the value per unit. A run that changes prices, factors or own
amounts only (quantities and keys as nominal) changes C and a few own amounts, nothing
else, so by linearity

    A_run = Y C_run + (I - K)^-1 dU_run,    Y = (I - K)^-1 U  (solved once),

and the dU of all such runs of a chunk are one multi-right-hand-side solve with the nominal
factorisation (none at all for carrier prices and factors). Runs whose quantities or keys
differ are refined from the nominal factorisation (runrefine.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import AllocationError, FlowgraphError
from ..model.schema import COST_CATEGORIES
from .batch import relabel
from .compiled import ALLOC_CODES, Compiled
from .inputs import VALUE_ARRAYS, Bound
from .keymoves import MOVED
from .keys import Keys, allocation_keys, core_solver, identity_rows, key_pattern, solve_peeled
from .propagate import (
    ATTRIBUTES,
    CATEGORY_ATTRIBUTE,
    CO2,
    TCE,
    WASTE,
    finish,
    node_origins,
    nonfinite_origins,
    purchase_coefficients,
    purchases,
    solve_values,
)
from .propagation import Injections, Propagation, purchase_groups, tall_product
from .sparse import fingerprint, residual_excess
from .threads import blas_limit

#: more purchase groups than this: origins are kept by attribute, not by group
MAX_GROUPS = 32


@dataclass
class Effect:
    """Where one parameter acts in value flow: the purchase groups' coefficients it sets
    (groups, column, factor), the node amount it sets (own or waste), the flows whose key
    weight it sets (a price where allocation is by value)."""

    groups: np.ndarray | None = None
    column: np.ndarray | None = None
    factor: np.ndarray | None = None
    node: int = -1
    node_column: int = -1
    waste: bool = False
    keyed: np.ndarray | None = None
    keyed_factor: np.ndarray | None = None


class RunState:
    """What value flow of one run starts from (None: as nominal)."""

    def __init__(self, x, coef, own, negative, key_coef):
        self.x = x                      # quantities
        self.coef = coef                # (groups, k) value per unit bought
        self.own = own                  # (nodes, k) own amounts
        self.negative = negative        # (nodes, k) waste-management cost
        self.key_coef = key_coef        # key weight per unit


class ValueRuns:
    """The nominal value flow of a network and what runs reuse of it."""

    def __init__(self, c: Compiled, bound: list[Bound], x: np.ndarray, cache: dict,
                 rtol: float):
        self.c, self.bound, self.rtol = c, bound, rtol
        self.x = x
        self.rows = purchases(c)
        split = [b.index for b in bound if b.array == "price" and b.input.kind == "flow"]
        self.group, first = purchase_groups(c, self.rows, np.unique(np.concatenate(split))
                                            if split else None)
        self.rep = self.rows[first]
        self.coef = purchase_coefficients(c, self.rep)
        self.own, self.negative = node_origins(c)
        self.key_coef = c.key_coefficients[0]
        self.value_params = np.array([j for j, b in enumerate(bound)
                                      if b.array in VALUE_ARRAYS], dtype=np.int64)
        self.effects = {int(j): self._effect(bound[j]) for j in self.value_params}
        self.by_groups = len(self.coef) <= MAX_GROUPS
        self.own_cols = np.flatnonzero(self.own.any(axis=0))
        self.has_waste = bool(self.negative[:, WASTE].any())
        self.pat = key_pattern(c)
        self.keys = allocation_keys(c, x, negative=self.has_waste)
        self.data = self.pat.data(self.keys.key)
        self.Mc = self.pat.core.matrix(self.data, drop_zeros=True)
        self.core_values = self.pat.core.values(self.data)     # what runs' keys move from
        self.core_moved = MOVED * np.abs(self.core_values)      # and by how much they move
        self.solver = cache.get(("value", fingerprint(self.Mc)))
        self.alone = identity_rows(c, self.pat, self.data, self.keys.key)
        self.inj = Injections(self.rows, x[self.rows], self.group, self.coef)
        self.U = self.columns(self.inj, self.own, self.negative, self.keys)
        self._Y = self._Y_core = None

    # -- parameters -----------------------------------------------------------------------
    def _effect(self, b: Bound) -> Effect:
        c = self.c
        if b.array in ("price", "tce", "co2"):
            hit = np.flatnonzero(np.isin(self.rep, b.index))
            factor = b.factor[np.searchsorted(b.index, self.rep[hit])]
            if b.array == "price":
                column = c.pair_category[c.pair[self.rep[hit]]].astype(np.int64)
                by_value = np.flatnonzero(c.allocation[c.tail[b.index]] == ALLOC_CODES["value"])
                return Effect(hit, column, factor, keyed=b.index[by_value],
                              keyed_factor=b.factor[by_value])
            return Effect(hit, np.full(len(hit), TCE if b.array == "tce" else CO2), factor)
        if b.array == "node_costs":
            cat = COST_CATEGORIES[b.column]
            waste = cat == "waste_management"
            col = WASTE if waste else ATTRIBUTES.index(CATEGORY_ATTRIBUTE[cat])
            return Effect(node=int(b.index[0]), node_column=col, waste=waste)
        return Effect(node=int(b.index[0]), node_column=CO2 if b.array == "node_co2" else TCE)

    def keyed(self, changed: np.ndarray) -> bool:
        """Whether changing the parameters `changed` (a mask) moves allocation keys."""
        return any(self.effects[int(j)].keyed is not None and len(self.effects[int(j)].keyed)
                   for j in self.value_params[changed[self.value_params]])

    def state(self, v: np.ndarray, changed: np.ndarray, x=None) -> RunState:
        """The starting point of one run's value flow: quantities `x` (nominal if None)."""
        s = RunState(self.x if x is None else x, self.coef, self.own, self.negative, None)
        for j in self.value_params[changed[self.value_params]]:
            e, val = self.effects[int(j)], v[j]
            if e.groups is not None and len(e.groups):
                s.coef = s.coef.copy() if s.coef is self.coef else s.coef
                s.coef[e.groups, e.column] = np.nan_to_num(val * e.factor, nan=0.0)
            if e.keyed is not None and len(e.keyed):
                s.key_coef = self.key_coef.copy() if s.key_coef is None else s.key_coef
                s.key_coef[e.keyed] = np.nan_to_num(val * e.keyed_factor, nan=0.0)
            if e.node >= 0:
                attr = "negative" if e.waste else "own"
                arr = getattr(s, attr)
                if arr is getattr(self, attr):
                    arr = arr.copy(order="F")
                    setattr(s, attr, arr)
                arr[e.node, e.node_column] = val
        return s

    # -- the columns of the origins ---------------------------------------------------------
    def columns(self, inj: Injections, own: np.ndarray, negative: np.ndarray,
                keys: Keys) -> np.ndarray:
        """U in the engine's layout: the purchase groups' amounts at their heads (or, with
        many groups, the injections by attribute), the nominally live columns of the own
        amounts, the waste-management cost the negative products carry (if any)."""
        c = self.c
        part = inj.group_sums(c.head, c.n_nodes) if self.by_groups else \
            inj.node_sums(c.head, c.n_nodes)
        cols = [part, own[:, self.own_cols]]
        if self.has_waste:
            cols.append(self._waste(keys, negative))
        return np.column_stack(cols)

    def coefficients(self, coef: np.ndarray) -> np.ndarray:
        """C of the layout for the purchase coefficients `coef`."""
        eye = np.eye(len(ATTRIBUTES))
        top = coef if self.by_groups else eye
        return np.vstack([top, eye[self.own_cols]] + ([eye[[WASTE]]] if self.has_waste else []))

    def extra(self, s: RunState, keys: Keys) -> tuple[np.ndarray, list]:
        """Origins of a run outside the layout: own amounts in columns nominally zero, waste
        cost where the network has none. (n x e) and the attribute of each column."""
        n = self.c.n_nodes
        cols, attrs = [], []
        if s.own is not self.own:
            others = [j for j in np.flatnonzero(s.own.any(axis=0)) if j not in self.own_cols]
            cols += [s.own[:, j] for j in others]
            attrs += others
        if not self.has_waste and s.negative is not self.negative and s.negative.any():
            cols.append(self._waste(keys, s.negative)[:, 0])
            attrs.append(WASTE)
        return (np.column_stack(cols) if cols else np.zeros((n, 0))), attrs

    def _waste(self, keys: Keys, negative: np.ndarray) -> np.ndarray:
        """(n, 1): the waste-management cost the negative products carry to their heads."""
        c = self.c
        neg = c.derive("negative_flows", lambda c: np.flatnonzero(c.negative))
        if keys.neg_key is None:
            return np.zeros((c.n_nodes, 1))
        return np.bincount(c.head[neg], weights=keys.neg_key[neg] * negative[c.tail[neg], WASTE],
                           minlength=c.n_nodes)[:, None]

    def keys_of(self, s: RunState) -> Keys:
        """The allocation keys of a run (the nominal ones when nothing moves them)."""
        waste = self.has_waste or (s.negative is not self.negative)
        if s.x is self.x and s.key_coef is None and (waste == self.has_waste):
            return self.keys
        return allocation_keys(self.c, s.x, negative=waste, coef=s.key_coef)

    # -- solving with the nominal factorisation ---------------------------------------------
    def core_solve(self, rhs):
        """M^-1 rhs on the core, by the nominal factorisation (the solve's, when held)."""
        if self.solver is None:
            self.solver = core_solver(self.pat, self.Mc)
        with blas_limit():
            return self.solver.solve(rhs)

    def solve_nominal(self, D: np.ndarray) -> np.ndarray:
        """(I - K_nom)^-1 D, each column verified (exactly anew where one is not)."""
        A, rhs, Y = solve_peeled(self.pat, self.data, D, self.core_solve)
        bad = residual_excess(self.Mc, Y, rhs) > 1.0
        if bad.any():
            A[:, bad] = solve_values(self.pat, self.data, D[:, bad], None, self.c)
        return A

    @property
    def Y(self) -> np.ndarray:
        """(I - K_nom)^-1 U_nom, solved once."""
        if self._Y is None:
            self._Y = self.solve_nominal(self.U)
        return self._Y

    @property
    def Y_core(self) -> np.ndarray:
        """Y's rows of the core."""
        if self._Y_core is None:
            self._Y_core = self.Y[self.pat.core_at]
        return self._Y_core

    # -- runs whose keys are the nominal ones ---------------------------------------------
    def linear(self, states: list[RunState], labels) -> list:
        """Value flow of runs with nominal quantities and keys: Propagation or error each."""
        deltas = [self._delta(s) for s in states]
        width = [d[0].shape[1] for d in deltas]
        solved = self.solve_nominal(np.column_stack([d[0] for d in deltas])) \
            if sum(width) else None
        out, at = [], 0
        for i, (s, (D, attrs), w) in enumerate(zip(states, deltas, width)):
            dA = solved[:, at:at + w] if w else None
            at += w
            try:
                out.append(self._linear_one(s, D, attrs, dA))
            except FlowgraphError as exc:
                out.append(relabel(exc, labels[i]))
        return out

    def _delta(self, s: RunState):
        """A run's origins beyond Y C: changed own amounts and waste cost, one column per
        attribute that changes, and those attributes."""
        n = self.c.n_nodes
        cols = {}
        if s.own is not self.own:
            diff = s.own - self.own
            for j in np.flatnonzero(diff.any(axis=0)):
                cols[int(j)] = diff[:, j]
        if s.negative is not self.negative:
            w = self._waste(self.keys_of(s), s.negative) - self._waste(self.keys, self.negative)
            cols[WASTE] = cols.get(WASTE, 0.0) + w[:, 0]
        attrs = sorted(cols)
        return (np.column_stack([cols[j] for j in attrs]) if attrs else np.zeros((n, 0))), attrs

    def _linear_one(self, s: RunState, D, attrs, dA) -> Propagation:
        C = self.coefficients(s.coef)
        B_alone = self.U[self.alone] @ C
        plus = None
        if dA is not None:
            B_alone[:, attrs] += D[self.alone]
            plus = (np.asarray(attrs), dA)
        inj = Injections(self.rows, self.x[self.rows], self.group, s.coef)
        if not np.isfinite(C).all() or (dA is not None and not np.isfinite(dA).all()):
            B = tall_product(self.U, C)
            if dA is not None:
                B[:, attrs] += D
            if not np.isfinite(B).all():
                raise nonfinite_origins(self.c, ATTRIBUTES, inj, B)
        keys = self.keys_of(s)
        check_allocatable(self.c, s.negative, keys)
        return finish(self.c, ATTRIBUTES, self.Y, C, keys, s.negative, inj, self.rtol,
                      self.alone, B_alone, plus)


def check_allocatable(c: Compiled, negative: np.ndarray, keys: Keys) -> None:
    """Waste-management cost needs a negative product to carry it."""
    waste = np.flatnonzero(negative[:, WASTE] != 0)
    bad = waste[keys.neg_total[waste] <= 0]
    if len(bad):
        raise AllocationError(
            f"node(s) {c.node_names(bad)} have waste-management cost but no negative product "
            f"(an output with role loss, emission or waste carrying the allocation key) to put "
            f"it on", nodes=list(c.node_ids[bad]))
