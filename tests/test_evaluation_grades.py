"""Grade boundaries of doc 001's five levels (data/evaluation_grades.toml)."""

import math

import pytest

from flowgraph.plugins.evaluation import grade_table
from flowgraph.plugins.evaluation.exceptions import EvaluationError


@pytest.mark.parametrize("p, level", [
    (1.3, 1), (0.9, 1), (0.8999999, 2), (0.8, 2), (0.7999999, 3), (0.7, 3),
    (0.6999999, 4), (0.6, 4), (0.5999999, 5), (0.15, 5), (-1.0, 5),
])
def test_five_levels(p, level):
    assert grade_table("circular_economy_5").grade(p).level == level


def test_not_a_number_is_not_graded():
    assert grade_table("circular_economy_5").grade(math.nan) is None


def test_labels_follow_table_2():
    t = grade_table("circular_economy_5")
    assert [lev.label_zh[-2:] for lev in t.levels] == ["很高", "较高", "一般", "较低", "很低"]


def test_grade_table_from_a_file_and_overlaps_refused(tmp_path):
    f = tmp_path / "g.toml"
    f.write_text('[[level]]\nlevel = 1\nmin = 0.5\nlabel = "good"\n'
                 '[[level]]\nlevel = 2\nmax = 0.5\nlabel = "bad"\n')
    t = grade_table("g.toml", tmp_path)
    assert t.grade(0.5).label == "good" and t.grade(0.49).label == "bad"
    f.write_text('[[level]]\nlevel = 1\nmin = 0.4\n[[level]]\nlevel = 2\nmax = 0.5\n')
    with pytest.raises(EvaluationError, match="overlap"):
        grade_table("g.toml", tmp_path)
    with pytest.raises(EvaluationError, match="no grade table 'nope'"):
        grade_table("nope", tmp_path)


def test_normalised_and_capped_weight_sets(tmp_path):
    from flowgraph.plugins.evaluation import load_index_system
    f = tmp_path / "s.toml"
    f.write_text('[system]\ncap = 1.2\n[weights.raw]\n[weights.norm]\nnormalise = true\n'
                 '[[indicator]]\ncode = "x"\nformula = "a"\nbetter = "higher"\nbenchmark = 1\n'
                 'weights = { raw = 0.3, norm = 0.3 }\n'
                 '[[indicator]]\ncode = "y"\nformula = "a"\nbetter = "higher"\nbenchmark = 1\n'
                 'cap = 5\nweights = { raw = 0.6, norm = 0.6 }\n')
    s = load_index_system(f)
    assert s.global_weights("norm") == pytest.approx({"x": 1 / 3, "y": 2 / 3})
    table, p = s.score({"x": 2.0, "y": 2.0}, ["raw", "norm"])
    # x capped by the system at 1.2, y by its own cap 5 (so not capped at 2.0)
    assert list(table["index"]) == [1.2, 2.0]
    assert p["raw"] == pytest.approx(0.3 * 1.2 + 0.6 * 2.0)
    assert p["norm"] == pytest.approx(1.2 / 3 + 2 * 2.0 / 3)
