"""The calcium-carbide PVC case (doc 000) evaluated by the PVC standard (doc 003).

The expected figures are recomputed here by hand from the unit consumptions of case.toml
(per t PVC) and the printed GB/T 2589 coefficients, not read back from the code.
"""

import json
from pathlib import Path

import pytest

import flowgraph as fg
from flowgraph.cli import main
from flowgraph.plugins.energy import evaluate
from flowgraph.solvers.conservation import assert_conserved

CASE = str(Path(__file__).parent.parent / "cases" / "pvc_carbide")
P = 130_000.0                                      # t PVC per year (doc 000)

# electricity, kWh per t PVC: production, auxiliary, ancillary
POWER_PROD = 25 + 15 + 35 + 6 + 30 + 25 + 8 + 115 + 12 + 28 + 68
POWER_AUX = 62 + 55 + 32 + 5 + 6 + 9
POWER = POWER_PROD + POWER_AUX + 9
# steam to the consumers, t per t PVC; the network loses 4 % of its heat
STEAM_USE = 0.22 + 0.38 + 0.78 + 0.30 + 0.05 + 0.05
BYPRODUCT = 0.6204 * 0.65                          # t by-product steam per t PVC (0.65 t/t HCl)
CHP_STEAM = (STEAM_USE * 2.8 / 0.96 - BYPRODUCT * 2.75) / 2.8
# the water streams doc 000's technologies save, sized to its yearly figures (t/t PVC)
SCRUB = 123_000 / P                                # technology 1: 123,000 t/yr
DILUTION = 365_000 / P                             # technology 2: 1,000 t/day
# the water balances of distillation, VCM synthesis, purification, generator, demin unit
CRUDE_VCM = 1.135 + 0.03 + 0.006 + 0.30 - 0.125 - 0.006 - 0.55 * 0.03 - 0.30
ACETYLENE = CRUDE_VCM + (SCRUB + 0.029) + 0.05 - 0.6204 - SCRUB - 0.10 * 0.03 - 0.05
CRUDE_ACETYLENE = ACETYLENE + (DILUTION + 0.03) - 0.028 - DILUTION
GENERATOR_WATER = 15.645 + CRUDE_ACETYLENE - 1.56 - 12.5
PURE_WATER = 2.5 + 3.6 + BYPRODUCT
FRESH_WATER = GENERATOR_WATER + DILUTION + SCRUB + PURE_WATER / 0.92 + 4.2 + 0.3
STEAM_K = 95.54          # kgce/t as declared in case.toml: 2,800 MJ/t x 0.03412 kgce/MJ, rounded
ENERGY = POWER * 0.1229 + CHP_STEAM * STEAM_K + FRESH_WATER * 0.2571


@pytest.fixture(scope="module")
def case():
    return fg.load(CASE)


@pytest.fixture(scope="module")
def ev(case):
    return evaluate(case)


def test_the_plant_balances_and_uses_doc_000s_carbide_rate(case):
    r = case.result()
    assert_conserved(r)
    f = r.flows
    assert f.at["pvc", "quantity"] == P
    assert f.at["carbide", "quantity"] / P == pytest.approx(1.56)
    assert f.at["generator water", "quantity"] / P == pytest.approx(GENERATOR_WATER)
    assert f.at["chp steam", "quantity"] / P == pytest.approx(CHP_STEAM)
    for name in case.scenarios:
        assert_conserved(case.result(name))


def test_comprehensive_energy_by_hand(ev):
    a = ev.account
    assert a.per_unit == pytest.approx(ENERGY, rel=1e-9)          # about 210.7 kgce/t
    assert a.total_tce == pytest.approx(ENERGY * P / 1000, rel=1e-9)
    by = a.by_carrier
    assert by.at["electricity", "kgce_per_unit"] == pytest.approx(POWER * 0.1229)
    assert by.at["steam", "kgce_per_unit"] == pytest.approx(CHP_STEAM * 95.54)
    assert by.at["fresh water", "kgce_per_unit"] == pytest.approx(FRESH_WATER * 0.2571)
    assert by.at["calcium carbide", "kgce"] == 0               # a raw material, not energy
    assert set(a.inside) >= {"hcl_synthesis", "steam_network", "offices_labs"}
    assert "chp" not in a.inside and "chlor_alkali" not in a.inside


