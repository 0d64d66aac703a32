"""Doc 000's six ECER technologies on the calcium-carbide PVC case: its table 2 (value flow), its
table 3 (classes) and what the structural and interaction methods find instead.

Expected numbers are doc 000's printed figures and arithmetic on the case's inputs, written out
here; solved base quantities (the CHP's lignite) are read from the base result only where the
case derives them by balance.
"""

import json
from pathlib import Path

import pytest

import flowgraph as fg
from flowgraph.cli import main
from flowgraph.plugins.synergy import analyse
from flowgraph.solvers.conservation import assert_conserved

CASE = str(Path(__file__).parent.parent / "cases" / "pvc_carbide")
P = 130_000.0
TECHS = ["tech1", "tech2", "tech3", "tech4", "tech5", "tech6"]
WATER_PRICE = 61_400 / 1_297_000                  # doc 000 table 2: CNY per t of water


@pytest.fixture(scope="module")
def case():
    return fg.load(CASE)


@pytest.fixture(scope="module")
def a(case):
    return analyse(case)


def test_every_technology_solves_and_conserves(case):
    for name, sc in case.scenarios.items():
        if sc.meta.get("technology"):
            assert_conserved(case.result(name))


def test_value_flow_reproduces_doc_000_table_2(a):
    t = a.value_flow_totals
    # water: technologies 1, 2, 4 and 5 as the text states them
    assert t.at["water saving", "saving"] == pytest.approx(123_000 + 365_000 + 800_000 + 9_000)
    assert t.at["water saving", "value_cny"] == pytest.approx(61_400, abs=0.05)
    # the printed coefficient 0.0857 kgce/t gives 111.15 tce, not the 122.9 printed
    assert t.at["water saving", "tce"] == pytest.approx(1_297_000 * 0.0857 / 1000)
    # power: 40,000 kWh x 0.329 kgce/kWh = 13.16 tce; x 0.165 CNY/kWh = 6,600 CNY
    assert t.at["power conservation", "saving"] == pytest.approx(40_000)
    assert t.at["power conservation", "tce"] == pytest.approx(13.16)
    assert t.at["power conservation", "value_cny"] == pytest.approx(6_600)
    assert t.at["calcium carbide", "value_cny"] == pytest.approx(9_000_000)
    # NaCl: neutralising 0.0316 t/t NaOH makes 1.461 t NaCl per t; 350 CNY/t
    assert t.at["NaCl", "saving"] == pytest.approx(0.0316 * 1.461 * P)
    assert t.at["NaCl", "value_cny"] == pytest.approx(0.0316 * 1.461 * P * 350)
    assert t.at["NaCl", "value_cny"] == pytest.approx(2_100_000, rel=5e-4)
    # doc 000's own savings through the same arithmetic: its 41,168,000 CNY
    assert t.at["total", "value_cny_stated"] == pytest.approx(41_168_000, abs=0.05)
    assert t.at["lime", "value_cny_stated"] == 30_000_000


def test_lime_is_what_the_chp_desulfurisation_uses(case, a):
    lignite = case.result().flows.at["chp lignite", "quantity"]
    lime = 0.02 * lignite                          # the case's recipe: 0.02 t lime per t lignite
    t = a.value_flow_totals
    assert t.at["lime", "saving"] == pytest.approx(lime)
    assert 3_790 < lime < 3_810                    # 26 times less than doc 000's 100,000 t
    assert t.at["lime", "value_cny"] == pytest.approx(lime * 300)
    total = 61_400 + 6_600 + 9_000_000 + lime * 300 + 0.0316 * 1.461 * P * 350
    assert t.at["total", "value_cny"] == pytest.approx(total, abs=0.05)
    assert a.figures["synergy_value_cny"] == pytest.approx(total, abs=0.05)


def test_technology_5_at_the_texts_rate(case):
    r = case.result("tech 5 at 1.45 t/t (doc 000 text)")
    saved = case.result().flows.at["carbide", "quantity"] - r.flows.at["carbide", "quantity"]
    assert saved == pytest.approx((1.56 - 1.45) * P)          # 14,300 t, not 3,000
    r5 = case.result("tech 5: acetylene recovery from slag-slurry water")
    assert r5.flows.at["carbide", "quantity"] / P == pytest.approx(1.56 - 3_000 / P)


def test_classes_are_doc_000s_table_3(a):
    c = a.classes
    assert list(c["class_declared"]) == ["good", "general", "poor", "general", "good", "poor"]
    assert list(c["class"]) == list(c["class_declared"])      # the case's headline basis
    # doc 000's conclusion: the input stage good, utilisation and output general
    s = a.stages["stage_class_declared"]
    assert s.to_dict() == {"input": "good", "utilisation": "general", "output": "general"}


def test_single_technology_synergy_types(a):
    syn = a.synergy
    assert list(syn["n_types"]) == [3, 1, 1, 1, 2, 1]
    assert syn.at["tech2", "types"] == syn.at["tech4", "types"] == \
        "water saving + emission reduction"
    assert syn.at["tech3", "types"] == "energy conservation + emission reduction"
    assert syn.at["tech6", "types"] == "material saving + emission reduction"
    assert syn.at["tech5", "types"] == ("water saving + emission reduction; material saving + "
                                        "emission reduction")


