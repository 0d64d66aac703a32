"""Bounded expressions and clean numbers (issue 14).

Every hostile expression of the issue ends within a second as an ExpressionError that names
the figure (or the indicator), the file and the line; each runs in a forked process with a
memory cap, so a regression fails the test instead of hanging or exhausting the machine.
Numbers read the same in the terminal, the HTML pages and the cards; CSV and JSON tables carry
no rounding noise; figure cards flag a deviation from the published value.
"""

from __future__ import annotations

import json
import math
import multiprocessing
import re
import resource

import numpy as np
import pandas as pd
import pytest

import flowgraph as fg
from flowgraph.errors import ExpressionError
from flowgraph.expr import MAX_DEPTH, MAX_LENGTH, MAX_SIZE, Expression
from flowgraph.model.report import Report
from flowgraph.numbers import fmt, fmt_all, shown_table
from flowgraph.plugins.evaluation import Formula, load_index_system
from flowgraph.views.page import figures_section, table_html
from flowgraph.views.render import report_json, write_report

#: the expressions of the issue, and a few more of the same kind
HOSTILE = {
    "9**9**9": "overflows",
    "10**10**7": "overflows",
    "'a'*10**10": f"longer than {MAX_SIZE:,}",
    "2.0**10000": "overflows",
    "exp(1000)": "overflow",
    "-" * 5000 + "1": f"at most {MAX_DEPTH}",
    "1/0": "division by zero",
    "1 % 0": "division by zero",
    "0 ** -1": "division by zero",
    "1e308 * 10": "overflows",
    "10**308 * 10": "overflows",
    "[1] * 10**9": f"longer than {MAX_SIZE:,}",
    "'%0999999999d' % 1": "formatting",
    "(" * 300 + "1" + ")" * 300: "too many nested parentheses",
    "+".join(["1"] * 500): f"at most {MAX_DEPTH}",
    "1" + " " * MAX_LENGTH: f"at most {MAX_LENGTH:,}",
    "(-8) ** 0.5": "not a real number",
    "-'a'": "bad operand type",
}
#: what a forked evaluation may add to the address space it inherits (the unbounded
#: 'a'*10**10 takes 10 GB); the parent's own size varies with what the suite has loaded
MEMORY = 2 * 1024 ** 3


def _address_space() -> int:
    """This process's virtual size in bytes (Linux /proc), 0 when unknown."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            kb = next(line.split()[1] for line in status if line.startswith("VmSize:"))
        return int(kb) * 1024
    except (OSError, StopIteration, ValueError):
        return 0


def _child(fn, conn):
    cap = _address_space() + MEMORY
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    try:
        conn.send(("value", repr(fn())))
    except BaseException as exc:            # noqa: BLE001 - reported to the parent
        conn.send((type(exc).__name__, str(exc)))


def outcome(fn, seconds: float = 5.0) -> tuple[str, str]:
    """(exception class name or 'value', message or repr) of fn() run in a forked process;
    fails if it takes longer than `seconds`."""
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_child, args=(fn, child))
    proc.start()
    ready = parent.poll(seconds)
    if not ready:
        proc.kill()
    proc.join()
    assert ready, f"still running after {seconds} s"
    return parent.recv()


@pytest.mark.parametrize("text, words", HOSTILE.items(), ids=[t[:20] for t in HOSTILE])
def test_hostile_expressions_end_in_an_expression_error(text, words):
    kind, message = outcome(lambda: Expression(text, origin="f.toml:3").evaluate({}))
    assert kind == "ExpressionError", message
    assert words in message and message.startswith("f.toml:3: ")
    assert len(message) < 400                  # a long expression is shown shortened


FIGURE_CASE = """\
[case]
name = "limits"

[[carrier]]
name = "ore"
unit = "t"

[[node]]
id = "mine"
kind = "source"

[[node]]
id = "yard"
kind = "sink"

[[flow]]
id = "ore"
source = "mine"
target = "yard"
carrier = "ore"
quantity = 5

[[figure]]
name = "fine"
expr = "q('ore') * 2"