def test_grade_level_3_and_the_gaps(ev):
    g = ev.grade
    assert 193 < ENERGY <= 270 and g.level == 3
    assert g.gap_to_benchmark == pytest.approx(ENERGY - 193)
    assert g.gap_to_baseline == pytest.approx(ENERGY - 270)
    assert g.gap_tce("benchmark") == pytest.approx((ENERGY - 193) * P / 1000)


def test_checklist_on_the_plant(ev):
    c = ev.checklist["status"]
    met = {"7.2.1.1b-use", "7.2.1.2b", "7.2.1.3a-steam", "7.2.1.3a-condensate", "7.2.1.3b",
           "7.3a-vfd"}
    not_met = {"7.2.1.1a", "7.2.1.1b-heat", "7.2.1.2a", "7.2.1.2c", "7.2.1.2d", "7.3a-closed",
               "7.3b", "7.3c", "7.3d"}
    assert set(c[c == "met"].index) == met
    assert set(c[c == "not met"].index) == not_met
    assert (c[c.index.str.startswith("7.2.2")] == "not applicable").all()
    assert "byproduct steam" in ev.checklist.at["7.2.1.3a-steam", "evidence"]


def test_improvement_measures_by_hand(ev):
    m = ev.measures
    libr = (55 - 40 - 1.5) * 0.1229
    slag = 0.06 / 0.96 * 95.54 - 1 * 0.1229      # steam saved at the CHP, plus 1 kWh of pumping
    assert m.at["converter heat to LiBr chillers", "saving_kgce_per_t"] == pytest.approx(libr)
    assert m.at["slag slurry heat recovery", "saving_kgce_per_t"] == pytest.approx(slag)
    assert m.at["slag slurry heat recovery", "saving_tce_per_yr"] == pytest.approx(slag * P / 1000)


def test_the_production_system_alone(ev):
    """Inside the production boundary the auxiliary services arrive as steam, pure water,
    compressed air, nitrogen and chilled water, and the by-product steam leaves it."""
    v = ev.variants.loc["boundary: production", "kgce_per_t"]
    by_hand = (STEAM_USE - 0.05) * 95.54 - BYPRODUCT * 93.83 + POWER_PROD * 0.1229 \
        + PURE_WATER * 0.9714 + (GENERATOR_WATER + DILUTION + SCRUB) * 0.2571 \
        + 50 * 0.0400 + 25 * 0.4000 + 0.6 * 11.4
    assert v == pytest.approx(by_hand)


def test_run_writes_the_figures_and_every_report_section(tmp_path, capsys):
    assert main(["run", CASE, "--out", str(tmp_path)]) == 0
    s = json.loads((tmp_path / "summary.json").read_text())
    assert s["energy_kgce_per_t"] == pytest.approx(ENERGY)
    assert s["energy_level"] == 3
    assert s["gap_to_benchmark_kgce_per_t"] == pytest.approx(ENERGY - 193)
    assert s["carbide_t_per_t_pvc"] == pytest.approx(1.56)
    assert s["energy_kgce_per_t_equal_value"] == pytest.approx(ENERGY + POWER * (0.329 - 0.1229))
    html = (tmp_path / "report.html").read_text()
    for part in ("a) evaluation statement", "b) process description", "c) scope",
                 "d) data collected", "e) scoring table with evidence",
                 "f) energy-efficiency grade", "g) improvement measures", "h) annex"):
        assert f"Energy efficiency: {part}" in html
    # plotly's script is inlined unescaped, so the chart renders
    assert "Plotly.newPlot" in html and "&#34;object&#34;" not in html
    assert (tmp_path / "energy_checklist.csv").exists()


