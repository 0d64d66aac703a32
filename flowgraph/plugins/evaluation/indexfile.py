"""Index systems read from TOML files (format: docs/methods/evaluation.md), every key checked
and every mistake named with its file and line::

    [system]                     name, source, cap (false or a number), money/mass/energy units
    [weights.NAME]               a weight set: kind = "global" | "local" | "ahp", label, normalise
    [[indicator]]                code, name, parent, weights = {NAME = w}; leaves add formula,
                                 better = "lower" | "higher", benchmark, unit
    [[comparison]]               AHP: weights = NAME, parent, children, matrix
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from ...errors import ExpressionError, UnitError
from ...io.paths import inside
from ...io.toml import header_lines, read_toml
from ...model import units
from .exceptions import EvaluationError
from .formula import Formula, number
from .indexsystem import DEFAULT_UNITS, ROOT, Comparison, IndexSystem, Indicator, WeightSet

DIRECTIONS = ("lower", "higher")
WEIGHT_KINDS = ("global", "local", "ahp")
SYSTEM_KEYS = {"name", "title", "source", "note", "cap", "money", "mass", "energy",
               "default_weights"}
INDICATOR_KEYS = {"code", "name", "name_zh", "parent", "formula", "unit", "better", "benchmark",
                  "weights", "cap", "note", "source"}
WEIGHT_SET_KEYS = {"kind", "label", "source", "note", "normalise"}
COMPARISON_KEYS = {"weights", "parent", "children", "matrix", "accept_inconsistent", "note"}


def load_index_system(spec, folder=None, origin: str | None = None) -> IndexSystem:
    """An index system from a TOML file (path relative to `folder`) or an inline table."""
    if isinstance(spec, Mapping):
        return parse_index_system(spec, origin=origin or "inline index system", lines={})
    if not isinstance(spec, (str, Path)):
        raise EvaluationError(f"index_system must be a file name or a table, not {spec!r}",
                              origin=origin)
    path = inside(folder, spec)
    if not path.is_file():
        raise EvaluationError(f"index system file {path} does not exist", origin=origin)
    data, text = read_toml(path, EvaluationError)
    return parse_index_system(data, origin=str(path), lines=header_lines(text))


def parse_index_system(data: Mapping, origin: str, lines: Mapping) -> IndexSystem:
    """An index system from parsed TOML; `lines` (header_lines of the text) gives the line
    of each table for messages."""
    where = _locator(origin, lines)
    unknown = set(data) - {"system", "weights", "indicator", "comparison"}
    if unknown:
        raise EvaluationError(f"unknown table(s) {sorted(unknown)}; an index system has "
                              f"[system], [weights.NAME], [[indicator]] and [[comparison]]",
                              origin=origin)
    system = dict(data.get("system", {}))
    cap, unit_for = _system_settings(system, where("system"))
    weight_sets = _weight_sets(dict(data.get("weights", {})), where)
    indicators = _indicators(data.get("indicator", []), where, weight_sets, origin)
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


def _locator(origin: str, lines: Mapping):
    """where(kind, k=None): the file and line of table `kind` (its k-th entry if an array)."""
    def where(kind, k=None):
        ln = lines.get(kind, [])
        if k is None:
            return f"{origin}:{ln[0]}" if ln else origin
        return f"{origin}:{ln[k]}" if k < len(ln) else origin
    return where


def _system_settings(system: Mapping, where: str) -> tuple[float | None, dict]:
    """The [system] table's cap (None: not capped) and units per dimension."""
    bad = set(system) - SYSTEM_KEYS
    if bad:
        raise EvaluationError(f"[system]: unknown key(s) {sorted(bad)}; known: "
                              f"{', '.join(sorted(SYSTEM_KEYS))}", origin=where)
    cap = system.get("cap", False)
    cap = None if cap is False or cap is None else number(cap, "[system] cap", where)
    unit_for = dict(DEFAULT_UNITS)
    for key, dim in (("money", "currency"), ("mass", "mass"), ("energy", "energy")):
        if key in system:
            try:
                ok = units.dimension(system[key]) == dim
            except UnitError:
                ok = False
            if not ok:
                raise EvaluationError(f"[system] {key} = '{system[key]}' is not a unit of {dim}",
                                      origin=where)
            unit_for[dim] = system[key]
    return cap, unit_for


def _weight_sets(table: Mapping, where) -> dict:
    """The [weights.NAME] tables as WeightSets by name."""
    weight_sets = {}
    for name, rec in table.items():
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
    return weight_sets


def _indicators(records, where, weight_sets, origin: str) -> dict:
    """The [[indicator]] entries by code, in file order, each group knowing its children."""
    indicators: dict = {}
    for k, rec in enumerate(records):
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
    return indicators


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
    for key in ("name", "name_zh", "unit", "note", "better"):
        value = rec.get(key)
        if isinstance(value, (bool, Mapping, list, tuple)):
            raise EvaluationError(f"indicator '{code}': {key} must be text, not {value!r}",
                                  origin=where)
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
    return Indicator(code, str(rec.get("name", "")),
                     str(parent) if parent not in (None, "") else None, formula,
                     str(rec.get("unit", "")), better, benchmark, parsed, cap,
                     str(rec.get("note", "")), str(rec.get("name_zh", "")), where)


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
