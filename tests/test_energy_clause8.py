"""Doc 003 clause 8 in the energy plugin: metering coverage (GB 17167), equipment against limit
values and the obsolete list, the A.3 correction by the supplying plant's coal rate, the
compliance table; bad input refused by name with file:line.

Expected values are hand arithmetic from the inputs written in the case files (counts of
flows, rated efficiencies) and from the rates and limits as the standards state them
(GB 17167-2006 metering rates, GB 18613-2020 grade 3 / IE3 limits, table A.3's 0.404
kgce/kWh), never numbers the code printed.
"""

import json
from pathlib import Path

import pytest

import flowgraph as fg
from flowgraph.cli import main
from flowgraph.methods.energy_metering import limit_for, obsolete_match
from flowgraph.plugins.energy import evaluate
from flowgraph.plugins.energy.inventory import EquipmentError, MeteringError

ROOT = Path(__file__).parent.parent
PVC = ROOT / "cases" / "pvc_carbide"

TINY = """\
[case]
name = "clause 8 test"
period = "yr"

[[node]]
id = "grid"
kind = "source"

[[node]]
id = "waterworks"
kind = "source"

[[node]]
id = "workshop"
kind = "process"
system = "production"

[[node]]
id = "store"
kind = "sink"

[[flow]]
id = "power"
source = "grid"
target = "workshop"
carrier = "electricity"
quantity = 1000
unit = "kWh"

[[flow]]
id = "water"
source = "waterworks"
target = "workshop"
carrier = "fresh water"
quantity = 100

[[flow]]
id = "product"
source = "workshop"
target = "store"
carrier = "widget"

[energy]
product = "product"
checklist = ""
grade_product = ""

[[energy.meter]]
flow = "power"
level = [1, 2]

[[energy.equipment]]
id = "fan motor"
kind = "motor"
flow = "power"
rated_power = "11 kW"
rated_efficiency = 0.914
"""


def tiny(tmp_path, text=TINY, extra=""):
    (tmp_path / "case.toml").write_text(text + extra, encoding="utf-8")
    return tmp_path


def line_of(text: str, needle: str, after: str = "") -> int:
    start = text.index(after) if after else 0
    return text[:text.index(needle, start)].count("\n") + 1


@pytest.fixture(scope="module")
def pvc():
    return evaluate(fg.load(PVC))


# -- metering coverage -----------------------------------------------------------------------

def test_coverage_of_a_tiny_plant_by_hand(tmp_path):
    ev = evaluate(fg.load(tiny(tmp_path)))
    cov = ev.clause8.coverage
    # level 1: power metered (1/1 >= 100 %), water not (0/1 < 100 %)
    assert cov.at[(1, "electricity"), "coverage"] == 1.0
    assert cov.at[(1, "electricity"), "status"] == "met"
    assert cov.at[(1, "water"), "coverage"] == 0.0
    assert cov.at[(1, "water"), "required_coverage"] == 1.0
    assert cov.at[(1, "water"), "status"] == "not met"
    # level 2: the workshop's two inflows; water required at 95 %
    assert cov.at[(2, "water"), "required_coverage"] == 0.95
    # level 3: the fan motor's supply flow is a point; no level-3 meter: 0/1 < 95 %
    assert cov.at[(3, "electricity"), "required_points"] == 1
    assert cov.at[(3, "electricity"), "coverage"] == 0.0
    assert cov.at[(3, "electricity"), "required_coverage"] == 0.95
    assert ev.clause8.compliance.at["8.2.2", "status"] == "not met"


