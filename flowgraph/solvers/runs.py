"""The run engine: one network structure compiled and solved once; runs that change only
values (known quantities, shares, recipe ratios, prices, carrier factors, node costs) are
written into its arrays and solved in batches.

    engine = RunEngine(net, [Input("carrier", "coal", "price"), ...])
    results = engine.results(V)          # one Result (or the FlowgraphError) per row of V

Each row of V (runs x parameters) is one run; a parameter left at its nominal value costs
nothing. A run is solved the cheapest way that gives what `net.apply(scenario).solve()`
gives (docs/methods/sweeps.md has the mathematics):

- prices, carrier factors and own amounts only: quantities and allocation keys are the
  nominal ones; value flow is linear in them (runvalues.py: one multi-right-hand-side solve
  per chunk, none for carrier prices and factors);
- known quantities: right-hand sides of the nominal balance factorisation (batch.py), value
  flow by refinement from the nominal value factorisation;
- shares and recipe ratios: the balance of the run is reduced and solved anew.

Every run is screened as Solver.solve screens a solve (negative and non-finite flows and
values refused by name, rounding noise 0); a run that fails comes back as its
FlowgraphError, named 'run N (parameter = value, ...)', and the others go on.
"""

from __future__ import annotations

import dataclasses
from functools import cached_property

import numpy as np

from ..errors import FlowgraphError
from . import runchecks
from .balance import CONSISTENCY_RTOL, Balance
from .batch import Balances, Labels, relabel
from .compiled import Compiled, compile_network
from .inputs import VALUE_ARRAYS, Bound, bind
from .propagate import propagate
from .result import Result
from .runcarry import Carry, chained_runs
from .runrefine import keyed_runs
from .runvalues import ValueRuns


