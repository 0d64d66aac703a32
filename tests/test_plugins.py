"""The plugin contract: a third-party plugin in its own package, installed and registered
through the `flowgraph.plugins` entry point, runs through `flowgraph <name>`; options are read
one way (defaults, case section, command line) and refused by name when wrong."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import flowgraph as fg
from flowgraph.app import registry
from flowgraph.errors import PluginError
from flowgraph.plugins import Option, Plugin

HERE = Path(__file__).parent
DEMO = HERE.parent / "cases" / "demo"


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """tests/plugin_example installed by pip into a folder of its own (the environment is
    left as it was); returns that folder, to put on PYTHONPATH."""
    target = tmp_path_factory.mktemp("site")
    source = tmp_path_factory.mktemp("src") / "plugin_example"
    shutil.copytree(HERE / "plugin_example", source)       # the build writes next to it
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                    "--no-build-isolation", "--target", str(target), str(source)],
                   check=True, timeout=300, cwd=source.parent)
    return target


def flowgraph(*args, site, cwd):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), os.environ.get(
        "PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-m", "flowgraph.cli", *map(str, args)], env=env,
                          cwd=cwd, capture_output=True, text=True, timeout=300)


def test_a_third_party_plugin_runs_through_the_command(installed, tmp_path):
    help_ = flowgraph("--help", site=installed, cwd=tmp_path)
    assert help_.returncode == 0 and "losses" in help_.stdout
    done = flowgraph("losses", DEMO, "--top", 2, "--by", "co2", "--out", tmp_path / "out",
                     site=installed, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    table = pd.read_csv(tmp_path / "out" / "losses.csv", index_col=0)
    expected = fg.load(DEMO).result().flows
    expected = expected[expected["negative"]].sort_values("co2", ascending=False)
    assert list(table.index) == list(expected.index[:2])
    assert table["co2"].to_numpy() == pytest.approx(expected["co2"].to_numpy()[:2])
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["loss_total"] == pytest.approx(expected["co2"].sum())
    html = (tmp_path / "out" / "report.html").read_text()
    assert "Largest losses" in html and "plotly" in html.lower()


def test_its_options_are_checked_by_the_schema(installed, tmp_path):
    bad = flowgraph("losses", DEMO, "--by", "water", site=installed, cwd=tmp_path)
    assert bad.returncode == 2 and "invalid choice" in bad.stderr
    case = tmp_path / "case"
    fg.load(DEMO).save(case)
    with open(case / "case.toml", "a", encoding="utf-8") as fh:
        fh.write("\n[losses]\ntopp = 3\n")
    bad = flowgraph("losses", case, site=installed, cwd=tmp_path)
    assert bad.returncode == 2
    assert "unknown key(s) 'topp'; did you mean 'top'?" in bad.stderr
    assert "case.toml:" in bad.stderr


class Tiny(Plugin):
    name = "tiny"
    section = "tiny"
    options = (Option("limit", float, 1.0, "a limit"), Option("flag", bool, False),
               Option("names", list, None), Option("table", dict, None, cli=False, data=True))

    def run(self, case, options, *, scenario=None, embedded=False):
        return fg.Report(self.name, figures=dict(options))


def test_options_come_from_defaults_then_the_section_then_the_caller():
    case = fg.load(DEMO)
    case.sections["tiny"] = {"limit": 2, "names": "a, b", "table": {"x": [1, 2]}}
    opts = Tiny().resolve(case, {"flag": "yes", "limit": None})
    assert opts == {"limit": 2.0, "flag": True, "names": ["a", "b"], "table": {"x": [1, 2]}}
    assert Tiny().report(case, limit=5).figures["limit"] == 5.0


@pytest.mark.parametrize("section, given, message", [
    ({"limt": 2}, {}, r"unknown key\(s\) 'limt'; did you mean 'limit'\?"),
    ({"limit": "five"}, {}, r"\[tiny\] limit 'five' is not a valid number"),
    # a whole number too large for a float (fuzzing: OverflowError), shown cut short
    ({"limit": 10 ** 400}, {}, r"limit 10{56}\.\.\. is not a valid number: int too large"),
    ({"flag": "maybe"}, {}, "give true or false"),
    ({}, {"colour": "red"}, "unknown option 'colour'"),
])
def test_bad_options_are_refused_by_name(section, given, message):
    case = fg.load(DEMO)
    case.sections["tiny"] = section
    error = fg.CaseFileError if section else PluginError     # a case file's, or the caller's
    with pytest.raises(error, match=message):
        Tiny().resolve(case, given)


def test_an_entry_point_that_is_no_plugin_is_refused(monkeypatch):
    class EntryPoint:
        name, value = "broken", "somewhere:thing"

        def load(self):
            return object()

    monkeypatch.setattr(registry, "entry_points", lambda group: [EntryPoint()])
    registry._scan.cache_clear()
    try:
        assert registry.available() == {}              # set aside, the others unharmed
        assert "not a flowgraph.plugins.Plugin" in registry.broken()["broken"]
        with pytest.raises(PluginError, match="not a flowgraph.plugins.Plugin"):
            registry.get("broken")
    finally:
        registry._scan.cache_clear()


def test_every_built_in_plugin_follows_the_contract():
    plugins = registry.available()
    assert {"energy", "evaluate", "symbiosis", "synergy", "valuestream", "reconcile",
            "uncertainty"} <= set(plugins)
    for name, plugin in plugins.items():
        assert isinstance(plugin, Plugin), name
        assert plugin.summary and plugin.options is not None
        if plugin.section:
            assert all(isinstance(o, Option) for o in plugin.options)
