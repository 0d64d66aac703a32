"""Headline figures of a case evaluated on one run's result, as `flowgraph run` evaluates
them (app/figures.py): the same expressions, figure language (solvers/queries.py) and
plugin figure functions, parsed once and evaluated per run.

A sweep evaluates the figures that are evaluated on the base (no `scenario`): each run is
the base with the run's changes, so they are evaluated on the run's own result; a figure
that names a scenario of its own is not a per-run figure (sweep that scenario instead).
"""

from __future__ import annotations

import numpy as np

from ...errors import ExpressionError, FlowgraphError
from ...expr import Expression
from ...solvers.queries import result_functions
from ..registry import figure_functions


class FigureSet:
    """The case's base figures, parsed; `values(result)` gives the kept ones."""

    def __init__(self, case, names: list):
        self.case = case
        self.names = list(names)
        self.exprs = {f.name: (Expression(f.expr, origin=f.origin,
                                          what=f"figure '{f.name}': expression"), f.origin)
                      for f in case.figures if f.scenario in (None, "base")}

    def values(self, result) -> list[float]:
        """The kept figures on one result (NaN for a figure that is not a number);
        FlowgraphError naming the figure when one cannot be evaluated."""
        if not self.names:
            return []
        funcs = {**result_functions(result), **figure_functions(self.case, result)}
        done: dict = {}
        busy: set = set()

        def value_of(name):
            if name in done:
                return done[name]
            if name not in self.exprs:
                raise ExpressionError(f"figure(): no figure '{name}' is evaluated on a run "
                                      f"(figures of a scenario of their own are not)")
            if name in busy:
                raise ExpressionError(f"figure '{name}' refers to itself through figure()")
            busy.add(name)
            expr, origin = self.exprs[name]
            try:
                v = expr.evaluate({}, {**funcs, "figure": value_of})
            except FlowgraphError as exc:
                if exc.origin is None and origin:
                    raise type(exc)(f"figure '{name}': {exc}", origin=origin) from None
                raise
            busy.discard(name)
            done[name] = v
            return v

        return [_number(value_of(n)) for n in self.names]


def _number(v) -> float:
    return float(v) if isinstance(v, (int, float, np.number)) and not isinstance(v, bool) \
        else float("nan")
