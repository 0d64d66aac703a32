"""Grade tables: levels at their exact boundaries, gaps, other products added as data."""

import math

import numpy as np
import pandas as pd
import pytest

import flowgraph as fg
from flowgraph.methods.energy_grades import FAILS, grade, grade_table

# doc 003 table 1, calcium-carbide route, general-purpose resin: L1 185, L2 193, L3 270 kgce/t


@pytest.mark.parametrize("value,level", [
    (150.0, 1), (185.0, 1), (np.nextafter(185.0, 1e9), 2), (190.0, 2), (193.0, 2),
    (np.nextafter(193.0, 1e9), 3), (270.0, 3)])
def test_carbide_general_purpose_levels_at_the_boundaries(value, level):
    g = grade(value, "PVC resin", "calcium carbide", "general-purpose")
    assert g.level == level and g.passes and g.label == f"level {level}"


def test_above_270_fails_the_limit():
    for value in (np.nextafter(270.0, 1e9), 271.0, 400.0):
        g = grade(value)
        assert g.level is None and not g.passes and g.label == FAILS == "fails the limit"
        assert g.gap_to_baseline > 0


def test_gaps_to_benchmark_and_baseline_in_kgce_and_tce():
    g = grade(210.0, output=130_000)
    assert g.benchmark == 193 and g.baseline == 270
    assert g.gap_to_benchmark == pytest.approx(17.0)
    assert g.gap_to_baseline == pytest.approx(-60.0)
    assert g.gap_tce("benchmark") == pytest.approx(17.0 * 130_000 / 1000)     # 2,210 tce/yr
    assert g.gap_tce("baseline") == pytest.approx(-60.0 * 130_000 / 1000)
    assert g.gap("level 1") == pytest.approx(25.0)
    assert math.isnan(grade(210.0).gap_tce())              # no output, no tce
    t = g.table()
    assert t.loc[2, "label"] == "benchmark" and t.loc[3, "label"] == "baseline"
    assert t["reached"].tolist() == [False, False, True]


@pytest.mark.parametrize("route,variant,limits", [
    ("calcium carbide", "paste", (430, 450, 480)),
    ("ethylene", "general-purpose", (600, 620, 635)),
    ("combined", "paste", (900, 950, 1100)),
    ("Jiangzhong", "general-purpose", (600, 620, 635)),
    ("monomer", "general-purpose", (150, 175, 210)),
    ("monomer", "paste", (355, 385, 415)),
])
def test_every_row_of_the_pvc_table(route, variant, limits):
    for level, lim in enumerate(limits, 1):
        assert grade(lim, route=route, variant=variant).level == level
    assert grade(limits[-1] + 0.01, route=route, variant=variant).level is None


def test_chinese_names_are_accepted():
    assert grade(190, "聚氯乙烯树脂", "电石法", "通用型").level == 2


def test_another_product_is_added_as_data_alone(tmp_path):
    path = tmp_path / "caustic.csv"
    pd.DataFrame({"product": ["caustic soda"] * 2, "route": ["ion membrane"] * 2,
                  "variant": ["30 %"] * 2, "level": [1, 2], "max_value": [315.0, 330.0],
                  "unit": ["kgce/t"] * 2, "label": ["benchmark", "baseline"]}).to_csv(path, index=False)
    table = grade_table(path)
    g = grade(320, "caustic soda", "ion membrane", "30 %", output=1000, table=table)
    assert g.level == 2 and g.benchmark == 315 and g.gap_tce() == pytest.approx(5.0)
    assert grade(180, table=table).level == 1          # the shipped rows are still there
    mine = pd.DataFrame({"product": ["PVC resin"] * 3, "route": ["calcium carbide"] * 3,
                         "variant": ["general-purpose"] * 3, "level": [1, 2, 3],
                         "max_value": [165.0, 180.0, 200.0], "unit": ["kgce/t"] * 3,
                         "label": ["", "benchmark", "baseline"]})
    assert grade(190, table=grade_table(extra=mine)).level == 3    # a row given later wins


def test_bad_tables_and_lookups():
    with pytest.raises(fg.ModelError, match="no route 'oxygen'.*calcium carbide"):
        grade(200, route="oxygen")
    with pytest.raises(fg.ModelError, match="not a finite number"):
        grade(float("nan"))
    bad = pd.DataFrame({"product": ["x", "x"], "route": ["r", "r"], "variant": ["v", "v"],
                        "level": [1, 2], "max_value": [10.0, 5.0], "unit": ["kgce/t"] * 2,
                        "label": ["", ""]})
    with pytest.raises(fg.CaseFileError, match="do not rise with the level"):
        grade_table(extra=bad)
    with pytest.raises(fg.CaseFileError, match="lacks column"):
        grade_table(extra=bad.drop(columns="max_value"))
    with pytest.raises(fg.CaseFileError, match="does not exist"):
        grade_table("/nonexistent/grades.csv")
