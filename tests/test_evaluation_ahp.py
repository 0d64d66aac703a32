"""AHP weights on textbook matrices, checked against hand arithmetic, and refused matrices."""

import math

import numpy as np
import pytest

from flowgraph import FlowgraphError
from flowgraph.plugins.evaluation import InconsistentJudgementError, ahp_weights, load_index_system
from flowgraph.plugins.evaluation.exceptions import EvaluationError

# Saaty's random index for n = 3 and 4 (Saaty 1980), typed here from the source
RI3, RI4 = 0.58, 0.90


def test_consistent_matrix_gives_its_ratios_back():
    w = np.array([0.5, 0.3, 0.2])
    A = w[:, None] / w[None, :]                     # a_ij = w_i / w_j: perfectly consistent
    r = ahp_weights(A)
    assert np.allclose(r.weights, w)
    assert r.lambda_max == pytest.approx(3.0)
    assert r.ci == pytest.approx(0.0, abs=1e-12)
    assert r.cr == pytest.approx(0.0, abs=1e-12)


def test_two_by_two_by_hand():
    # [[1, a], [1/a, 1]]: w = (a, 1) / (1 + a), lambda = 2, always consistent
    r = ahp_weights([[1, 4], ["1/4", 1]])
    assert np.allclose(r.weights, [4 / 5, 1 / 5])
    assert r.lambda_max == pytest.approx(2.0)
    assert r.cr == 0.0


def test_three_by_three_textbook_matrix_by_hand():
    # Saaty's scale example [[1, 3, 5], [1/3, 1, 3], [1/5, 1/3, 1]]. For n = 3 the principal
    # eigenvector equals the normalised row geometric means, and for a = a12, b = a13,
    # c = a23: lambda_max = 1 + (ac/b)^(1/3) + (b/(ac))^(1/3).
    a, b, c = 3.0, 5.0, 3.0
    r = ahp_weights([[1, a, b], [1 / a, 1, c], [1 / b, 1 / c, 1]])
    gm = np.array([(a * b) ** (1 / 3), (c / a) ** (1 / 3), (1 / (b * c)) ** (1 / 3)])
    assert np.allclose(r.weights, gm / gm.sum())
    assert np.allclose(r.weights, [0.6370, 0.2583, 0.1047], atol=5e-5)
    lam = 1 + (a * c / b) ** (1 / 3) + (b / (a * c)) ** (1 / 3)
    assert r.lambda_max == pytest.approx(lam)                       # 3.0385
    assert r.ci == pytest.approx((lam - 3) / 2)
    assert r.cr == pytest.approx((lam - 3) / 2 / RI3)               # 0.0332
    assert r.cr == pytest.approx(0.0332, abs=1e-4)
    assert r.consistent


def test_four_by_four_eigen_equation_and_cr():
    # a consistent 4 x 4 with one judgement moved from 2 to 3: A w = lambda w must hold
    w0 = np.array([0.4, 0.3, 0.2, 0.1])
    A = w0[:, None] / w0[None, :]
    A[0, 2], A[2, 0] = 3.0, 1 / 3.0
    r = ahp_weights(A)
    assert np.allclose(A @ r.weights, r.lambda_max * r.weights)
    assert r.weights.sum() == pytest.approx(1.0)
    assert r.lambda_max > 4
    assert r.cr == pytest.approx((r.lambda_max - 4) / 3 / RI4)
    assert r.weights[0] > w0[0]                                   # A0 gained against A2


def test_inconsistent_matrix_is_refused_with_its_name_and_cr():
    # a cyclic 9-judgement matrix: 1 >> 2 >> 3 >> 1. lambda = 1 + 9 + 1/9 (formula above),
    # CI = (lambda - 3) / 2 = 3.556, CR = CI / 0.58 = 6.13
    M = [[1, 9, "1/9"], ["1/9", 1, 9], [9, "1/9", 1]]
    with pytest.raises(InconsistentJudgementError) as info:
        ahp_weights(M, name="my judgements")
    msg = str(info.value)
    assert "'my judgements'" in msg and "CR = 6.130" in msg
    assert isinstance(info.value, FlowgraphError)
    assert info.value.cr == pytest.approx((1 + 9 + 1 / 9 - 3) / 2 / RI3)
    accepted = ahp_weights(M, accept_inconsistent=True)
    assert accepted.cr == pytest.approx(6.1303, abs=1e-4)
    assert np.allclose(accepted.weights, 1 / 3)
    assert not accepted.consistent


