"""The Solver: closes the balances and propagates value for one network structure, again and
again, keeping its factorisations.

    solver = Solver(net)
    base = solver.solve()                        # compile, balance, propagate
    better = solver.solve(net.apply(measure))    # same structure: factorisations reused

A Solver owns two caches: the factorisation of the square part of the balance system and the
one of the value-flow system (I - K). A network of the same structure (a scenario that changes
values, not flows) reuses them whenever the matrices are the same, which every solve verifies;
nothing is assumed. A Solver pickles without its factorisations (SuperLU objects do not
pickle): another process rebuilds them on its first solve.
"""

from __future__ import annotations

import time

import numpy as np

from ..model.scenario import Scenario
from .balance import CONSISTENCY_RTOL, solve_balance
from .check import CheckReport, check_network
from .compiled import compile_network
from .propagate import propagate
from .reconciliation import reconcile_network
from .result import Result


class Solver:
    """Solves a network (by default the one it was made for) and scenarios of it, reusing
    the balance and value-flow factorisations across solves."""

    def __init__(self, network=None, *, strict: bool = True, rtol: float | None = None):
        #: the network solved when solve() is given none (a snapshot: later edits of the
        #: caller's network do not change it)
        self.network = network.copy() if network is not None else None
        self.strict = strict
        self.rtol = CONSISTENCY_RTOL if rtol is None else rtol
        self._cache: dict = {}

    def __repr__(self) -> str:
        name = self.network.name if self.network is not None else "no network"
        return f"<Solver '{name}': {len(self._cache)} factorisation(s) held>"

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_cache"] = {}
        return state

    def _target(self, network):
        net = network if network is not None else self.network
        if net is None:
            raise TypeError("Solver.solve() needs a network: give one here or to Solver()")
        return net

    def solve(self, network=None, *, scenario: str | None = None, strict: bool | None = None,
              rtol: float | None = None) -> Result:
        """Compile, balance and propagate `network` (default: the solver's); a Result.

        A scenario object is applied to the solver's network. Raises a FlowgraphError
        subclass naming what is wrong (a negative or non-finite flow or value included);
        strict=False leaves undetermined flows NaN (Result.undetermined names them). Rounding
        noise, within rtol of the scale of its balance or node, is exactly 0."""
        if isinstance(network, Scenario):
            scenario = scenario or network.name
            network = network.apply_to(self._target(None))
        net = self._target(network)
        strict = self.strict if strict is None else strict
        t0 = time.perf_counter()
        compiled = compile_network(net)
        t1 = time.perf_counter()
        rtol = self.rtol if rtol is None else rtol
        bal = solve_balance(compiled, cache=self._cache, strict=strict, rtol=rtol)
        t2 = time.perf_counter()
        values = propagate(compiled, np.nan_to_num(bal.x, nan=0.0), cache=self._cache,
                           rtol=rtol)
        t3 = time.perf_counter()
        timings = {"compile": t1 - t0, **{f"balance_{k}": v for k, v in bal.timings.items()},
                   "balance": t2 - t1, "propagate": t3 - t2}
        return Result(compiled, bal, values, scenario=scenario, timings=timings,
                      cache=self._cache)

    def check(self, network=None, *, rtol: float | None = None) -> CheckReport:
        """Diagnose the network without raising: a CheckReport whose `ok` says whether
        solve() returns a result (with this solver's strictness and tolerance)."""
        return check_network(self._target(network), rtol=self.rtol if rtol is None else rtol,
                             strict=self.strict)

    def reconcile(self, network=None, **options):
        """Reconcile measured values with the balances (solvers.reconciliation); a
        Reconciliation, a Result with sigma, adjustment and tests per flow."""
        return reconcile_network(self._target(network), cache=self._cache, **options)