def test_technology_3s_knock_on_effects_stay_below_the_thresholds(case, a):
    """40,000 kWh less from the CHP: lignite falls by 40,000 x 3.6 MJ / 0.65 / 14,650 MJ/t;
    its CHP water (1.2 t/t) and lime (0.02 t/t) fall with it, far below the thresholds."""
    e = a.effects.set_index(["key", "category", "item"])
    lignite = 40_000 * 3.6 / 0.65 / 14_650
    assert e.at[("tech3", "energy", "tce"), "saving"] == pytest.approx(lignite * 0.4999)
    assert e.at[("tech3", "material", "lime"), "saving"] == pytest.approx(0.02 * lignite)
    assert not e.at[("tech3", "material", "lime"), "significant"]
    assert not e.at[("tech3", "water", "t"), "significant"]
    # CO2: 1.48 t per t lignite, and the IPCC 0.75 t per t of the lime not bought
    assert e.at[("tech3", "co2", "t"), "saving"] == pytest.approx(lignite * (1.48 + 0.02 * 0.75))


def test_declared_pairs_and_the_papers_contradiction(a):
    p = a.pairs
    declared = {k for k, v in p["declared"].items() if v}
    assert declared == {("tech1", "tech6"), ("tech2", "tech4"), ("tech3", "tech5")}
    notes = a.declarations["notes"]
    assert "yet is paired with tech5" in notes["tech3"]
    assert "yet is paired with tech1" in notes["tech6"]


def test_structural_links(a):
    p = a.pairs
    found = {k: v for k, v in p["structural_detail"].items() if p.at[k, "structural"]}
    assert found == {
        ("tech1", "tech2"): "both act on chlor_alkali, wastewater_treatment",
        ("tech1", "tech3"): "both act on hcl_synthesis; one loop through vcm_synthesis",
        ("tech1", "tech5"): "both act on wastewater_treatment",
        ("tech2", "tech5"): "both act on acetylene_purification, wastewater_treatment",
        ("tech5", "tech6"): "both act on slag_separation"}


def test_interaction_finds_the_overlap_of_1_and_6(case, a):
    """Technology 1 burns less lignite (the chlor-alkali plant makes less chlorine), which cuts
    the CHP's desulfurisation lime; technology 6 removes that lime: together they save the lime
    once. The overlap is 0.02 t lime per t of lignite technology 1 saves."""
    flows = case.result().flows
    with1 = case.result("tech 1: waste hydrochloric acid desorption").flows
    lignite = flows.at["chp lignite", "quantity"] - with1.at["chp lignite", "quantity"]
    inter = a.interactions.set_index(["subset", "category", "item"])
    assert inter.loc[("tech1 + tech6", "material", "lime"), "interaction"] == \
        pytest.approx(-0.02 * lignite)
    interacting = {k for k, v in a.pairs["interaction"].items() if v}
    assert interacting == {("tech1", "tech6")}
    assert a.pairs.at[("tech1", "tech6"), "interaction_sign"] == "overlap"
    # technology 3 cuts the lime too, by 0.3 t: under the 10 t threshold
    assert not a.pairs.at[("tech3", "tech6"), "interaction"]


def test_classes_by_the_other_methods(a):
    c = a.classes
    assert list(c["class_structural"]) == ["good", "general", "general", "poor", "good",
                                           "general"]
    assert list(c["class_interaction"]) == ["good", "poor", "poor", "poor", "good", "general"]


def test_cli_writes_tables_summary_and_a_self_contained_view(tmp_path, capsys):
    out = tmp_path / "syn"
    assert main(["synergy", CASE, "--out", str(out)]) == 0
    assert "value flow 12," in capsys.readouterr().out
    s = json.loads((out / "summary.json").read_text())
    assert s["water_saving_t"] == pytest.approx(1_297_000)
    assert s["synergy_value_cny_stated"] == pytest.approx(41_168_000, abs=0.05)
    assert [s[f"class_{k}"] for k in TECHS] == ["good", "general", "poor", "general", "good",
                                                "poor"]
    for name in ("value_flow.csv", "value_flow_totals.csv", "pairs.csv", "classes.csv",
                 "effects.csv", "report.html"):
        assert (out / name).exists()
    page = (out / "synergy_3d.html").read_text()
    # several pages in one folder share one local copy of plotly.js; nothing from outside
    assert "Plotly.newPlot" in page and '<script src="http' not in page
    assert '<script src="plotly.min.js">' not in page or (out / "plotly.min.js").exists()
    assert page.count('"type":"scatter3d"') >= 4           # three classes and the link traces


def test_run_keeps_the_energy_figures_and_adds_the_synergy_ones(tmp_path):
    assert main(["run", CASE, "--out", str(tmp_path)]) == 0
    s = json.loads((tmp_path / "summary.json").read_text())
    assert s["energy_level"] == 3 and 193 < s["energy_kgce_per_t"] < 270
    assert s["class_tech1"] == "good"
    figs = {f["name"]: f for f in s["figures"]}
    assert figs["power_saving_tce"]["value"] == pytest.approx(13.16)
    assert figs["carbide_saving_t_at_1_45"]["value"] == pytest.approx(14_300)
    assert (tmp_path / "synergy_pairs.csv").exists() and (tmp_path / "synergy_3d.html").exists()
