"""A small safe expression language for figures and indicator formulas.

Arithmetic (+ - * / ** %, unary minus, parentheses), numbers, strings, names and calls of
named functions with positional and keyword arguments, nothing else: no attributes, no
subscripts, no comprehensions, no lambdas. Expressions are parsed with Python's `ast` and
walked by hand against a whitelist; nothing is ever passed to `eval`.

Evaluation is bounded, so no expression can hang, exhaust memory or end in a traceback: the
text's length, the parse tree's depth, the size of strings and lists built, the magnitude of
numbers (integer powers are exact while small, in floating point beyond) and the time spent
are limited. Overflow, division by zero and infinite values are ExpressionErrors; NaN given
as a name's value ("unknown") stays NaN.

    >>> Expression("a / b * 100").evaluate({"a": 1, "b": 4})
    25.0
    >>> Expression("max(a, 2) + q('x')").names
    {'a'}
"""

from __future__ import annotations

import ast
import math
import operator
import sys
import time
from collections.abc import Callable, Mapping

from .errors import ExpressionError

#: the longest expression text accepted (characters)
MAX_LENGTH = 10_000
#: the deepest nesting of the parse tree (a sum of n terms nests n deep)
MAX_DEPTH = 200
#: the longest string or list an expression may build (characters or items)
MAX_SIZE = 10_000
#: seconds an evaluation may spend on its own arithmetic (not counting called functions)
TIME_LIMIT = 2.0
#: integer powers are exact up to this many bits of result, evaluated in floating point beyond
EXACT_POWER_BITS = 1024
#: the largest magnitude a number may reach (a float's range)
LARGEST = sys.float_info.max


class _Refused(Exception):
    """An operation outside the limits; the evaluator adds the expression and where."""


def _add(a, b):
    if isinstance(a, (str, list)) and isinstance(b, (str, list)):
        _size(len(a) + len(b))
    return a + b


def _multiply(a, b):
    for seq, n in ((a, b), (b, a)):
        if isinstance(seq, (str, list)) and isinstance(n, int):
            _size(len(seq) * n)
    return a * b


def _modulo(a, b):
    if isinstance(a, str):
        raise _Refused("% of a string (string formatting) is not allowed")
    return a % b


def _power(a, b):
    """Exact for small integer powers; in floating point otherwise (which overflows cleanly)."""
    ints = isinstance(a, int) and isinstance(b, int)
    if ints and b >= 0 and (abs(a) <= 1 or b * math.log2(abs(a)) <= EXACT_POWER_BITS):
        return a ** b
    if ints and a == 0 and b < 0:
        raise ZeroDivisionError
    try:
        return math.pow(a, b)
    except OverflowError:
        raise _Refused(f"{a!r} ** {b!r} overflows (beyond {LARGEST:.3g})") from None
    except ValueError:
        if a == 0:
            raise ZeroDivisionError from None
        raise _Refused(f"{a!r} ** {b!r} is not a real number") from None


def _size(n: int) -> None:
    if n > MAX_SIZE:
        raise _Refused(f"the result would be {n:,} long, longer than {MAX_SIZE:,}")


def _round(x, ndigits=None):
    """round(), in floating point when digits are given (an integer rounded to -10**9
    digits would take minutes); NaN (unknown) stays NaN."""
    if isinstance(x, float) and math.isnan(x):
        return x
    return round(x) if ndigits is None else round(float(x), ndigits)


_BINARY = {ast.Add: _add, ast.Sub: operator.sub, ast.Mult: _multiply,
           ast.Div: operator.truediv, ast.Pow: _power, ast.Mod: _modulo}
_UNARY = {ast.USub: operator.neg, ast.UAdd: operator.pos}
#: functions every expression may call
BUILTINS: dict[str, Callable] = {"min": min, "max": max, "abs": abs, "round": _round,
                                 "sqrt": math.sqrt, "log": math.log, "exp": math.exp}


def parse(text, origin: str | None = None, what: str = "expression") -> ast.expr:
    """The parse tree of `text`, refused (ExpressionError) when empty, too long, not valid
    syntax or nested too deeply."""
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError(f"empty {what} {text!r}", origin=origin)
    label = f"{what} {shown(text)}"
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"{label} is {len(text):,} characters long; at most "
                              f"{MAX_LENGTH:,} are accepted", origin=origin)
    deep = (f"{label} nests too deeply (at most {MAX_DEPTH} levels; a long sum nests one "
            f"level per term): split it into smaller expressions")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"{label} does not parse: {exc.msg} at column {exc.offset}",
                              origin=origin) from None
    except (RecursionError, MemoryError):
        raise ExpressionError(deep, origin=origin) from None
    if _deeper_than(tree.body, MAX_DEPTH):
        raise ExpressionError(deep, origin=origin)
    return tree.body


def _deeper_than(tree, limit: int) -> bool:
    """Whether the tree nests deeper than `limit` (walked without recursion)."""
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return False


def shown(text: str, limit: int = 80) -> str:
    """The expression text quoted for a message, shortened when long."""
    text = text.strip()
    return repr(text if len(text) <= limit else text[:limit - 3] + "...")


