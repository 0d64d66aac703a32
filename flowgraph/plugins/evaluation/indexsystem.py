"""Index systems as data: a tree of indicators with weights, direction, benchmark and formula.

An index system is read from a TOML file (indexfile.py). A leaf's index is benchmark / actual
when lower is better and actual / benchmark when higher is better (not capped unless the
system or the indicator sets cap); its score is its global weight times its index, and the
composite index P is the sum of the scores. Global weights are given as they are (kind
global), or are the product of local weights down the tree (kind local, or kind ahp where
each group's local weights come from a comparison matrix).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from .ahp import ahp_weights
from .exceptions import EvaluationError
from .formula import Formula

#: the units formulas see for each dimension unless the system says otherwise
DEFAULT_UNITS = {"currency": "CNY", "mass": "t", "energy": "tce"}
#: the parent of the top-level indicators in comparisons
ROOT = ""


@dataclass
class Indicator:
    """A node of the tree: a group (children) or a leaf (formula, direction, benchmark)."""

    code: str
    name: str = ""
    parent: str | None = None
    formula: Formula | None = None
    unit: str = ""
    better: str | None = None
    benchmark: float | None = None
    weights: dict = field(default_factory=dict)
    cap: float | None = None
    note: str = ""
    name_zh: str = ""
    origin: str | None = None
    children: list = field(default_factory=list)

    @property
    def is_leaf(self) -> bool:
        return not self.children

    def index(self, actual: float, cap: float | None = None) -> float:
        """benchmark / actual (lower is better) or actual / benchmark (higher is better);
        NaN where that ratio has no meaning (actual not positive when lower is better)."""
        if actual is None or not math.isfinite(actual):
            return math.nan
        if self.better == "lower":
            value = self.benchmark / actual if actual > 0 else math.nan
        else:
            value = actual / self.benchmark
        limit = self.cap if self.cap is not None else cap
        return min(value, limit) if limit is not None and math.isfinite(value) else value


@dataclass
class WeightSet:
    name: str
    kind: str = "global"
    label: str = ""
    source: str = ""
    note: str = ""
    normalise: bool = False
    origin: str | None = None


@dataclass
class Comparison:
    """An AHP pairwise comparison of the children of `parent` (ROOT: the top level)."""

    weights: str
    parent: str
    children: list
    matrix: list
    accept_inconsistent: bool = False
    note: str = ""
    origin: str | None = None

    @property
    def name(self) -> str:
        return f"{self.weights}: {self.parent or 'top level'}"


@dataclass
class IndexSystem:
    """The indicators (in file order), weight sets, AHP comparisons and system settings."""

    name: str
    indicators: dict
    weight_sets: dict
    comparisons: list = field(default_factory=list)
    cap: float | None = None
    units: dict = field(default_factory=lambda: dict(DEFAULT_UNITS))
    default_weights: str | None = None
    source: str = ""
    note: str = ""
    origin: str | None = None

    # -- structure ----------------------------------------------------------------------------
    def leaves(self) -> list[Indicator]:
        return [i for i in self.indicators.values() if i.is_leaf]

    def top(self) -> list[str]:
        return [c for c, i in self.indicators.items() if i.parent is None]

    def children_of(self, code: str) -> list[str]:
        return self.top() if code == ROOT else self.indicators[code].children

    def path(self, code: str) -> list[str]:
        """Codes from the top of the tree down to `code`."""
        out = []
        while code is not None:
            out.append(code)
            code = self.indicators[code].parent
        return out[::-1]

    def depth(self) -> int:
        return max(len(self.path(c)) for c in self.indicators)

    def aggregate_names(self) -> set[str]:
        return set().union(*(i.formula.names for i in self.leaves()))

    def check_names(self, known) -> None:
        """Every formula names only known aggregates (ExpressionError naming the indicator)."""
        for leaf in self.leaves():
            leaf.formula.check_names(known, what=f"indicator {leaf.code}: formula")

    def weight_set(self, name: str | None) -> WeightSet:
        name = name or self.default_weights or next(iter(self.weight_sets))
        if name not in self.weight_sets:
            raise EvaluationError(f"index system '{self.name}' has no weight set '{name}' "
                                  f"(sets: {', '.join(self.weight_sets)})", origin=self.origin)
        return self.weight_sets[name]

    # -- weights --------------------------------------------------------------------------------
    def ahp(self, set_name: str, accept_inconsistent: bool = False) -> list:
        """(Comparison, AHPResult) of every comparison of an ahp weight set."""
        out = []
        for comp in self.comparisons:
            if comp.weights == set_name:
                res = ahp_weights(comp.matrix, name=comp.name, origin=comp.origin,
                                  accept_inconsistent=accept_inconsistent or comp.accept_inconsistent)
                out.append((comp, res))
        return out

    def global_weights(self, set_name: str | None = None,
                       accept_inconsistent: bool = False) -> dict[str, float]:
        """Global weight of every indicator (groups too) in a weight set."""
        ws = self.weight_set(set_name)
        codes = list(self.indicators)
        if ws.kind == "global":
            out = {}
            for code in reversed(self._topological()):
                ind = self.indicators[code]
                if ws.name in ind.weights:
                    out[code] = ind.weights[ws.name]
                else:
                    out[code] = sum(out[c] for c in ind.children)
        else:
            if ws.kind == "local":
                local = {c: self.indicators[c].weights[ws.name] for c in codes}
            else:
                local = {}
                for comp, res in self.ahp(ws.name, accept_inconsistent):
                    local.update(zip(comp.children, (float(w) for w in res.weights)))
            out = {}
            for code in self._topological():
                parent = self.indicators[code].parent
                out[code] = local[code] * (1.0 if parent is None else out[parent])
        if ws.normalise:
            total = sum(out[leaf.code] for leaf in self.leaves())
            out = {c: w / total for c, w in out.items()} if total > 0 else out
        return out

    def weight_table(self, sets=None, accept_inconsistent: bool = False) -> pd.DataFrame:
        """Per indicator and weight set: the global weight, and for groups the sum of their
        children's, so that a set whose levels do not add up shows where."""
        sets = list(sets or self.weight_sets)
        rows = []
        weights = {s: self.global_weights(s, accept_inconsistent) for s in sets}
        for code, ind in self.indicators.items():
            row = {"code": code, "name": ind.name, "parent": ind.parent or "",
                   "kind": "leaf" if ind.is_leaf else "group"}
            for s in sets:
                stated = ind.weights.get(s) if self.weight_sets[s].kind == "global" else None
                row[s] = weights[s][code] if stated is None or not ind.is_leaf else stated
                if not ind.is_leaf:
                    row[f"{s}: sum of children"] = sum(weights[s][c] for c in ind.children)
            rows.append(row)
        total = {"code": "(all leaves)", "name": "sum of leaf weights", "parent": "", "kind": ""}
        for s in sets:
            total[s] = sum(weights[s][leaf.code] for leaf in self.leaves())
        rows.append(total)
        return pd.DataFrame(rows).set_index("code")

    def _topological(self) -> list[str]:
        """Codes with every parent before its children."""
        order, seen = [], set()

        def visit(code):
            if code in seen:
                return
            parent = self.indicators[code].parent
            if parent is not None:
                visit(parent)
            seen.add(code)
            order.append(code)

        for code in self.indicators:
            visit(code)
        return order

    # -- scoring ---------------------------------------------------------------------------------
    def score(self, actuals: Mapping[str, float], sets=None,
              accept_inconsistent: bool = False) -> tuple[pd.DataFrame, dict]:
        """Index and score of every leaf for the actual values, and P per weight set.

        `actuals` maps leaf codes to actual values (see `actual_values`). Returns the table
        (one row per leaf: actual, index, and per set weight and score) and {set: P}."""
        sets = list(sets or [self.weight_set(None).name])
        weights = {s: self.global_weights(s, accept_inconsistent) for s in sets}
        rows = []
        for leaf in self.leaves():
            actual = actuals[leaf.code]
            idx = leaf.index(actual, self.cap)
            row = {"code": leaf.code, "name": leaf.name, "unit": leaf.unit, "better": leaf.better,
                   "benchmark": leaf.benchmark, "actual": actual, "index": idx}
            for s in sets:
                row[f"weight {s}"] = weights[s][leaf.code]
                row[f"score {s}"] = weights[s][leaf.code] * idx
            rows.append(row)
        table = pd.DataFrame(rows).set_index("code")
        p = {s: float(table[f"score {s}"].sum(skipna=False)) for s in sets}
        return table, p

    def actual_values(self, aggregates: Mapping[str, float]) -> dict[str, float]:
        """Each leaf's formula evaluated over the aggregates (in the system's units)."""
        self.check_names(aggregates)
        return {leaf.code: leaf.formula.evaluate(aggregates) for leaf in self.leaves()}


def ahp_table(isys: IndexSystem, accept_inconsistent: bool = False) -> pd.DataFrame:
    """lambda_max, CI, RI, CR and local weights of every comparison of every ahp set."""
    rows = []
    for ws in isys.weight_sets.values():
        if ws.kind != "ahp":
            continue
        for comp, res in isys.ahp(ws.name, accept_inconsistent):
            rows.append({"weights": ws.name, "group": comp.parent or "(top)", "n": res.n,
                         "local weights": ", ".join(f"{c} {w:.4f}" for c, w in
                                                    zip(comp.children, res.weights)),
                         "lambda_max": res.lambda_max, "CI": res.ci, "RI": res.ri, "CR": res.cr,
                         "accepted": "yes" if res.consistent else "accepted by the user"})
    return pd.DataFrame(rows)

