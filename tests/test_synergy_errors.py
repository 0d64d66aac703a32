"""Bad technology declarations and [synergy] sections: a FlowgraphError naming what and where."""

import pytest

import flowgraph as fg
from flowgraph.cli import main
from flowgraph.plugins.synergy import analyse, load_rules

BASE = """\
[case]
name = "mini"

[[carrier]]
name = "ore"
kind = "material"
unit = "t"
price = 10

[[node]]
id = "market"
kind = "source"

[[node]]
id = "plant"

[[node]]
id = "customers"
kind = "sink"

[[flow]]
id = "ore"
source = "market"
target = "plant"
carrier = "ore"
quantity = 100

[[flow]]
id = "product"
source = "plant"
target = "customers"
carrier = "product"

[[scenario]]
name = "less ore"
technology = true
stage = "input"
key = "a"
{extra_a}
[[scenario.edit]]
op = "set_flow"
target = "ore"
quantity = 90

[[scenario]]
name = "even less ore"
technology = true
stage = "{stage_b}"
key = "b"
{extra_b}
[[scenario.edit]]
op = "set_flow"
target = "ore"
quantity = 80
{section}
"""


def write(tmp_path, extra_a="", extra_b="", stage_b="output", section=""):
    (tmp_path / "case.toml").write_text(BASE.format(extra_a=extra_a, extra_b=extra_b,
                                                    stage_b=stage_b, section=section),
                                        encoding="utf-8")
    return fg.load(tmp_path)


def line_of(tmp_path, name):
    lines = (tmp_path / "case.toml").read_text().splitlines()
    i = lines.index(f'name = "{name}"')
    return i          # the [[scenario]] header is the line before (1-based: i)


def test_a_valid_mini_case(tmp_path):
    a = analyse(write(tmp_path))
    assert list(a.classes.index) == ["a", "b"]


def test_unknown_link_names_the_technology_file_and_line(tmp_path):
    case = write(tmp_path, extra_a='links = ["z"]')
    with pytest.raises(fg.CaseFileError) as exc:
        analyse(case)
    msg = str(exc.value)
    assert "technology 'less ore'" in msg and "link 'z'" in msg
    assert f"case.toml:{line_of(tmp_path, 'less ore')}" in msg


def test_bad_stage(tmp_path):
    case = write(tmp_path, stage_b="middle")
    with pytest.raises(fg.CaseFileError, match="'even less ore': stage must be one of input, "
                                               "utilisation, output, not 'middle'") as exc:
        analyse(case)
    assert f"case.toml:{line_of(tmp_path, 'even less ore')}" in str(exc.value)


def test_self_link_and_bad_verdict(tmp_path):
    with pytest.raises(fg.CaseFileError, match="linked to itself"):
        analyse(write(tmp_path, extra_a='links = ["a"]'))
    with pytest.raises(fg.CaseFileError, match="inter_technology must be true or false"):
        analyse(write(tmp_path, extra_a='inter_technology = "yes"'))


def test_saves_names_an_unknown_row_or_flow(tmp_path):
    rows = '\n[synergy]\n[[synergy.value_flow]]\nname = "ore"\ncarrier = "ore"\n'
    with pytest.raises(fg.CaseFileError, match="saves names value-flow row\\(s\\) 'iron'"):
        analyse(write(tmp_path, extra_a='saves = { iron = "ore" }', section=rows))
    with pytest.raises(fg.CaseFileError, match="saves.ore names flow\\(s\\) 'slag'") as exc:
        analyse(write(tmp_path, extra_a='saves = { ore = "slag" }', section=rows))
    assert exc.value.flows == ["slag"]


def test_bad_synergy_section(tmp_path):
    with pytest.raises(fg.CaseFileError, match="unknown key\\(s\\) 'colour'"):
        analyse(write(tmp_path, section='\n[synergy]\ncolour = "red"\n'))
    with pytest.raises(fg.CaseFileError, match="thresholds: unknown category 'noise'"):
        analyse(write(tmp_path, section='\n[synergy]\nthresholds = { noise = 1 }\n'))
    with pytest.raises(fg.CaseFileError, match="thresholds.water: 'kWh' cannot be converted"):
        analyse(write(tmp_path, section='\n[synergy]\nthresholds = { water = "3 kWh" }\n'))
    with pytest.raises(fg.CaseFileError, match="class_basis 'votes' is not one of"):
        analyse(write(tmp_path, section='\n[synergy]\nclass_basis = "votes"\n'))
    with pytest.raises(fg.CaseFileError, match="carrier 'gold' is not a carrier of the case"):
        analyse(write(tmp_path, section='\n[synergy]\n[[synergy.value_flow]]\nname = "g"\n'
                                         'carrier = "gold"\n'))
    with pytest.raises(fg.CaseFileError, match="technologies: 'nothing' are not scenarios"):
        analyse(write(tmp_path, section='\n[synergy]\ntechnologies = ["nothing"]\n'))


def test_duplicate_keys(tmp_path):
    case = write(tmp_path)
    case.scenarios["even less ore"].meta["key"] = "a"
    with pytest.raises(fg.CaseFileError, match="the same key 'a'"):
        analyse(case)


def test_no_technologies(tmp_path):
    case = write(tmp_path)
    for sc in case.scenarios.values():
        sc.meta["technology"] = False
    with pytest.raises(fg.PluginError, match=r"case\.toml(:\d+)?: case .* has no technologies"):
        analyse(case)


def test_a_technology_that_breaks_the_network(tmp_path):
    case = write(tmp_path)
    case.scenarios["even less ore"].edits.append(fg.Edit.remove_flow("nothing"))
    with pytest.raises(fg.PluginError, match="'even less ore' cannot be solved: .*unknown "
                                             "flow 'nothing'"):
        analyse(case)


def test_bad_rule_table(tmp_path):
    path = tmp_path / "rules.csv"
    path.write_text("rule,min_types,max_types,inter_technology,class,score\n1,1,,maybe,good,3\n")
    with pytest.raises(fg.CaseFileError, match="rules.csv:2: inter_technology must be yes, no "
                                               "or any"):
        load_rules(str(path))
    with pytest.raises(fg.CaseFileError, match="does not exist"):
        load_rules(str(tmp_path / "none.csv"))


def test_cli_reports_the_error(tmp_path, capsys):
    write(tmp_path, extra_a='links = ["z"]')
    assert main(["synergy", str(tmp_path), "--out", str(tmp_path / "out")]) == 2
    assert "link 'z' names no technology" in capsys.readouterr().err