@pytest.mark.parametrize("matrix, words", [
    ([[1, 2], [2, 1]], "not reciprocal"),
    ([[1, 2, 3], [0.5, 1]], "square"),
    ([[1, -2], [-0.5, 1]], "positive"),
    ([[2, 2], [0.5, 2]], "diagonal"),
    ([[1, "max(2, 3)"], ["1/3", 1]], "max()"),
    ([[1, "x"], ["1/3", 1]], "arithmetic over numbers"),
])
def test_bad_matrices_are_refused(matrix, words):
    with pytest.raises(EvaluationError, match=words.replace("(", r"\(").replace(")", r"\)")):
        ahp_weights(matrix, name="m")


def test_no_random_index_beyond_the_table():
    with pytest.raises(EvaluationError, match="no random index for a 16 x 16"):
        ahp_weights(np.ones((16, 16)))


SYSTEM = """
[system]
name = "tiny"
[weights.judged]
kind = "ahp"
[weights.local]
kind = "local"

[[indicator]]
code = "A"
weights = {{ local = 0.6 }}
[[indicator]]
code = "A1"
parent = "A"
formula = "x"
better = "higher"
benchmark = 1
weights = {{ local = 0.5 }}
[[indicator]]
code = "A2"
parent = "A"
formula = "x"
better = "higher"
benchmark = 1
weights = {{ local = 0.5 }}
[[indicator]]
code = "B"
formula = "y"
better = "lower"
benchmark = 2
weights = {{ local = 0.4 }}

[[comparison]]
weights = "judged"
parent = ""
children = ["A", "B"]
matrix = [[1, 3], ["1/3", 1]]
[[comparison]]
weights = "judged"
parent = "A"
children = ["A1", "A2"]
matrix = {inner}
"""


def test_local_weights_combine_down_the_tree(tmp_path):
    f = tmp_path / "s.toml"
    f.write_text(SYSTEM.format(inner='[[1, 1], [1, 1]]'))
    s = load_index_system(f)
    g = s.global_weights("judged")
    # top: 3:1 -> 0.75, 0.25; A's children 1:1 -> 0.5 each of 0.75
    assert g == pytest.approx({"A": 0.75, "B": 0.25, "A1": 0.375, "A2": 0.375})
    assert s.global_weights("local") == pytest.approx({"A": 0.6, "B": 0.4, "A1": 0.3, "A2": 0.3})
    table, p = s.score({"A1": 0.8, "A2": 1.2, "B": 4.0}, ["judged", "local"])
    # indices: 0.8, 1.2 (higher is better), 2 / 4 = 0.5 (lower is better)
    assert p["judged"] == pytest.approx(0.375 * 0.8 + 0.375 * 1.2 + 0.25 * 0.5)
    assert p["local"] == pytest.approx(0.3 * 0.8 + 0.3 * 1.2 + 0.4 * 0.5)
    assert math.isclose(table.at["B", "index"], 0.5)


def test_an_inconsistent_matrix_in_a_system_names_its_group_and_line(tmp_path):
    # the top level becomes a cyclic 3-way comparison of A, B and C
    text = SYSTEM.format(inner='[[1, 1], [1, 1]]').replace(
        'children = ["A", "B"]\nmatrix = [[1, 3], ["1/3", 1]]',
        'children = ["A", "B", "C"]\nmatrix = [[1, 9, "1/9"], ["1/9", 1, 9], [9, "1/9", 1]]')
    text += ('\n[[indicator]]\ncode = "C"\nformula = "y"\nbetter = "lower"\nbenchmark = 1\n'
             'weights = { local = 0.1 }\n')
    f = tmp_path / "s.toml"
    f.write_text(text)
    s = load_index_system(f)
    with pytest.raises(InconsistentJudgementError) as info:
        s.global_weights("judged")
    line = text.splitlines().index("[[comparison]]") + 1
    assert f"s.toml:{line}" in str(info.value) and "judged: top level" in str(info.value)
    assert s.global_weights("judged", accept_inconsistent=True)["C"] == pytest.approx(1 / 3)