class RunEngine:
    """One network structure compiled and solved once; runs that change only values (known
    quantities, shares, recipe ratios, prices, carrier factors, node costs) are written into
    its arrays and solved in batches."""

    def __init__(self, network, params, *, strict: bool | None = None,
                 rtol: float | None = None, reuse: bool = True, label: str = "run",
                 validate: bool = True):
        """params: Inputs (solvers.inputs; dist None for parameters set by hand). strict:
        as Solver (default: the network's meta 'strict', else True). reuse=False solves
        every run anew (for benchmarks). validate: refuse values the scenario edit setting
        them would refuse (range, finite, magnitude; runchecks.py)."""
        strict = bool(network.meta.get("strict", True)) if strict is None else strict
        c = compile_network(network)
        self._setup(c, bind(list(params), c), strict, rtol, reuse, label, validate)

    @classmethod
    def from_compiled(cls, c: Compiled, bound: list[Bound], *, strict: bool = True,
                      rtol: float | None = None, reuse: bool = True, label: str = "run",
                      validate: bool = True) -> RunEngine:
        """An engine of compiled arrays with parameters already bound to them."""
        engine = cls.__new__(cls)
        engine._setup(c, bound, strict, rtol, reuse, label, validate)
        return engine

    def _setup(self, c, bound, strict, rtol, reuse, label, validate=True) -> None:
        self.c, self.bound, self.label = c, own_prices_first(bound), label
        self.validate = validate
        self.limits = runchecks.limits(self.bound, c)
        self.params = [b.input for b in self.bound]
        self.rtol = CONSISTENCY_RTOL if rtol is None else rtol
        self.nominal_values = np.array([b.nominal for b in self.bound], dtype=float)
        self.balances = Balances(c, self.bound, strict=strict, rtol=self.rtol, reuse=reuse)
        self.x_nominal = self.balances.nominal.x      # undetermined flows NaN (strict=False)
        self.x = np.nan_to_num(self.x_nominal, nan=0.0)  # as value flow takes them
        cache = self.balances.cache
        self.nominal_flow = propagate(c, self.x, cache=cache, rtol=self.rtol)
        self.values = ValueRuns(c, self.bound, self.x, cache, self.rtol)
        self.is_matrix = self.balances.matrix
        self.is_quantity = np.array([b.array == "value" for b in self.bound], dtype=bool)
        self.is_value = np.array([b.array in VALUE_ARRAYS for b in self.bound], dtype=bool)

    def __repr__(self) -> str:
        return (f"<RunEngine '{self.c.network.name}': {len(self.bound)} parameter(s), "
                f"{self.c.n_flows} flows>")

    @property
    def nominal(self) -> Result:
        """The network as given, solved (what Solver.solve gives)."""
        return Result(self.c, self.balances.nominal, self.nominal_flow)

    def changed(self, V: np.ndarray) -> np.ndarray:
        """(runs x params): where a run sets a parameter to other than its nominal value."""
        nom = self.nominal_values
        return ~((V == nom) | (np.isnan(V) & np.isnan(nom)))

    def labels(self, V: np.ndarray, first: int = 0, changed=None) -> Labels:
        """'run N (parameter = value, ...): ' per row (the parameters it changes), the
        prefix of its messages."""
        return Labels(self.label, first, self.bound, V,
                      self.changed(V) if changed is None else changed)

    @np.errstate(over="ignore", invalid="ignore")   # overflow is found by name, not warned of
    def results(self, V: np.ndarray, first: int = 0, *, values: bool = True) -> list:
        """One entry per row of V (runs x params): a Result snapshot of that run, or the
        FlowgraphError the run raised (its message names the run number first + i).
        values=False: quantities only (no value flow; the results carry no values)."""
        V = np.atleast_2d(np.asarray(V, dtype=float))
        if V.shape[1] != len(self.bound):
            raise ValueError(f"V has {V.shape[1]} columns; the engine has {len(self.bound)} "
                             f"parameters")
        changed = self.changed(V)
        labels = self.labels(V, first, changed)
        refused = runchecks.refused(self.bound, V, changed, labels, self.limits,
                                    self.c.network) if self.validate else {}
        changed[list(refused)] = False              # nothing of a refused run is solved
        X, failed = self.quantities(V, changed, labels)
        failed.update(refused)
        if not values:
            return [failed[d] if d in failed else
                    RunResult(self, V[d], changed[d], X.get(d, self.x_nominal), None,
                              f"{self.label} {first + d}") for d in range(len(V))]
        states = {d: self.values.state(V[d], changed[d], _finite(X.get(d)))
                  for d in range(len(V)) if d not in failed}
        keyed = [d for d in states if d in X or self.values.keyed(changed[d])]
        linear = [d for d in states if d not in keyed]
        out: list = [None] * len(V)
        for d, err in failed.items():
            out[d] = err
        for group, solve in ((linear, self.values.linear),
                             (keyed, lambda *a: keyed_runs(self.values, *a))):
            if not group:
                continue
            for d, got in zip(group, solve([states[d] for d in group], labels.subset(group))):
                out[d] = got if isinstance(got, FlowgraphError) else \
                    RunResult(self, V[d], changed[d], X.get(d, self.x_nominal), got,
                              f"{self.label} {first + d}")
        return out

    @np.errstate(over="ignore", invalid="ignore")
    def chained(self, V: np.ndarray, quantities: list, carry: Carry, first: int = 0) -> list:
        """Value flow of runs in order (periods) whose quantities are solved (one array per
        run, e.g. the quantities of results(values=False)), each receiving at carry.nodes
        what carry.kept took out of the run before (runcarry.py): a RunResult per run; at
        the first that fails its FlowgraphError, and None for the runs after it."""
        V = np.atleast_2d(np.asarray(V, dtype=float))
        changed = self.changed(V)
        labels = self.labels(V, first, changed)
        states = [self.values.state(V[d], changed[d], _finite(quantities[d]))
                  for d in range(len(V))]
        got = chained_runs(self.values, states, labels, carry)
        return [g if g is None or isinstance(g, FlowgraphError) else
                RunResult(self, V[d], changed[d], quantities[d], g, f"{self.label} {first + d}")
                for d, g in enumerate(got)]

    @np.errstate(over="ignore", invalid="ignore")
    def flows_at(self, V: np.ndarray, flows, first: int = 0) -> np.ndarray:
        """Quantities (runs x len(flows)) of `flows` alone, for a caller that reads a few
        flows of runs whose Results it would discard. Runs that change known quantities take
        Balances.flows_at (no Result, no screening); runs that change shares or recipes, or
        that validation refuses, are solved by results(). A NaN row: a run that failed or
        that the light way cannot vouch for; results() on it gives its Result or error."""
        V = np.atleast_2d(np.asarray(V, dtype=float))
        flows = np.asarray(flows, dtype=np.int64)
        changed = self.changed(V)
        full = changed[:, self.is_matrix].any(axis=1)
        if self.validate:
            refused = runchecks.refused(self.bound, V, changed, self.labels(V, first, changed),
                                        self.limits, self.c.network)
            full[list(refused)] = True
        X = np.empty((len(V), len(flows)))
        X[:] = self.x_nominal[flows]                # runs that leave the balance as it is
        rhs = np.flatnonzero(changed[:, self.is_quantity].any(axis=1) & ~full)
        if len(rhs):
            X[rhs] = self.balances.flows_at(V[rhs], flows)
        rows = np.flatnonzero(full)
        if len(rows):
            got = self.results(V[rows], first, values=False)
            X[rows] = [np.full(len(flows), np.nan) if isinstance(r, FlowgraphError)
                       else r.quantities[flows] for r in got]
        return X

    def quantities(self, V, changed, labels):
        """Quantities of the runs that change the balance ({row: x}), and the errors."""
        matrix = changed[:, self.is_matrix].any(axis=1)
        rhs = np.flatnonzero(changed[:, self.is_quantity].any(axis=1) & ~matrix)
        X, failed = {}, {}
        if len(rhs):
            x, errs = self.balances.rhs_runs(V[rhs], labels.subset(rhs))
            x = np.ascontiguousarray(x.T)         # a run's flows contiguous, not strided
            for k, d in enumerate(rhs):
                if k in errs:
                    failed[d] = errs[k]
                else:
                    X[d] = x[k]
        for d in np.flatnonzero(matrix):
            try:
                X[d] = self.balances.solve_anew(V[d])
            except FlowgraphError as exc:
                failed[d] = relabel(exc, labels[d])
        return X, failed