[[figure]]
name = "hostile"
expr = {expr}
"""


@pytest.mark.parametrize("text", list(HOSTILE)[:7], ids=[t[:20] for t in list(HOSTILE)[:7]])
def test_a_hostile_figure_is_named_with_its_file_and_line(tmp_path, text):
    (tmp_path / "case.toml").write_text(FIGURE_CASE.format(expr=json.dumps(text)))
    case = fg.load(tmp_path)
    case.result()                              # solved before the clock starts
    origin = case.figures[1].origin
    assert re.fullmatch(re.escape(str(tmp_path / "case.toml")) + r":\d+", origin)
    kind, message = outcome(case.figure_values)
    assert kind == "ExpressionError", message
    assert message.startswith(f"{origin}: figure 'hostile': expression ")
    assert HOSTILE[text] in message


def test_a_figure_dividing_by_an_empty_flow_names_the_divisor(tmp_path):
    expr = "q('ore') / (q('ore') - 5)"
    (tmp_path / "case.toml").write_text(FIGURE_CASE.format(expr=json.dumps(expr)))
    case = fg.load(tmp_path)
    with pytest.raises(ExpressionError) as info:
        case.figure_values()
    assert str(info.value) == (
        f"{case.figures[1].origin}: figure 'hostile': expression \"q('ore') / (q('ore') - 5)\": "
        f"division by zero (q('ore') - 5 is 0) at column 1")


def test_sound_expressions_still_evaluate():
    assert Expression("2 ** 10").evaluate() == 1024                   # exact while small
    assert Expression("2 ** 0.5").evaluate() == pytest.approx(math.sqrt(2))
    assert Expression("2 ** -2").evaluate() == 0.25
    assert Expression("'ab' * 3 + 'c'").evaluate() == "abababc"
    assert Expression("round(1234.5678, 2) + round(2.5)").evaluate() == pytest.approx(1236.57)
    assert Expression("10 ** 308").evaluate() == 10 ** 308
    assert Expression("+".join(["1"] * 150)).evaluate() == 150
    assert math.isnan(Expression("a * 2").evaluate({"a": math.nan}))  # unknown stays unknown


def test_rounding_to_a_huge_number_of_digits_is_quick():
    assert outcome(lambda: Expression("round(1, -10**9) + round(2.5, 10**9)").evaluate()) \
        == ("value", "2.5")


def test_an_infinite_name_is_refused():
    with pytest.raises(ExpressionError, match="'a' is inf"):
        Expression("a * 2").evaluate({"a": math.inf})


def test_evaluation_has_a_deadline(monkeypatch):
    import flowgraph.expr as expr
    monkeypatch.setattr(expr, "TIME_LIMIT", 0.0)
    with pytest.raises(ExpressionError, match=r"took longer than 0 s"):
        Expression("1 + 1", origin="f.toml:3").evaluate()


def test_time_inside_called_functions_does_not_count(monkeypatch):
    import time

    import flowgraph.expr as expr
    monkeypatch.setattr(expr, "TIME_LIMIT", 0.05)
    assert Expression("slow() + 1").evaluate({}, {"slow": lambda: time.sleep(0.1) or 1}) == 2


def test_index_formula_division_by_zero_names_indicator_file_and_line(tmp_path):
    f = tmp_path / "idx.toml"
    f.write_text('[system]\nname = "t"\n\n[[indicator]]\ncode = "A"\n\n[[indicator]]\n'
                 'code = "A1"\nparent = "A"\nformula = "waste / product"\nbetter = "lower"\n'
                 'benchmark = 1\nweights = 1\n')
    isys = load_index_system(f)
    with pytest.raises(ExpressionError) as info:
        isys.actual_values({"waste": 3.0, "product": 0.0})
    assert str(info.value) == (f"{f}:7: indicator A1: formula 'waste / product': division by "
                               f"zero (product is 0) at column 1")


@pytest.mark.parametrize("text, words", [("9**9**9", "overflows"), ("2.0**10000", "overflows"),
                                         ("-" * 5000 + "1", f"at most {MAX_DEPTH}")])
def test_hostile_index_formulas(text, words):
    kind, message = outcome(lambda: Formula(text, origin="i.toml:9").evaluate({}))
    assert kind == "ExpressionError" and words in message and message.startswith("i.toml:9: ")


# -- one number format -----------------------------------------------------------------------

@pytest.mark.parametrize("value, shown", [
    (1234.5678, "1,234.57"),
    (-1234.5, "-1,234.5"),
    (0.650014, "0.650014"),
    (0.000123456789, "0.000123457"),
    (0.0001, "0.0001"),
    (1.5e-05, "1.5e-05"),
    (123456.7, "123,457"),
    (999999.7, "1,000,000"),              # rounds up to a million: whole, not 1e+06
    (4318754.2, "4,318,754"),
    (999999999999999.0, "999,999,999,999,999"),
    (1.2345678e15, "1.23457e+15"),
    (0.0, "0"),
    (-0.0, "0"),
    (7, "7"),
    (np.float64(2.5), "2.5"),
    (math.nan, "unknown"),
    (math.inf, "inf"),
    (-math.inf, "-inf"),
    (None, ""),
    ("n/a", "n/a"),
])
def test_fmt(value, shown):
    assert fmt(value) == shown


def test_fmt_digits():
    assert fmt(3.14159265, digits=3) == "3.14" and fmt(1234.6, digits=3) == "1,235"


def test_fmt_all_is_fmt_over_an_array():
    values = [1234.5678, 999999.7, 0.0, -0.0, 1.5e-05, math.nan, 4318754.2, 1.2345678e15]
    assert fmt_all(values) == [fmt(v) for v in values]


def test_a_table_shows_rounding_noise_as_zero():
    frame = pd.DataFrame({"q": [1e6, -5.3e-10, 2.5, math.nan, 1e-3, 2e-5]})
    assert shown_table(frame)["q"].tolist() == ["1,000,000", "0", "2.5", "unknown", "0.001",
                                                "2e-05"]    # small, but not noise
    assert shown_table(frame, nan="")["q"].tolist()[3] == ""
    assert shown_table(pd.DataFrame({"q": []}, dtype=float))["q"].tolist() == []


def test_noise_is_judged_per_unit():
    frame = pd.DataFrame({"q": [1e10, 1e-3, 5e-13, 2.0], "unit": ["kWh", "t", "t", "t"],
                          "n": [1, 2, 3, 4]})
    assert shown_table(frame)["q"].tolist() == ["10,000,000,000", "0.001", "0", "2"]
    assert shown_table(frame.drop(columns="unit"))["q"].tolist() == ["10,000,000,000", "0",
                                                                     "0", "2"]


def test_html_tables_use_the_one_format():
    frame = pd.DataFrame({"q": [1e6, -5.3e-10, math.nan, 1.5e-05 * 1e6]},
                         index=pd.Index(list("abcd"), name="flow"))
    cells = re.findall(r"<td>(.*?)</td>", table_html(frame))
    assert cells == ["1,000,000", "0", "", "15"]           # NaN empty, as in the CSV


# -- no noise in CSV and JSON ----------------------------------------------------------------

def _noisy_report() -> Report:
    frame = pd.DataFrame({"quantity": [1e6, -5.3e-10, 0.1 + 0.2, math.nan, -0.0],
                          "count": [1, 2, 3, 4, 5]},
                         index=pd.Index(list("abcde"), name="flow"))
    return Report("t", tables={"flows": frame})


def test_csv_tables_carry_no_noise_and_round_trip(tmp_path):
    write_report(_noisy_report(), tmp_path)
    lines = (tmp_path / "flows.csv").read_text().splitlines()
    assert lines == ["flow,quantity,count", "a,1000000.0,1", "b,0.0,2",
                     "c,0.30000000000000004,3", "d,,4", "e,0.0,5"]


def test_json_tables_carry_no_noise():
    rows = report_json(_noisy_report())["tables"]["flows"]["rows"]
    assert [r["quantity"] for r in rows] == [1e6, 0.0, 0.30000000000000004, None, 0.0]


# -- figure cards flag deviations ------------------------------------------------------------

def test_a_card_off_its_published_value_is_flagged():
    cards = figures_section("Headline figures", [
        {"name": "close", "value": 102.0, "unit": "t", "published": 100.0},
        {"name": "off", "value": 93.0, "unit": "t", "published": 100.0},
        {"name": "none", "value": 93.0, "unit": "t"},
        {"name": "unknown", "value": math.nan, "unit": "t", "published": 100.0},
    ]).html
    close, off, none, unknown = re.split(r'<div class="figure(?=[ "])', cards)[1:]
    assert 'class="deviation"' in close and "+2.0 %" in close and "⚠" not in close
    assert off.startswith(' off"') and "⚠ -7.0 % from published (over 5 %)" in off
    assert "deviation" not in none and "published" not in none
    assert "unknown" in unknown and "deviation" not in unknown
