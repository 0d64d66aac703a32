"""Doc 001's value flows 1-4 by origin (methods/value_origins.py, plugins/evaluation/origins.py)
on the glyphosate case and a tiny case, against hand arithmetic from the case's inputs
(recipes, compositions and prices written in case.toml and its README), never numbers the
code printed."""

from pathlib import Path

import pytest

import flowgraph as fg
from flowgraph.methods.value_origins import OWN, PURCHASED, RECYCLED, classify, summarise
from flowgraph.plugins.evaluation import EvaluationError, plugin

ROOT = Path(__file__).parent.parent
GLY = ROOT / "cases" / "glyphosate"
OUTPUT = 120_000                              # t glyphosate a year
#: own chains' prices as case.toml writes them (own_cost_factor x list price, calibration.toml)
OWN_PRICE = {"P4": 11807.97, "Cl2": 295.2, "S": 885.6, "caustic": 393.6}


@pytest.fixture(scope="module")
def report():
    return plugin.report(fg.load(GLY))


def test_own_resources_by_hand(report):
    vf = report.tables["value_flows"]
    # own chains' inputs in the synergy situation, t a year, from the recipes of the README
    pcl3 = 1.30 * 0.95 * OUTPUT                  # DMP 0.95 t/t, PCl3 1.30 t/t DMP = 148,200
    p4 = 0.229 * pcl3
    cl2_pcl3 = 0.774446 * pcl3                   # chlorine balance of the PCl3 unit
    glycine = 0.62 * OUTPUT
    cl2_gly = 1.74 * glycine * 0.291706 + 0.77 * glycine * 0.662753   # acid and NH4Cl
    sulfur = 0.005 * glycine
    caustic = 2.0094 * OUTPUT
    k = OWN_PRICE
    own = k["P4"] * p4 + k["Cl2"] * (cl2_pcl3 + cl2_gly) + k["S"] * sulfur + k["caustic"] * caustic
    assert vf.at[("synergy", OWN), "material"] == pytest.approx(own / 1e4, rel=1e-6)
    assert vf.at[("non-synergy", OWN), "value"] == 0


def test_new_inputs_add_up_to_the_positive_cost(report):
    st, vf = report.tables["statement"], report.tables["value_flows"]
    for lab in ("non-synergy", "synergy"):
        raw = vf.at[(lab, PURCHASED), "material"] + vf.at[(lab, OWN), "material"]
        assert raw == pytest.approx(st.at["raw-material cost", lab])
        assert vf.at[(lab, PURCHASED), "energy"] == pytest.approx(st.at["energy cost", lab])
        assert st.at["raw-material cost: of which value flow 3 (own resources)", lab] == \
            pytest.approx(vf.at[(lab, OWN), "material"])
    # the paper's raw-material cost, non-synergy: all purchased
    assert round(vf.at[("non-synergy", PURCHASED), "material"]) == 557_640


def test_recycled_and_intermediates_are_memo(report):
    items = report.tables["value_flow_items"].loc["synergy"]
    rec = set(items.index[items["origin"] == RECYCLED])
    assert rec == {"recycled methanol", "recovered HCl", "surplus methanol",
                   "cooling water return", "DMP acid to synthesis"}
    # the reused by-product acid: 2.2 t/t less the 1,600 t recovered in the plant
    assert items.at["DMP acid to synthesis", "quantity"] == pytest.approx(2.1866667 * OUTPUT,
                                                                         rel=1e-6)
    inter = items[items["origin"] == "3 own intermediates"]
    assert set(inter["carrier"]) == {"phosphorus trichloride", "dimethyl phosphite", "glycine"}
    assert inter.loc["PCl3", "quantity"] == pytest.approx(1.30 * 0.95 * OUTPUT)
    base = report.tables["value_flow_items"].loc["non-synergy"]
    assert not (base["origin"] == "3 own intermediates").any()   # sold, not passed on
    vf = report.tables["value_flows"]
    assert vf.at[("synergy", RECYCLED), "counted"] == "carried (memo)"


TINY = """\
[case]
name = "origins"
period = "yr"

[[node]]
id = "market"
kind = "source"

[[node]]
id = "own mine"
kind = "source"

[[node]]
id = "mill"
kind = "process"
layers = []

[[node]]
id = "shop"
kind = "sink"

[[flow]]
id = "bought ore"
source = "market"
target = "mill"
carrier = "ore"
quantity = 10
price = 50

[[flow]]
id = "own ore"
source = "own mine"
target = "mill"
carrier = "ore"
quantity = 5
price = 20

[[flow]]
id = "metal"
source = "mill"
target = "shop"
carrier = "metal"
quantity = 12

[[flow]]
id = "scrap back"
source = "mill"
target = "mill"
carrier = "scrap"
quantity = 3
role = "recycle"
"""


def test_classes_of_a_tiny_network_by_hand(tmp_path):
    (tmp_path / "case.toml").write_text(TINY, encoding="utf-8")
    r = fg.load(tmp_path).result()
    flows = classify(r, own_sources=["own mine"])
    assert flows.at["bought ore", "origin"] == PURCHASED
    assert flows.at["bought ore", "value"] == pytest.approx(10 * 50)
    assert flows.at["own ore", "origin"] == OWN
    assert flows.at["own ore", "value"] == pytest.approx(5 * 20)
    assert flows.at["scrap back", "origin"] == RECYCLED
    assert "metal" not in flows.index                       # to a sink: no origin
    s = summarise(flows)
    assert s.at[PURCHASED, "material"] + s.at[OWN, "material"] == pytest.approx(600)
    assert s.at[OWN, "flows"] == 1


def _case_with(tmp_path, origins: str):
    text = (GLY / "case.toml").read_text(encoding="utf-8")
    start = text.index("[evaluation.origins]")
    end = text.index("\n\n", start)
    text = text[:start] + "[evaluation.origins]\n" + origins + text[end:]
    for name in ("index_system.toml", "calibration.toml"):
        (tmp_path / name).write_text((GLY / name).read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "case.toml").write_text(text, encoding="utf-8")
    line = text[:text.index("[evaluation.origins]")].count("\n") + 1
    return fg.load(tmp_path), line


@pytest.mark.parametrize("origins, message", [
    ('own_sources = ["market"]\ncolour = "red"', r"unknown key\(s\) 'colour'"),
    ('own_sources = ["synthesis"]', r"'synthesis' is not a source node"),
    ('recycled = ["no such flow"]', r"'no such flow' is not a flow"),
    ('intermediates = ["unobtainium"]', r"'unobtainium' is not a carrier"),
    ('own_sources = "market"', r"give a list of names"),
])
def test_bad_origins_are_refused_by_name(tmp_path, origins, message):
    case, line = _case_with(tmp_path, origins)
    with pytest.raises(EvaluationError, match=message) as err:
        plugin.report(case)
    assert f"case.toml:{line}" in str(err.value)


def test_evaluate_command_writes_the_value_flows(tmp_path, capsys):
    from flowgraph.cli import main
    assert main(["evaluate", str(GLY), "--out", str(tmp_path)]) == 0
    assert (tmp_path / "value_flows.csv").exists() and (tmp_path / "value_flow_items.csv").exists()
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "Value flows 1-4 by origin" in html
    statement = (tmp_path / "statement.csv").read_text(encoding="utf-8")
    assert "of which value flow 3 (own resources)" in statement