class RunResult(Result):
    """The Result of one run: it shares the engine's compiled structure; the run's compiled
    arrays (prices, factors, costs) and tables are built only when read."""

    def __init__(self, engine: RunEngine, v: np.ndarray, changed: np.ndarray, x: np.ndarray,
                 values, scenario: str):
        self._engine, self._v, self._changed, self._x = engine, v, changed, x
        self.values = values
        self.scenario = scenario
        self.timings = {}
        self._cache = None

    @property
    def static(self) -> Compiled:
        return self._engine.c

    @property
    def network(self):
        return self._engine.c.network

    @cached_property
    def compiled(self) -> Compiled:
        """The run's compiled arrays (its parameters written in)."""
        if not self._changed.any():
            return self._engine.c
        return self._engine.balances.arrays(self._v, self._changed)

    @cached_property
    def balance(self) -> Balance:
        nominal = self._engine.balances.nominal
        return Balance(self._x, np.zeros(0), nominal.reduced, nominal.structure, None,
                       np.zeros(0), nominal.surplus_rows, undetermined=nominal.undetermined)

    def __reduce__(self):
        return (Result, (self.compiled, self.balance, self.values, self.scenario, self.timings))


def _finite(x):
    """Quantities as value flow takes them: undetermined ones (strict=False) count 0."""
    return x if x is None or not np.isnan(x).any() else np.nan_to_num(x, nan=0.0)


def own_prices_first(bound: list[Bound]) -> list[Bound]:
    """A flow whose price is a parameter of its own keeps it whatever its carrier's price
    parameter says (as a flow's own price overrides its carrier's): the carrier's price
    parameters do not reach the flows that have one."""
    own = [b.index for b in bound if b.array == "price" and b.input.kind == "flow"]
    if not own:
        return list(bound)
    own = np.concatenate(own)
    out = []
    for b in bound:
        if b.array == "price" and b.input.kind == "carrier":
            keep = ~np.isin(b.index, own)
            b = dataclasses.replace(b, index=b.index[keep], factor=b.factor[keep])
        out.append(b)
    return out
