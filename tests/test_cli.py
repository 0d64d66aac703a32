"""The flowgraph command on the demo case."""

import json
from pathlib import Path

import pandas as pd

from flowgraph.cli import main

DEMO = str(Path(__file__).parent.parent / "cases" / "demo")


def test_run_writes_tables_and_summary(tmp_path, capsys):
    assert main(["run", DEMO, "--out", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    assert "pigment_t" in text and "purchased cost" in text
    for name in ("flows.csv", "nodes.csv", "residuals.csv", "mfca.csv", "summary.json"):
        assert (tmp_path / name).exists()
    summary = json.loads((tmp_path / "summary.json").read_text())
    flows = pd.read_csv(tmp_path / "flows.csv", index_col="id")
    assert summary["pigment_t"] == flows.at["pigment", "quantity"]
    assert {"source", "target", "carrier", "kind", "role", "quantity", "unit", "cost",
            "cost_material", "cost_energy", "cost_system", "cost_waste", "tce", "co2"} <= set(flows.columns)


def test_run_a_scenario(tmp_path, capsys):
    assert main(["run", DEMO, "--scenario", "better extraction", "--out", str(tmp_path)]) == 0
    assert "[better extraction]" in capsys.readouterr().out


def test_check_prints_residuals_and_exit_status(tmp_path, capsys):
    assert main(["check", DEMO]) == 0
    out = capsys.readouterr().out
    assert "status: ok" in out and "residual" in out
    (tmp_path / "case.toml").write_text(
        '[[node]]\nid="s"\nkind="source"\n[[node]]\nid="p"\n[[node]]\nid="k"\nkind="sink"\n'
        '[[flow]]\nsource="s"\ntarget="p"\ncarrier="m"\n[[flow]]\nsource="p"\ntarget="k"\ncarrier="m"\n')
    assert main(["check", str(tmp_path)]) == 1
    assert "under-determined" in capsys.readouterr().out


def test_errors_exit_2_with_message(tmp_path, capsys):
    assert main(["run", str(tmp_path / "missing")]) == 2
    assert "no such case file" in capsys.readouterr().err


def test_help_explains_every_command(capsys):
    import pytest
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "run" in out and "check" in out and "example" in out


def test_run_on_measured_data_that_does_not_close_points_to_reconcile(tmp_path, capsys):
    rec = str(Path(__file__).parent.parent / "cases" / "reconcile_demo")
    assert main(["run", rec, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "'stack A'" in err and "case.toml:" in err           # the error itself, unchanged
    assert f"flowgraph reconcile {rec}" in err                  # and what to run instead
    assert not (tmp_path / "summary.json").exists()              # no partial result
