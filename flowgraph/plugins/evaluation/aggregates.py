"""Named aggregates of a solved result (raw-material cost, net profit, water, ...).

Index formulas are arithmetic over these names. Each aggregate is an expression of the
figure language (the result functions of flowgraph/solvers/queries.py) plus mass(),
tce_equivalent() and own() below, and may name other aggregates; the defaults are data
(data/evaluation_aggregates.toml) and a case overrides or adds its own in
[evaluation.aggregates].
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...errors import ExpressionError, FlowgraphError
from ...expr import Expression
from ...io.toml import shipped_toml
from ...model import units
from ...model.schema import COST_CATEGORIES
from ...solvers.queries import result_functions
from .exceptions import EvaluationError


@dataclass(frozen=True)
class Aggregate:
    """One named aggregate: its expression, the unit it yields and what it means."""

    name: str
    expr: str
    unit: str = "1"
    description: str = ""
    origin: str | None = None

    @property
    def dimension(self) -> str:
        return units.dimension(self.unit)


def _default_table() -> dict:
    return shipped_toml("evaluation_aggregates.toml")


def default_aggregates() -> dict[str, Aggregate]:
    """The shipped aggregates by name (data/evaluation_aggregates.toml)."""
    return parse_aggregates(_default_table(), origin="data/evaluation_aggregates.toml")


def parse_aggregates(table: Mapping, base: Mapping | None = None,
                     origin: str | None = None) -> dict[str, Aggregate]:
    """Aggregates from a TOML table: name = "expr" or name = {expr, unit, description}.

    An entry that overrides one of `base` keeps the base's unit unless it gives its own."""
    base = dict(base or {})
    out = dict(base)
    if not isinstance(table, Mapping):
        raise EvaluationError("aggregates must be a table of name = expression", origin=origin)
    for name, rec in table.items():
        where = f"{origin} [aggregates] {name}" if origin else f"aggregate '{name}'"
        if isinstance(rec, str):
            rec = {"expr": rec}
        if not isinstance(rec, Mapping) or "expr" not in rec:
            raise EvaluationError(f"aggregate '{name}' needs an expression (name = \"...\" or "
                                  f"{{expr = \"...\", unit = \"...\"}})", origin=where)
        unknown = set(rec) - {"expr", "unit", "description", "note"}
        if unknown:
            raise EvaluationError(f"aggregate '{name}': unknown key(s) {sorted(unknown)}",
                                  origin=where)
        old = base.get(name)
        unit = rec.get("unit", old.unit if old else "1")
        try:
            units.parse_unit(unit)
            Expression(rec["expr"], origin=where)
        except FlowgraphError as exc:
            raise EvaluationError(f"aggregate '{name}': {exc}", origin=where) from None
        desc = rec.get("description") or rec.get("note") or (old.description if old else "")
        out[name] = Aggregate(name, rec["expr"], unit, desc, where)
    return out


# -- functions aggregates may call ---------------------------------------------------------

def flow_mask(result, where: Mapping) -> np.ndarray:
    """Flows matching `where`: any flows column (value or list), purchased=1 (from a
    source), sold=1 (to a sink), into=FIRM (enters a node of FIRM from outside it),
    out_of=FIRM (leaves FIRM)."""
    c = result.compiled
    flows = result.flows
    mask = np.ones(c.n_flows, dtype=bool)
    firm = None
    for key, want in where.items():
        if key == "purchased":
            mask &= (c.node_kind[c.tail] == "source") == bool(want)
        elif key == "sold":
            mask &= (c.node_kind[c.head] == "sink") == bool(want)
        elif key in ("into", "out_of"):
            if firm is None:
                firm = result.network.node_frame()["firm"].reindex(c.node_ids).to_numpy(dtype=object)
            inside_head = firm[c.head] == want
            inside_tail = firm[c.tail] == want
            mask &= (inside_head & ~inside_tail) if key == "into" else (inside_tail & ~inside_head)
        elif key in flows.columns:
            wanted = want if isinstance(want, (list, tuple)) else [want]
            mask &= np.isin(flows[key].to_numpy(), wanted)
        else:
            raise ExpressionError(f"unknown filter '{key}': use a flows column, purchased, sold, "
                                  f"into or out_of")
    return mask


