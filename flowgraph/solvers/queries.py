"""Queries on a Result by name: the functions of the figure language (q, flow, node, total,
mfca, costs), bound to one result. Case figures (app.figures) and the evaluation plugin's
aggregates call them; errors are ExpressionErrors naming what is missing.

They read the result's arrays by index (Result.column, Result.node_value), never the whole
flows table: a figure of one run of a sweep costs what it reads.
"""

from __future__ import annotations

import numpy as np

from ..errors import ExpressionError
from ..model import units
from ..model.schema import COST_CATEGORIES


def result_functions(result) -> dict:
    """The figure functions bound to one result."""
    static = result.static
    columns = set(result.flow_columns())

    def _flow_at(fid) -> int:
        i = result.flow_index(fid)
        if i < 0:
            raise ExpressionError(f"unknown flow '{fid}'")
        return i

    def q(fid, unit=None):
        i = _flow_at(fid)
        value = float(result.balance.x[i])
        return value * units.factor(result.column("unit", [i])[0], unit) if unit else value

    def flow(fid, column):
        i = _flow_at(fid)
        if column not in columns:
            raise ExpressionError(f"flows have no column '{column}'")
        return float(result.column(column, [i])[0])

    def node(nid, column):
        n = result.node_index(nid)
        if n < 0:
            raise ExpressionError(f"unknown node '{nid}'")
        if column not in result.node_columns():
            raise ExpressionError(f"nodes have no column '{column}'")
        return float(result.node_value(n, column))

    def total(column="cost", **where):
        if column not in columns:
            raise ExpressionError(f"flows have no column '{column}'")
        mask = np.ones(static.n_flows, dtype=bool)
        for key, want in where.items():
            if key == "purchased":
                mask &= _tail_kind(static, "source") == bool(want)
            elif key == "sold":
                mask &= _head_kind(static, "sink") == bool(want)
            elif key in columns:
                mask &= _matches(result, key, want if isinstance(want, list) else [want])
            else:
                raise ExpressionError(f"total(): unknown filter '{key}'")
        values = result.column(column) if not where else \
            result.column(column, np.flatnonzero(mask))     # all flows: the cached column
        return float(np.nansum(np.asarray(values, dtype=float)))

    return {"q": q, "flow": flow, "node": node, "total": total,
            "mfca": lambda centre, product, category="total": _mfca(result, centre, product,
                                                                    category),
            "costs": lambda category=None: _costs(result, category)}


def _tail_kind(c, kind: str) -> np.ndarray:
    return c.derive(f"tail_is_{kind}", lambda c: (c.node_kind == kind)[c.tail])


def _head_kind(c, kind: str) -> np.ndarray:
    return c.derive(f"head_is_{kind}", lambda c: (c.node_kind == kind)[c.head])


def _matches(result, key: str, wanted: list) -> np.ndarray:
    """Flows whose column `key` is one of `wanted` (np.isin, as on the table), tested once
    per carrier-unit pair, role or specification where the column is one of those."""
    c = result.static
    by_code = {"carrier": (c.pair_carrier, c.pair), "kind": (c.pair_kind, c.pair),
               "unit": (c.pair_unit, c.pair)}
    if key in by_code:
        table, code = by_code[key]
        return np.isin(table, wanted)[code] if len(table) else np.zeros(c.n_flows, bool)
    return np.isin(result.column(key), wanted)


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
