"""A small safe expression language for figures and indicator formulas.

Arithmetic (+ - * / ** %, unary minus, parentheses), numbers, strings, names and calls of
named functions with positional and keyword arguments, nothing else: no attributes, no
subscripts, no comprehensions, no lambdas. Expressions are parsed with Python's `ast` and
walked by hand against a whitelist; nothing is ever passed to `eval`.

    >>> Expression("a / b * 100").evaluate({"a": 1, "b": 4})
    25.0
    >>> Expression("max(a, 2) + q('x')").names
    {'a'}
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable, Mapping

from .errors import ExpressionError

_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
           ast.Div: operator.truediv, ast.Pow: operator.pow, ast.Mod: operator.mod}
_UNARY = {ast.USub: operator.neg, ast.UAdd: operator.pos}
#: functions every expression may call
BUILTINS: dict[str, Callable] = {"min": min, "max": max, "abs": abs, "round": round,
                                 "sqrt": math.sqrt, "log": math.log, "exp": math.exp}


class Expression:
    """A parsed expression; `names` and `functions` are what it refers to."""

    def __init__(self, text: str, origin: str | None = None):
        self.text = text
        self.origin = origin
        if not isinstance(text, str) or not text.strip():
            raise ExpressionError(f"empty expression {text!r}", origin=origin)
        try:
            tree = ast.parse(text.strip(), mode="eval")
        except SyntaxError as exc:
            raise ExpressionError(f"expression '{text}' does not parse: {exc.msg} at column "
                                  f"{exc.offset}", origin=origin) from None
        self.names: set[str] = set()
        self.functions: set[str] = set()
        self._check(tree.body)
        self._tree = tree.body

    def __repr__(self) -> str:
        return f"Expression({self.text!r})"

    def _fail(self, node, what: str):
        col = getattr(node, "col_offset", 0) + 1
        raise ExpressionError(f"expression '{self.text}': {what} at column {col}; only "
                              f"arithmetic, numbers, strings, names and function calls are "
                              f"allowed", origin=self.origin)

    def _check(self, node) -> None:
        if isinstance(node, ast.BinOp):
            if type(node.op) not in _BINARY:
                self._fail(node, f"operator {type(node.op).__name__}")
            self._check(node.left)
            self._check(node.right)
        elif isinstance(node, ast.UnaryOp):
            if type(node.op) not in _UNARY:
                self._fail(node, f"operator {type(node.op).__name__}")
            self._check(node.operand)
        elif isinstance(node, ast.Constant):
            if not isinstance(node.value, (int, float, str)) or isinstance(node.value, bool):
                self._fail(node, f"constant {node.value!r}")
        elif isinstance(node, ast.Name):
            self.names.add(node.id)
        elif isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name):
                self._fail(node, "a call of something other than a named function")
            self.functions.add(node.func.id)
            for arg in node.args:
                if isinstance(arg, ast.Starred):
                    self._fail(arg, "*arguments")
                self._check(arg)
            for kw in node.keywords:
                if kw.arg is None:
                    self._fail(node, "**arguments")
                self._check(kw.value)
        elif isinstance(node, ast.List):
            for elt in node.elts:
                self._check(elt)
        else:
            self._fail(node, type(node).__name__)

    def evaluate(self, names: Mapping | None = None,
                 functions: Mapping[str, Callable] | None = None):
        """The value, with `names` bound to values and `functions` callable by name."""
        names = names or {}
        funcs = {**BUILTINS, **(functions or {})}
        missing = [n for n in sorted(self.names) if n not in names]
        if missing:
            raise ExpressionError(f"expression '{self.text}' uses unknown name(s) "
                                  f"{', '.join(missing)}; known: {', '.join(sorted(names)) or 'none'}",
                                  origin=self.origin)
        unknown = [f for f in sorted(self.functions) if f not in funcs]
        if unknown:
            raise ExpressionError(f"expression '{self.text}' calls unknown function(s) "
                                  f"{', '.join(unknown)}; known: {', '.join(sorted(funcs))}",
                                  origin=self.origin)
        return self._eval(self._tree, names, funcs)

    def _eval(self, node, names, funcs):
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            return names[node.id]
        if isinstance(node, ast.List):
            return [self._eval(e, names, funcs) for e in node.elts]
        if isinstance(node, ast.UnaryOp):
            return _UNARY[type(node.op)](self._eval(node.operand, names, funcs))
        if isinstance(node, ast.BinOp):
            a = self._eval(node.left, names, funcs)
            b = self._eval(node.right, names, funcs)
            try:
                return _BINARY[type(node.op)](a, b)
            except ZeroDivisionError:
                return math.nan
            except TypeError as exc:
                raise ExpressionError(f"expression '{self.text}': {exc}", origin=self.origin) from None
        args = [self._eval(a, names, funcs) for a in node.args]
        kwargs = {k.arg: self._eval(k.value, names, funcs) for k in node.keywords}
        try:
            return funcs[node.func.id](*args, **kwargs)
        except ExpressionError:
            raise
        except (TypeError, ValueError, KeyError) as exc:
            raise ExpressionError(f"expression '{self.text}': {node.func.id}(): {exc}",
                                  origin=self.origin) from None