class Expression:
    """A parsed expression; `names` and `functions` are what it refers to. `what` names it
    in messages (e.g. "figure 'x': expression")."""

    def __init__(self, text: str, origin: str | None = None, what: str = "expression"):
        self.text = text
        self.origin = origin
        self.what = what
        tree = parse(text, origin, what)
        self.names: set[str] = set()
        self.functions: set[str] = set()
        self._check(tree)
        self._tree = tree

    def __repr__(self) -> str:
        return f"Expression({self.text!r})"

    @property
    def label(self) -> str:
        return f"{self.what} {shown(self.text)}"

    def _fail(self, node, what: str):
        col = getattr(node, "col_offset", 0) + 1
        raise ExpressionError(f"{self.label}: {what} at column {col}; only arithmetic, numbers, "
                              f"strings, names and function calls are allowed",
                              origin=self.origin)

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
            self._check_call(node)
        elif isinstance(node, ast.List):
            for elt in node.elts:
                self._check(elt)
        else:
            self._fail(node, type(node).__name__)

    def _check_call(self, node: ast.Call) -> None:
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

    def evaluate(self, names: Mapping | None = None,
                 functions: Mapping[str, Callable] | None = None):
        """The value, with `names` bound to values and `functions` callable by name."""
        names = names or {}
        funcs = {**BUILTINS, **(functions or {})}
        missing = [n for n in sorted(self.names) if n not in names]
        if missing:
            raise ExpressionError(f"{self.label} uses unknown name(s) {', '.join(missing)}; "
                                  f"known: {', '.join(sorted(names)) or 'none'}",
                                  origin=self.origin)
        unknown = [f for f in sorted(self.functions) if f not in funcs]
        if unknown:
            raise ExpressionError(f"{self.label} calls unknown function(s) "
                                  f"{', '.join(unknown)}; known: {', '.join(sorted(funcs))}",
                                  origin=self.origin)
        try:
            return _Evaluation(self, names, funcs).value(self._tree)
        except RecursionError:
            raise ExpressionError(f"{self.label} nests too deeply to evaluate",
                                  origin=self.origin) from None


class _Evaluation:
    """One evaluation of an expression: its names, functions and deadline."""

    def __init__(self, expr: Expression, names: Mapping, funcs: Mapping):
        self.expr = expr
        self.names = names
        self.funcs = funcs
        self.deadline = time.monotonic() + TIME_LIMIT

    def fail(self, node, what: str):
        raise ExpressionError(f"{self.expr.label}: {what} at column {node.col_offset + 1}",
                              origin=self.expr.origin) from None

    def value(self, node):
        if time.monotonic() >= self.deadline:
            self.fail(node, f"evaluation took longer than {TIME_LIMIT:g} s")
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            return self.checked(node, self.names[node.id], f"'{node.id}'")
        if isinstance(node, ast.List):
            return [self.value(e) for e in node.elts]
        if isinstance(node, (ast.UnaryOp, ast.BinOp)):
            return self.operation(node)
        return self.call(node)

    def operation(self, node: ast.UnaryOp | ast.BinOp):
        if isinstance(node, ast.UnaryOp):
            op, operands = _UNARY[type(node.op)], [self.value(node.operand)]
        else:
            op, operands = _BINARY[type(node.op)], [self.value(node.left), self.value(node.right)]
        try:
            result = op(*operands)
        except ZeroDivisionError:
            divisor = ast.get_source_segment(self.expr.text.strip(), node.right)
            self.fail(node, "division by zero" if isinstance(node.right, ast.Constant)
                      else f"division by zero ({divisor} is 0)")
        except OverflowError:
            self.fail(node, f"the result overflows (beyond {LARGEST:.3g})")
        except (TypeError, _Refused) as exc:
            self.fail(node, str(exc))
        except MemoryError:
            self.fail(node, "the result does not fit in memory")
        return self.checked(node, result, "the result")

    def call(self, node: ast.Call):
        args = [self.value(a) for a in node.args]
        kwargs = {k.arg: self.value(k.value) for k in node.keywords}
        name = node.func.id
        started = time.monotonic()
        try:
            result = self.funcs[name](*args, **kwargs)
        except ExpressionError:
            raise
        except (TypeError, ValueError, KeyError, ArithmeticError, MemoryError) as exc:
            what = "overflow" if isinstance(exc, OverflowError) else str(exc)
            self.fail(node, f"{name}(): {what or type(exc).__name__}")
        self.deadline += time.monotonic() - started      # a query's time is not arithmetic
        return self.checked(node, result, f"{name}()")

    def checked(self, node, value, what: str):
        """The value, unless an infinite float or an integer beyond a float's range; any
        other value (NaN: unknown, strings, lists) as it is."""
        big = isinstance(value, int) and not isinstance(value, bool) and abs(value) > LARGEST
        if big or (isinstance(value, float) and math.isinf(value)):
            self.fail(node, f"{what} overflows (beyond {LARGEST:.3g})" if big or
                      what == "the result" else f"{what} is {value}")
        return value
