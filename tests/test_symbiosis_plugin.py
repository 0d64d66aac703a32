"""The symbiosis plugin's options schema: every key of [symbiosis] is declared, options are
read defaults < case section < given, and the report is plain data."""

from __future__ import annotations

import pytest

import flowgraph as fg
from flowgraph.errors import FlowgraphError
from flowgraph.model.report import Cards, Chart, FlowGraph, Table
from flowgraph.plugins.symbiosis import plugin

PARK = """[case]
name = "two firms"
strict = false
[[node]]
id = "A"
firm = "A"
lat = 55.0
lon = 11.0
layers = []
[[node]]
id = "B"
firm = "B"
lat = 55.1
lon = 11.1
layers = []
[[flow]]
source = "A"
target = "B"
carrier = "steam"
quantity = 5.0
[symbiosis]
"""


def _case(tmp_path, section: str = ""):
    (tmp_path / "case.toml").write_text(PARK + section, encoding="utf-8")
    return fg.load(tmp_path)


def test_options_come_from_defaults_then_the_section_then_the_caller(tmp_path):
    case = _case(tmp_path, 'objective = "co2"\nmax_distance_km = 10\n[symbiosis.distance]\n'
                           'detour_factor = 1.3\n')
    opts = plugin.resolve(case, {"max_distance_km": 62.6, "co2_price": None})
    assert opts["objective"] == "co2" and opts["max_distance_km"] == 62.6
    assert opts["co2_price"] == 0.0 and opts["what_if"] == ()
    assert opts["distance"] == {"detour_factor": 1.3}


def test_an_unknown_key_of_the_section_is_refused_by_name(tmp_path):
    case = _case(tmp_path, "max_distance = 10\n")
    with pytest.raises(FlowgraphError, match="did you mean 'max_distance_km'"):
        plugin.report(case)


def test_a_parameter_table_given_as_a_value_is_refused(tmp_path):
    case = _case(tmp_path, "keystone = 2\n")
    with pytest.raises(FlowgraphError, match=r"\[symbiosis\] keystone must be a table"):
        plugin.report(case)


def test_the_cli_flags_come_from_the_schema():
    import argparse
    parser = argparse.ArgumentParser()
    plugin.add_arguments(parser)
    flags = {a.option_strings[0] for a in parser._actions if a.option_strings}
    assert {"--max-distance-km", "--objective", "--co2-price"} <= flags
    assert not {"--catalogue", "--what-if", "--energy", "--distance"} & flags


def test_the_report_is_data(tmp_path):
    report = plugin.report(_case(tmp_path))
    assert isinstance(report.blocks[0], Cards)
    assert any(isinstance(b, FlowGraph) and b.title == "Park map"
               and b.options["layout"] == "geographic" for b in report.blocks)
    assert all(isinstance(b.figure, dict) for b in report.blocks if isinstance(b, Chart))
    assert any(isinstance(b, Table) and b.title == "Resilience by removal"
               for b in report.blocks)
    assert report.figures["actors"] == 2 and report.figures["links"] == 1
