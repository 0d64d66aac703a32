"""Index systems as data: a tree of indicators with weights, direction, benchmark and formula.

An index system is a TOML file (format: docs/methods/evaluation.md)::

    [system]                     name, source, cap (false or a number), money/mass/energy units
    [weights.NAME]               a weight set: kind = "global" | "local" | "ahp", label, normalise
    [[indicator]]                code, name, parent, weights = {NAME = w}; leaves add formula,
                                 better = "lower" | "higher", benchmark, unit
    [[comparison]]               AHP: weights = NAME, parent, children, matrix

A leaf's index is benchmark / actual when lower is better and actual / benchmark when higher
is better (not capped unless the system or the indicator sets cap); its score is its global
weight times its index, and the composite index P is the sum of the scores. Global weights
are given as they are (kind global), or are the product of local weights down the tree
(kind local, or kind ahp where each group's local weights come from a comparison matrix).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ...errors import ExpressionError, UnitError
from ...io.toml import header_lines, read_toml
from ...model import units
from .ahp import ahp_weights
from .exceptions import EvaluationError
from .formula import Formula, number

DIRECTIONS = ("lower", "higher")
WEIGHT_KINDS = ("global", "local", "ahp")
#: the units formulas see for each dimension unless the system says otherwise
DEFAULT_UNITS = {"currency": "CNY", "mass": "t", "energy": "tce"}
SYSTEM_KEYS = {"name", "title", "source", "note", "cap", "money", "mass", "energy",
               "default_weights"}
INDICATOR_KEYS = {"code", "name", "name_zh", "parent", "formula", "unit", "better", "benchmark",
                  "weights", "cap", "note", "source"}
WEIGHT_SET_KEYS = {"kind", "label", "source", "note", "normalise"}
COMPARISON_KEYS = {"weights", "parent", "children", "matrix", "accept_inconsistent", "note"}
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


# -- loading -------------------------------------------------------------------------------------

def load_index_system(spec, folder=None, origin: str | None = None) -> IndexSystem:
    """An index system from a TOML file (path relative to `folder`) or an inline table."""
    if isinstance(spec, Mapping):
        return parse_index_system(spec, origin=origin or "inline index system", lines={})
    if not isinstance(spec, (str, Path)):
        raise EvaluationError(f"index_system must be a file name or a table, not {spec!r}",
                              origin=origin)
    path = Path(folder or ".") / spec
    if not path.is_file():
        raise EvaluationError(f"index system file {path} does not exist", origin=origin)
    data, text = read_toml(path, EvaluationError)
    return parse_index_system(data, origin=str(path), lines=header_lines(text))


def parse_index_system(data: Mapping, origin: str, lines: Mapping) -> IndexSystem:
    def where(kind, k=None):
        ln = lines.get(kind, [])
        if k is None:
            return f"{origin}:{ln[0]}" if ln else origin
        return f"{origin}:{ln[k]}" if k < len(ln) else origin

    unknown = set(data) - {"system", "weights", "indicator", "comparison"}
    if unknown:
        raise EvaluationError(f"unknown table(s) {sorted(unknown)}; an index system has "
                              f"[system], [weights.NAME], [[indicator]] and [[comparison]]",
                              origin=origin)
    system = dict(data.get("system", {}))
    bad = set(system) - SYSTEM_KEYS
    if bad:
        raise EvaluationError(f"[system]: unknown key(s) {sorted(bad)}; known: "
                              f"{', '.join(sorted(SYSTEM_KEYS))}", origin=where("system"))
    cap = system.get("cap", False)
    if cap is False or cap is None:
        cap = None
    else:
        cap = number(cap, "[system] cap", where("system"))
    unit_for = dict(DEFAULT_UNITS)
    for key, dim in (("money", "currency"), ("mass", "mass"), ("energy", "energy")):
        if key in system:
            try:
                ok = units.dimension(system[key]) == dim
            except UnitError:
                ok = False
            if not ok:
                raise EvaluationError(f"[system] {key} = '{system[key]}' is not a unit of {dim}",
                                      origin=where("system"))
            unit_for[dim] = system[key]

    weight_sets = {}
    for name, rec in dict(data.get("weights", {})).items():
        w = where(f"weights.{name}")
        if not isinstance(rec, Mapping):
            raise EvaluationError(f"[weights.{name}] must be a table", origin=w)
        bad = set(rec) - WEIGHT_SET_KEYS
        if bad:
            raise EvaluationError(f"[weights.{name}]: unknown key(s) {sorted(bad)}", origin=w)
        kind = rec.get("kind", "global")
        if kind not in WEIGHT_KINDS:
            raise EvaluationError(f"[weights.{name}]: kind '{kind}' is not one of "
                                  f"{', '.join(WEIGHT_KINDS)}", origin=w)
        weight_sets[name] = WeightSet(name, kind, rec.get("label", ""), rec.get("source", ""),
                                      rec.get("note", ""), bool(rec.get("normalise", False)), w)

    indicators: dict = {}
    for k, rec in enumerate(data.get("indicator", [])):
        w = where("indicator", k)
        ind = _indicator(rec, w, weight_sets)
        if ind.code in indicators:
            raise EvaluationError(f"duplicate indicator code '{ind.code}' (first at "
                                  f"{indicators[ind.code].origin})", origin=w)
        indicators[ind.code] = ind
    if not indicators:
        raise EvaluationError("an index system needs [[indicator]] entries", origin=origin)
    for ind in indicators.values():
        if ind.parent is not None:
            if ind.parent not in indicators:
                raise EvaluationError(f"indicator '{ind.code}': parent '{ind.parent}' is not an "
                                      f"indicator", origin=ind.origin)
            indicators[ind.parent].children.append(ind.code)
    for ind in indicators.values():
        _check_indicator(ind, indicators)

    if not weight_sets:
        weight_sets["default"] = WeightSet("default", "global", origin=origin)
    comparisons = [_comparison(rec, where("comparison", k), weight_sets, indicators)
                   for k, rec in enumerate(data.get("comparison", []))]
    default = system.get("default_weights")
    if default is not None and default not in weight_sets:
        raise EvaluationError(f"[system] default_weights '{default}' is not a weight set "
                              f"(sets: {', '.join(weight_sets)})", origin=where("system"))
    isys = IndexSystem(system.get("name") or system.get("title") or Path(origin).stem,
                       indicators, weight_sets, comparisons, cap, unit_for, default,
                       system.get("source", ""), system.get("note", ""), origin)
    _check_weights(isys)
    return isys


def _indicator(rec, where: str, weight_sets) -> Indicator:
    if not isinstance(rec, Mapping) or "code" not in rec:
        raise EvaluationError("an [[indicator]] needs a code", origin=where)
    code = str(rec["code"])
    bad = set(rec) - INDICATOR_KEYS
    if bad:
        raise EvaluationError(f"indicator '{code}': unknown key(s) {sorted(bad)}; known: "
                              f"{', '.join(sorted(INDICATOR_KEYS))}", origin=where)
    weights = rec.get("weights", {})
    if not isinstance(weights, Mapping):
        weights = {"default": weights}
    parsed = {}
    for set_name, value in weights.items():
        if weight_sets and set_name not in weight_sets:
            raise EvaluationError(f"indicator '{code}': weight set '{set_name}' is not declared "
                                  f"(sets: {', '.join(weight_sets)})", origin=where)
        v = number(value, f"indicator '{code}' weight {set_name}", where)
        if v < 0:
            raise EvaluationError(f"indicator '{code}': weight {set_name} = {v:g} is negative",
                                  origin=where)
        parsed[set_name] = v
    formula = None
    if "formula" in rec:
        try:
            formula = Formula(rec["formula"], origin=where, what=f"indicator {code}: formula")
        except ExpressionError as exc:
            raise EvaluationError(str(exc), origin=where) from None
    better = rec.get("better")
    if better is not None and better not in DIRECTIONS:
        raise EvaluationError(f"indicator '{code}': better = '{better}' must be 'lower' or "
                              f"'higher'", origin=where)
    benchmark = rec.get("benchmark")
    if benchmark is not None:
        benchmark = number(benchmark, f"indicator '{code}' benchmark", where)
        if not benchmark > 0:
            raise EvaluationError(f"indicator '{code}': benchmark {benchmark:g} must be positive "
                                  f"(indices are ratios to it)", origin=where)
    cap = number(rec["cap"], f"indicator '{code}' cap", where) if "cap" in rec else None
    parent = rec.get("parent")
    return Indicator(code, rec.get("name", ""), str(parent) if parent not in (None, "") else None,
                     formula, rec.get("unit", ""), better, benchmark, parsed, cap,
                     rec.get("note", ""), rec.get("name_zh", ""), where)


def _check_indicator(ind: Indicator, indicators) -> None:
    seen, code = set(), ind.code
    while code is not None:
        if code in seen:
            raise EvaluationError(f"indicator '{ind.code}': its parents form a loop",
                                  origin=ind.origin)
        seen.add(code)
        code = indicators[code].parent
    if ind.is_leaf:
        missing = [k for k, v in (("formula", ind.formula), ("better", ind.better),
                                  ("benchmark", ind.benchmark)) if v is None]
        if missing:
            raise EvaluationError(f"indicator '{ind.code}' has no children, so it is scored and "
                                  f"needs {', '.join(missing)}", origin=ind.origin)
    elif ind.formula is not None or ind.benchmark is not None:
        raise EvaluationError(f"indicator '{ind.code}' groups {', '.join(ind.children)}: a group "
                              f"has no formula or benchmark of its own", origin=ind.origin)


def _comparison(rec, where: str, weight_sets, indicators) -> Comparison:
    bad = set(rec) - COMPARISON_KEYS
    if bad:
        raise EvaluationError(f"[[comparison]]: unknown key(s) {sorted(bad)}", origin=where)
    for key in ("weights", "children", "matrix"):
        if key not in rec:
            raise EvaluationError(f"[[comparison]] needs '{key}'", origin=where)
    ws = rec["weights"]
    if ws not in weight_sets or weight_sets[ws].kind != "ahp":
        raise EvaluationError(f"[[comparison]]: weights = '{ws}' must name a weight set of kind "
                              f"'ahp'", origin=where)
    parent = rec.get("parent") or ROOT
    if parent != ROOT and parent not in indicators:
        raise EvaluationError(f"[[comparison]]: parent '{parent}' is not an indicator",
                              origin=where)
    children = [str(c) for c in rec["children"]]
    actual = [c for c, i in indicators.items() if (i.parent or ROOT) == parent]
    if sorted(children) != sorted(actual):
        raise EvaluationError(f"[[comparison]] of {parent or 'the top level'}: children "
                              f"{children} are not its indicators {actual}", origin=where)
    matrix = rec["matrix"]
    if not isinstance(matrix, list) or len(matrix) != len(children):
        raise EvaluationError(f"[[comparison]] of {parent or 'the top level'}: the matrix needs "
                              f"one row per child ({len(children)})", origin=where)
    return Comparison(ws, parent, children, matrix, bool(rec.get("accept_inconsistent", False)),
                      rec.get("note", ""), where)


def _check_weights(isys: IndexSystem) -> None:
    for ws in isys.weight_sets.values():
        if ws.kind == "global":
            missing = [leaf.code for leaf in isys.leaves() if ws.name not in leaf.weights]
            if missing:
                raise EvaluationError(f"weight set '{ws.name}' (global) has no weight for "
                                      f"indicator(s) {', '.join(missing)}",
                                      origin=isys.indicators[missing[0]].origin)
        elif ws.kind == "local":
            missing = [c for c, i in isys.indicators.items() if ws.name not in i.weights]
            if missing:
                raise EvaluationError(f"weight set '{ws.name}' (local) has no weight for "
                                      f"indicator(s) {', '.join(missing)}",
                                      origin=isys.indicators[missing[0]].origin)
        else:
            parents = [ROOT] + [c for c, i in isys.indicators.items() if not i.is_leaf]
            have = {c.parent for c in isys.comparisons if c.weights == ws.name}
            missing = [p or "top level" for p in parents if p not in have]
            if missing:
                raise EvaluationError(f"weight set '{ws.name}' (ahp) needs a [[comparison]] for "
                                      f"{', '.join(missing)}", origin=ws.origin)


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

