"""Headline figures of a case, computed from results by expressions in case.toml.

A figure is `expr` (the safe expression language of expr.py) evaluated on the result of the
base network or of a named scenario. Functions available in every expression:

- q(flow, unit=None): quantity of a flow (in `unit` if given);
- flow(flow, column), node(node, column): any column of result.flows / result.nodes;
- total(column, **where): sum of a flows column over flows matching where, e.g.
  total('tce', purchased=1) or total('quantity', carrier='water', role='loss');
  where-keys are flows columns plus purchased=1 (from a source) and sold=1 (to a sink);
- costs(category=None): the nodes' own added costs (system, energy, material,
  waste_management, or all);
- mfca(centre, product, category): an entry of the MFCA flow-cost matrix;
- figure(name): another figure of the case (possibly of another scenario);
plus min, max, abs, round, sqrt, log, exp, and the figure functions of installed plugins.
Evaluation is bounded (docs/expressions.md); every error names the figure, file and line.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ExpressionError, FlowgraphError
from ..expr import Expression
from ..solvers.queries import result_functions
from .registry import figure_functions


def evaluate_figures(case, plugins=None, results=None) -> list[dict]:
    """Every figure of the case: name, value, unit, published, deviation, scenario, expr.

    results: the Result to use per scenario name ('base' for the base) instead of the
    case's solved ones (a Monte Carlo draw, say)."""
    plugins_funcs = figure_functions if plugins is None else plugins
    by_name = {f.name: f for f in case.figures}
    values: dict = {}
    busy: set = set()

    def value_of(name):
        if name in values:
            return values[name]
        if name not in by_name:
            raise ExpressionError(f"figure(): the case has no figure '{name}'")
        if name in busy:
            raise ExpressionError(f"figure '{name}' refers to itself through figure()")
        busy.add(name)
        fig = by_name[name]
        try:
            result = case.result(fig.scenario) if results is None \
                else results[fig.scenario or "base"]
            funcs = {**result_functions(result), **plugins_funcs(case, result),
                     "figure": value_of}
            v = Expression(fig.expr, origin=fig.origin,
                           what=f"figure '{name}': expression").evaluate({}, funcs)
        except FlowgraphError as exc:
            if exc.origin is None and fig.origin:
                raise type(exc)(f"figure '{name}': {exc}", origin=fig.origin) from None
            raise
        busy.discard(name)
        values[name] = float(v) if isinstance(v, (int, float, np.floating)) else v
        return values[name]

    out = []
    for fig in case.figures:
        v = value_of(fig.name)
        dev = None
        if fig.published not in (None, 0) and isinstance(v, float) and math.isfinite(v):
            dev = (v - fig.published) / abs(fig.published)
        out.append({"name": fig.name, "value": v, "unit": fig.unit, "published": fig.published,
                    "deviation": dev, "scenario": fig.scenario or "base", "expr": fig.expr,
                    "note": fig.note})
    return out