def test_pvc_illustrative_coverage_by_hand(pvc):
    cov = pvc.clause8.coverage
    # level 2 water: 9 water flows enter nodes inside the boundary (generator, hypochlorite,
    # furnace, scrub, polymerisation, wash, pure-water feed, cooling make-up, office); the
    # case meters 7 at level 2 (not the furnace water, not the office water)
    assert cov.at[(2, "water"), "required_points"] == 9
    assert cov.at[(2, "water"), "metered_points"] == 7
    assert cov.at[(2, "water"), "coverage"] == pytest.approx(7 / 9)
    assert cov.at[(2, "water"), "status"] == "not met"          # 77.8 % < 95 %
    # level 2 steam: chp steam, by-product steam and six branches; the offices' is unmetered
    assert cov.at[(2, "steam"), "coverage"] == pytest.approx(7 / 8)
    assert cov.at[(2, "steam"), "status"] == "met"              # 87.5 % >= 80 %
    # level 1: the 18 power feeders, the CHP steam and 6 fresh-water intakes, all metered
    for kind, n in (("electricity", 18), ("steam", 1), ("water", 6)):
        assert cov.at[(1, kind), "required_points"] == n
        assert cov.at[(1, kind), "coverage"] == 1.0
    # level 3: three items name a supply flow, one of them is metered at level 3
    assert cov.at[(3, "electricity"), "coverage"] == pytest.approx(1 / 3)
    assert pvc.clause8.compliance.at["8.2.2", "status"] == "not met"


def test_a_scenario_without_a_metered_flow_drops_its_point():
    case = fg.load(PVC)
    ev = evaluate(case, "tech 1: waste hydrochloric acid desorption")   # no scrub water
    assert "scrub water" not in set(ev.clause8.points["flow"])
    assert ev.clause8.coverage.at[(1, "water"), "required_points"] == 6 - 1
    assert ev.clause8.coverage.at[(1, "water"), "coverage"] == 1.0


# -- equipment -------------------------------------------------------------------------------

def test_equipment_against_limits_by_hand(pvc):
    eq = pvc.clause8.equipment
    # IE3 / GB 18613-2020 grade 3, 4-pole: 160 kW 95.8 %, 90 kW 95.2 %, 30 kW 93.6 %
    assert eq.at["polymeriser agitator motor", "margin"] == pytest.approx(0.962 - 0.958)
    assert eq.at["polymeriser agitator motor", "efficiency_status"] == "met"
    assert eq.at["circulating water pump motor", "margin"] == pytest.approx(0.935 - 0.952)
    assert eq.at["circulating water pump motor", "efficiency_status"] == "not met"
    assert eq.at["slurry pump motor", "limit_efficiency"] == 0.936
    assert eq.at["slurry pump motor", "obsolete"].startswith("JO2")
    assert eq.at["instrument air compressor", "efficiency_status"] == "no data"
    comp = pvc.clause8.compliance
    assert comp.at["8.2.1 b)", "status"] == "not met"
    assert comp.at["8.2.3 b)", "status"] == "not met"
    assert comp.at["8.1.3", "status"] == "met"                  # level 3, within the limit
    assert comp.at["A.3", "status"] == "no data"


def test_limit_classes_and_model_matching():
    assert limit_for("motor", 11) == (0.914, limit_for("motor", 11)[1])
    assert limit_for("motor", 12)[0] == 0.914            # the class of the 11 kW rating
    assert limit_for("motor", 375)[0] == 0.960
    assert limit_for("motor", 400)[0] != limit_for("motor", 400)[0]        # nan: no class
    assert limit_for("boiler", 1000)[0] != limit_for("boiler", 1000)[0]    # nan: no data
    assert obsolete_match("motor", "JO2-52-4")
    assert obsolete_match("motor", "JO22-1") == ""       # another series
    assert obsolete_match("pump", "JO2") == ""


def test_an_efficiency_exactly_at_the_limit_is_met(tmp_path):
    ev = evaluate(fg.load(tiny(tmp_path)))
    assert ev.clause8.equipment.at["fan motor", "efficiency_status"] == "met"   # 0.914 = 0.914


# -- appendix A.3 ----------------------------------------------------------------------------

PLANT = """
[energy.supplying_plant]
name = "own CHP"
coal_rate = "300 gce/kWh"
source = "illustrative"
"""