def mass_per_unit(result) -> np.ndarray:
    """Tonnes per flow unit of every flow (0 where the carrier has no mass), computed once
    per distinct (carrier, unit) pair."""
    c = result.compiled
    if not c.n_flows:
        return np.zeros(0)
    codes, pairs = pd.factorize(pd.MultiIndex.from_arrays([c.carrier, c.unit]))
    factors = np.array([result.network.carriers[car].mass_factor(unit) or 0.0
                        for car, unit in pairs])
    return factors[codes]


def evaluation_functions(result) -> dict:
    """mass, tce_equivalent and own, bound to one result."""
    x = np.nan_to_num(result.quantities, nan=0.0)
    c = result.compiled
    per_t = None

    def mass(**where):
        nonlocal per_t
        if per_t is None:
            per_t = mass_per_unit(result)
        return float((x * per_t)[flow_mask(result, where)].sum())

    def tce_equivalent(**where):
        return float((x * c.tce)[flow_mask(result, where)].sum())

    def own(name):
        if name == "tce":
            return float(c.node_tce.sum())
        if name == "co2":
            return float(c.node_co2.sum())
        if name in COST_CATEGORIES:
            return float(c.node_costs[:, COST_CATEGORIES.index(name)].sum())
        raise ExpressionError(f"own(): '{name}' is not one of tce, co2, "
                              f"{', '.join(COST_CATEGORIES)}")

    return {"mass": mass, "tce_equivalent": tce_equivalent, "own": own}


# -- evaluation ------------------------------------------------------------------------------

class AggregateValues(Mapping):
    """The aggregates of one result, computed on first use (each once)."""

    def __init__(self, result, definitions: Mapping[str, Aggregate]):
        self.result = result
        self.definitions = dict(definitions)
        self._values: dict = {}
        self._busy: set = set()
        self._funcs = None

    def __getitem__(self, name):
        if name in self._values:
            return self._values[name]
        if name not in self.definitions:
            raise KeyError(name)
        if name in self._busy:
            raise EvaluationError(f"aggregate '{name}' refers to itself",
                                  origin=self.definitions[name].origin)
        agg = self.definitions[name]
        self._busy.add(name)
        try:
            expr = Expression(agg.expr, origin=agg.origin)
            missing = sorted(expr.names - set(self.definitions))
            if missing:
                raise EvaluationError(f"aggregate '{name}' uses unknown name(s) "
                                      f"{', '.join(missing)}", origin=agg.origin)
            names = {n: self[n] for n in expr.names}
            if self._funcs is None:
                self._funcs = {**result_functions(self.result), **evaluation_functions(self.result)}
            value = float(expr.evaluate(names, self._funcs))
        except FlowgraphError as exc:
            if exc.origin is None and agg.origin:
                raise EvaluationError(f"aggregate '{name}' = {agg.expr}: {exc}",
                                      origin=agg.origin) from None
            raise
        finally:
            self._busy.discard(name)
        self._values[name] = value
        return value

    def __iter__(self):
        return iter(self.definitions)

    def __len__(self):
        return len(self.definitions)

    def in_units(self, name: str, unit_for: Mapping[str, str]) -> float:
        """The aggregate converted to the unit `unit_for` gives its dimension (if any)."""
        agg = self.definitions[name]
        target = unit_for.get(agg.dimension)
        value = self[name]
        return value * units.factor(agg.unit, target) if target else value

    def unit_in(self, name: str, unit_for: Mapping[str, str]) -> str:
        agg = self.definitions[name]
        return unit_for.get(agg.dimension, agg.unit)
