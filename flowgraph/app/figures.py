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
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ExpressionError, FlowgraphError
from ..expr import Expression
from ..model import units


def result_functions(result) -> dict:
    """The figure functions bound to one result."""
    flows = result.flows
    kinds = result.compiled.node_kind
    tail_kind = kinds[result.compiled.tail]
    head_kind = kinds[result.compiled.head]

    def _flow_row(fid):
        if fid not in flows.index:
            raise ExpressionError(f"unknown flow '{fid}'")
        return flows.loc[fid]

    def q(fid, unit=None):
        row = _flow_row(fid)
        value = float(row["quantity"])
        return value * units.factor(row["unit"], unit) if unit else value

    def flow(fid, column):
        row = _flow_row(fid)
        if column not in row.index:
            raise ExpressionError(f"flows have no column '{column}'")
        return float(row[column])

    def node(nid, column):
        nodes = result.nodes
        if nid not in nodes.index:
            raise ExpressionError(f"unknown node '{nid}'")
        if column not in nodes.columns:
            raise ExpressionError(f"nodes have no column '{column}'")
        return float(nodes.at[nid, column])

    def total(column="cost", **where):
        if column not in flows.columns:
            raise ExpressionError(f"flows have no column '{column}'")
        mask = np.ones(len(flows), dtype=bool)
        for key, want in where.items():
            if key == "purchased":
                mask &= (tail_kind == "source") == bool(want)
            elif key == "sold":
                mask &= (head_kind == "sink") == bool(want)
            elif key in flows.columns:
                vals = flows[key].to_numpy()
                wanted = want if isinstance(want, list) else [want]
                mask &= np.isin(vals, wanted)
            else:
                raise ExpressionError(f"total(): unknown filter '{key}'")
        return float(np.nansum(flows[column].to_numpy(dtype=float)[mask]))

    def mfca(centre, product, category="total"):
        table = result.mfca()
        try:
            return float(table.loc[(centre, product), category])
        except KeyError:
            raise ExpressionError(f"mfca(): no entry ({centre}, {product}, {category})") from None

    def costs(category=None):
        from ..model.schema import COST_CATEGORIES
        own = result.compiled.node_costs
        if category is None:
            return float(own.sum())
        if category not in COST_CATEGORIES:
            raise ExpressionError(f"costs(): category must be one of {', '.join(COST_CATEGORIES)}")
        return float(own[:, COST_CATEGORIES.index(category)].sum())

    return {"q": q, "flow": flow, "node": node, "total": total, "mfca": mfca, "costs": costs}


def evaluate_figures(case, plugins=None) -> list[dict]:
    """Every figure of the case: name, value, unit, published, deviation, scenario, expr."""
    from ..plugins import figure_functions
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
            result = case.result(fig.scenario)
            funcs = {**result_functions(result), **plugins_funcs(case, result),
                     "figure": value_of}
            v = Expression(fig.expr, origin=fig.origin).evaluate({}, funcs)
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
