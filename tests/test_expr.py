"""The safe expression language: arithmetic over known names, and nothing else."""

import pytest

from flowgraph.errors import ExpressionError
from flowgraph.expr import Expression


def test_arithmetic_and_functions():
    e = Expression("-(a + b) * 2 / c ** 2 + max(a, 10) % 4")
    assert e.evaluate({"a": 1, "b": 2, "c": 3}) == pytest.approx(-6 / 9 + 2)
    assert Expression("f('x', k=2)").evaluate({}, {"f": lambda s, k: s * k}) == "xx"
    assert e.names == {"a", "b", "c"}


@pytest.mark.parametrize("text", [
    "__import__('os').system('echo hi')",   # attribute call
    "a.b", "a[0]", "lambda: 1", "[x for x in y]", "a if b else c", "a < b", "a and b",
    "(yield)", "f(*args)", "f(**kw)", "True",
])
def test_refuses_anything_but_arithmetic(text):
    with pytest.raises(ExpressionError):
        Expression(text)


def test_unknown_names_and_functions():
    with pytest.raises(ExpressionError, match="unknown name"):
        Expression("a + zz").evaluate({"a": 1})
    with pytest.raises(ExpressionError, match="unknown function"):
        Expression("open('x')").evaluate({})
    with pytest.raises(ExpressionError, match="does not parse"):
        Expression("a +")


def test_division_by_zero_is_an_error_naming_the_divisor():
    with pytest.raises(ExpressionError, match=r"division by zero \(a is 0\)"):
        Expression("1 / a").evaluate({"a": 0})