def test_a3_correction_by_hand(tmp_path):
    base = evaluate(fg.load(tiny(tmp_path)))
    assert base.account.total_kgce == pytest.approx(1000 * 0.1229 + 100 * 0.2571)
    ev = evaluate(fg.load(tiny(tmp_path, extra=PLANT)))
    # electricity at the plant's 0.300 kgce/kWh; fresh water 0.2571 x 0.300 / 0.404
    assert ev.account.total_kgce == pytest.approx(1000 * 0.300 + 100 * 0.2571 * 0.300 / 0.404)
    assert ev.account.per_unit == pytest.approx(ev.account.total_kgce / 100)   # 100 t product
    assert ev.clause8.compliance.at["A.3", "status"] == "met"
    assert "300 gce/kWh" in ev.clause8.compliance.at["A.3", "evidence"]
    (tmp_path / "off").mkdir()
    off = evaluate(fg.load(tiny(tmp_path / "off", extra=PLANT + "correct_media = false\n")))
    assert off.account.total_kgce == pytest.approx(1000 * 0.300 + 100 * 0.2571)


def test_a3_and_an_electricity_value_conflict(tmp_path):
    text = TINY.replace('checklist = ""', 'checklist = ""\nelectricity = 0.329')
    with pytest.raises(fg.CaseFileError, match="give one"):
        evaluate(fg.load(tiny(tmp_path, text, PLANT)))


# -- bad input, by name with file:line -------------------------------------------------------

def _refused(tmp_path, text, error, match, needle, after=""):
    tiny(tmp_path, text)
    with pytest.raises(error, match=match) as err:
        evaluate(fg.load(tmp_path))
    assert f"case.toml:{line_of(text, needle, after)}" in str(err.value), str(err.value)
    return err.value


def test_unknown_metering_level(tmp_path):
    text = TINY.replace("level = [1, 2]", "level = [1, 4]")
    _refused(tmp_path, text, MeteringError, r"metering level 4 is not a level of GB 17167",
             "level = [1, 4]")


def test_meter_naming_an_unknown_flow(tmp_path):
    text = TINY.replace('flow = "power"\nlevel', 'flow = "steam"\nlevel')
    err = _refused(tmp_path, text, MeteringError, r"names flow 'steam', which is not a flow",
                   'flow = "steam"')
    assert err.flows == ["steam"]


@pytest.mark.parametrize("value", ["91.4", "0", "-0.5", "1.2"])
def test_efficiency_outside_0_1(tmp_path, value):
    text = TINY.replace("rated_efficiency = 0.914", f"rated_efficiency = {value}")
    _refused(tmp_path, text, EquipmentError, r"rated_efficiency .* is outside \(0, 1\]",
             f"rated_efficiency = {value}")


def test_unknown_equipment_kind(tmp_path):
    text = TINY.replace('kind = "motor"', 'kind = "toaster"')
    _refused(tmp_path, text, EquipmentError, r"kind 'toaster' is not a known kind",
             'kind = "toaster"')


def test_unknown_key_in_a_meter(tmp_path):
    text = TINY.replace("level = [1, 2]", "level = [1, 2]\ncolour = 1")
    _refused(tmp_path, text, MeteringError, r"unknown key\(s\) 'colour'", "colour = 1")


# -- the report ------------------------------------------------------------------------------

def test_energy_command_writes_clause8(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["energy", str(PVC), "--out", str(out)]) == 0
    for name in ("compliance.csv", "metering_coverage.csv", "metering_points.csv",
                 "equipment.csv"):
        assert (out / name).exists(), name
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "clause 8 compliance" in html and "metering coverage (GB 17167)" in html
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert s["clause8_not_met"] == 3          # 8.2.1 b), 8.2.2, 8.2.3 b)
    assert s["metering_coverage_L2_water"] == pytest.approx(7 / 9)


def test_new_errors_are_documented():
    page = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
    for name in ("MeteringError", "EquipmentError"):
        assert f"`{name}`" in page
