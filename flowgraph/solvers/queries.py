"""Queries on a Result by name: the functions of the figure language (q, flow, node, total,
mfca, costs), bound to one result. Case figures (app.figures) and the evaluation plugin's
aggregates call them; errors are ExpressionErrors naming what is missing."""

from __future__ import annotations

import numpy as np

from ..errors import ExpressionError
from ..model import units
from ..model.schema import COST_CATEGORIES


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

    return {"q": q, "flow": flow, "node": node, "total": total,
            "mfca": lambda centre, product, category="total": _mfca(result, centre, product,
                                                                    category),
            "costs": lambda category=None: _costs(result, category)}


def _mfca(result, centre, product, category="total"):
    """An entry of the MFCA flow-cost matrix."""
    table = result.mfca()
    try:
        return float(table.loc[(centre, product), category])
    except KeyError:
        raise ExpressionError(f"mfca(): no entry ({centre}, {product}, {category})") from None


def _costs(result, category=None):
    """The nodes' own added costs, of one category or all."""
    own = result.compiled.node_costs
    if category is None:
        return float(own.sum())
    if category not in COST_CATEGORIES:
        raise ExpressionError(f"costs(): category must be one of {', '.join(COST_CATEGORIES)}")
    return float(own[:, COST_CATEGORIES.index(category)].sum())
