"""Index formulas: arithmetic over named aggregates, and nothing else.

An index system's formula (e.g. 'raw_material_cost / net_profit') may use numbers, names,
+ - * / ** and parentheses. Function calls, strings, attributes, subscripts and the like are
refused when the system is loaded, so a formula can only combine the aggregates it names.
Parsing and evaluation go through flowgraph.expr (never eval), with its limits: an overflow,
a division by zero or a formula nested too deeply is an ExpressionError naming the formula.

    >>> f = Formula("raw_material_cost / net_profit")
    >>> sorted(f.names), f.evaluate({"raw_material_cost": 6.0, "net_profit": 2.0})
    (['net_profit', 'raw_material_cost'], 3.0)
"""

from __future__ import annotations

import ast
import math

from ...errors import ExpressionError
from ...expr import Expression, parse, shown
from .exceptions import EvaluationError

_OPERATORS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.USub, ast.UAdd)
_NODES = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Name, ast.Load, ast.Constant) + _OPERATORS


class Formula:
    """A parsed arithmetic formula over names; `names` are the names it uses."""

    def __init__(self, text, origin: str | None = None, what: str = "formula"):
        if not isinstance(text, str):
            raise ExpressionError(f"{what} must be a string, not {text!r}", origin=origin)
        self.text = text
        self.origin = origin
        for node in ast.walk(parse(text, origin, what)):
            bad = None
            if not isinstance(node, _NODES):
                bad = _describe(node)
            elif isinstance(node, ast.Constant) and (isinstance(node.value, bool) or
                                                     not isinstance(node.value, (int, float))):
                bad = f"the constant {node.value!r}"
            if bad:
                raise ExpressionError(
                    f"{what} {shown(text)}: {bad} is not allowed; a formula is arithmetic (+ - * / **, "
                    f"parentheses, numbers) over aggregate names", origin=origin)
        self._expr = Expression(text, origin=origin, what=what)
        self.names = frozenset(self._expr.names)

    def __repr__(self) -> str:
        return f"Formula({self.text!r})"

    def check_names(self, known, what: str = "formula") -> None:
        """ExpressionError naming the unknown names and the known ones."""
        unknown = sorted(self.names - set(known))
        if unknown:
            raise ExpressionError(f"{what} {shown(self.text)} uses unknown name(s) {', '.join(unknown)}; "
                                  f"known aggregates: {', '.join(sorted(known))}", origin=self.origin)

    def evaluate(self, values) -> float:
        """The value with names bound to `values`; NaN (unknown) values give NaN, a division
        by zero or an overflow is an ExpressionError."""
        self.check_names(values)
        v = self._expr.evaluate({k: values[k] for k in self.names}, {})
        return float(v)


def _describe(node) -> str:
    if isinstance(node, ast.Call):
        fn = node.func.id if isinstance(node.func, ast.Name) else "a function"
        return f"the call {fn}()"
    if isinstance(node, ast.Attribute):
        return f"the attribute .{node.attr}"
    if isinstance(node, ast.Subscript):
        return "a subscript [...]"
    return f"{type(node).__name__}"


def number(value, what: str, origin: str | None = None) -> float:
    """A number, or arithmetic over numbers written as a string ('1/3'); EvaluationError else."""
    if isinstance(value, bool):
        raise EvaluationError(f"{what}: {value!r} is not a number", origin=origin)
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            f = Formula(value, origin=origin, what=what)
            if f.names:
                raise EvaluationError(f"{what}: '{value}' must be a number or arithmetic over "
                                      f"numbers such as '1/3'", origin=origin)
            v = f.evaluate({})
        except ExpressionError as exc:
            raise EvaluationError(str(exc), origin=origin) from None
        if not math.isfinite(v):
            raise EvaluationError(f"{what}: '{value}' is not a finite number", origin=origin)
        return v
    try:
        return float(value)
    except (TypeError, ValueError):
        raise EvaluationError(f"{what}: {value!r} is not a number", origin=origin) from None