def test_energy_command_with_options(tmp_path, capsys):
    assert main(["energy", CASE, "--out", str(tmp_path), "--electricity", "0.329"]) == 0
    out = capsys.readouterr().out
    equal = ENERGY + POWER * (0.329 - 0.1229)                      # about 323 kgce/t
    assert f"{equal:,.2f} kgce/t" in out and "fails the limit" in out
    s = json.loads((tmp_path / "summary.json").read_text())
    assert s["energy_kgce_per_t"] == pytest.approx(ENERGY + POWER * (0.329 - 0.1229))
    assert s["energy_level"] is None and s["energy_grade"] == "fails the limit"
    for name in ("by_carrier.csv", "checklist.csv", "grade.csv", "report.html"):
        assert (tmp_path / name).exists()


def test_bad_energy_sections_name_the_case_file(tmp_path):
    text = Path(CASE, "case.toml").read_text()
    (tmp_path / "case.toml").write_text(text.replace('checklist = "pvc"',
                                                     'checklist = "pvc"\ncolour = "red"'))
    case = fg.load(tmp_path)
    with pytest.raises(fg.CaseFileError, match=r"case.toml.*\[energy\]: unknown key.*colour"):
        evaluate(case)
    (tmp_path / "case.toml").write_text(text.replace('measures = ["converter',
                                                     'measures = ["nothing", "converter'))
    with pytest.raises(fg.CaseFileError, match="measure.*'nothing' are not scenarios"):
        evaluate(fg.load(tmp_path))


def test_figure_functions_and_their_errors(case):
    from flowgraph.expr import Expression
    from flowgraph.plugins.energy import plugin
    funcs = plugin.figure_functions(case, case.result())
    value = Expression("energy_gap('level 1') + 185").evaluate({}, funcs)
    assert value == pytest.approx(ENERGY)
    assert Expression("energy_total('GJ')").evaluate({}, funcs) == \
        pytest.approx(ENERGY * P * 0.0293076)
    assert Expression("energy_grade()").evaluate({}, funcs) == "level 3"
    assert Expression("energy_checklist('not applicable')").evaluate({}, funcs) == 11
    with pytest.raises(fg.ExpressionError, match="no carrier 'lignite' crosses"):
        Expression("energy_carrier('lignite')").evaluate({}, funcs)
    with pytest.raises(fg.ExpressionError, match="status must be one of"):
        Expression("energy_checklist('maybe')").evaluate({}, funcs)
    demo = fg.load(Path(CASE).parent / "demo")
    with pytest.raises(fg.ExpressionError, match="names no product flow"):
        Expression("energy_level()").evaluate({}, plugin.figure_functions(demo, demo.result()))


def test_the_case_round_trips_with_its_scenarios(case, ev, tmp_path):
    fg.save(case, tmp_path)
    again = evaluate(fg.load(tmp_path))
    assert again.account.per_unit == pytest.approx(ev.account.per_unit, rel=1e-12)
    assert (again.checklist["status"] == ev.checklist["status"]).all()
    assert again.measures["saving_kgce_per_t"].tolist() == \
        pytest.approx(ev.measures["saving_kgce_per_t"].tolist())


def test_a_grade_table_of_the_case_is_data_alone(tmp_path):
    text = Path(CASE, "case.toml").read_text()
    (tmp_path / "case.toml").write_text(text.replace(
        'grade_product = "PVC resin"', 'grade_product = "PVC resin, strict"\n'
                                       'grade_table = "strict.csv"'))
    (tmp_path / "strict.csv").write_text(
        "product,route,variant,level,max_value,unit,label\n"
        "\"PVC resin, strict\",calcium carbide,general-purpose,1,180,kgce/t,benchmark\n"
        "\"PVC resin, strict\",calcium carbide,general-purpose,2,200,kgce/t,baseline\n")
    ev = evaluate(fg.load(tmp_path))
    assert ev.grade.level is None and ev.grade.label == "fails the limit"
    assert ev.grade.gap_to_baseline == pytest.approx(ENERGY - 200)
