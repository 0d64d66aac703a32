"""Index formulas are arithmetic over known names and nothing else; index systems that are
malformed are refused with the file and line."""


import pytest

from flowgraph import ExpressionError
from flowgraph.plugins.evaluation import Formula, load_index_system
from flowgraph.plugins.evaluation.exceptions import EvaluationError


def test_arithmetic_over_names():
    f = Formula("(a + b) / c ** 2 - -1")
    assert f.names == {"a", "b", "c"}
    assert f.evaluate({"a": 1.0, "b": 3.0, "c": 2.0}) == pytest.approx(2.0)
    with pytest.raises(ExpressionError, match="division by zero"):
        Formula("a / b").evaluate({"a": 1.0, "b": 0.0})


@pytest.mark.parametrize("text, words", [
    ("max(a, b)", "the call max()"),
    ("abs(a)", "the call abs()"),
    ("a.real", "the attribute .real"),
    ("a[0]", "subscript"),
    ("'a' + b", "the constant 'a'"),
    ("a < b", "Compare"),
    ("a and b", "BoolOp"),
    ("lambda: 1", "Lambda"),
    ("__import__('os')", "__import__()"),
    ("a if b else c", "IfExp"),
    ("[a, b]", "List"),
    ("True * a", "True"),
    ("a +", "does not parse"),
])
def test_anything_else_is_refused(text, words):
    with pytest.raises(ExpressionError) as info:
        Formula(text)
    assert words in str(info.value)


def test_unknown_names_are_named_with_the_known_ones():
    with pytest.raises(ExpressionError, match=r"unknown name\(s\) revenu; known aggregates: "
                                              r"net_profit, revenue"):
        Formula("revenu / net_profit").check_names({"revenue", "net_profit"})


def _system(tmp_path, indicator: str):
    f = tmp_path / "idx.toml"
    f.write_text('[system]\nname = "t"\n\n[[indicator]]\ncode = "A"\n\n' + indicator)
    return f


def test_bad_formula_names_file_and_line(tmp_path):
    f = _system(tmp_path, '[[indicator]]\ncode = "A1"\nparent = "A"\nformula = "max(x, 1)"\n'
                          'better = "lower"\nbenchmark = 1\nweights = 0.5\n')
    with pytest.raises(EvaluationError) as info:
        load_index_system(f)
    assert f"{f}:7" in str(info.value) and "max()" in str(info.value)


@pytest.mark.parametrize("body, words", [
    ('formula = "x"\nbetter = "smaller"\nbenchmark = 1', "must be 'lower' or 'higher'"),
    ('formula = "x"\nbetter = "lower"\nbenchmark = 0', "must be positive"),
    ('formula = "x"\nbetter = "lower"', "needs benchmark"),
    ('formula = "x"\nbetter = "lower"\nbenchmark = 1\nweight = 2', "unknown key(s) ['weight']"),
    # a table where text goes (the fuzzer's glyphosate unit = { x = 1 }): an internal error
    ('formula = "x"\nbetter = "lower"\nbenchmark = 1\nunit = { x = 1 }',
     "unit must be text, not {'x': 1}"),
    ('formula = "x"\nbetter = ["lower"]\nbenchmark = 1', "better must be text"),
])
def test_bad_indicators_are_refused(tmp_path, body, words):
    f = _system(tmp_path, f'[[indicator]]\ncode = "A1"\nparent = "A"\n{body}\n')
    with pytest.raises(EvaluationError) as info:
        load_index_system(f)
    assert words in str(info.value) and f"{f}:7" in str(info.value)


def test_unknown_parent_and_duplicate_codes(tmp_path):
    f = _system(tmp_path, '[[indicator]]\ncode = "A1"\nparent = "Z"\nformula = "x"\n'
                          'better = "lower"\nbenchmark = 1\n')
    with pytest.raises(EvaluationError, match="parent 'Z' is not an indicator"):
        load_index_system(f)
    f = _system(tmp_path, '[[indicator]]\ncode = "A"\n')
    with pytest.raises(EvaluationError, match="duplicate indicator code 'A'"):
        load_index_system(f)
