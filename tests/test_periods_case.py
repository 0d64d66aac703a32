"""The [time] section of a case and `flowgraph periods` (app/periods_case.py) on the bundled
monthly_plant case: the README's figures by hand, and bad input named by file and line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

import flowgraph as fg
from flowgraph.app.periods_case import case_periods
from flowgraph.cli import main
from flowgraph.errors import CaseFileError, FlowgraphError, ModelError, StockError

CASE = Path(__file__).parent.parent / "cases" / "monthly_plant"
BOUGHT = [1200, 1000, 1100, 900, 800, 700, 900, 900, 800, 1000, 1200, 1300]
BURNED = [1300, 1200, 1050, 950, 850, 800, 700, 680, 720, 900, 1050, 1250]


def test_the_readme_figures_by_hand(tmp_path, capsys):
    assert main(["periods", str(CASE), "--out", str(tmp_path)]) == 0
    assert "12 periods, 2 stock(s), 3 passes" in capsys.readouterr().out
    totals = pd.read_csv(tmp_path / "stock_totals.csv")
    yard = totals[totals.node == "coal yard"]
    level, expected = 1500.0, []
    for b, u in zip(BOUGHT, BURNED):
        level += b - u
        expected.append(level)
    assert list(yard.stock) == pytest.approx(expected)
    assert expected[-1] == 1850 and min(expected) == 1050
    bed = totals[totals.node == "catalyst bed"].set_index("period")
    assert bed.loc["2025-02", "outflow"] == 3 and bed.loc["2025-04", "outflow"] == 3
    assert bed.loc["2025-08", "outflow"] == 3 and bed.outflow.sum() == 9
    assert bed.loc["2025-12", "stock"] == 3
    flows = pd.read_csv(tmp_path / "flows_by_period.csv")
    steam = flows[(flows.flow == "steam") | (flows.flow == "waste heat steam")]
    july = steam[steam.period == "2025-07"].quantity.sum()
    assert july == pytest.approx(7.2 * 700 + 900)
    assert steam[steam.period == "2025-06"].flow.tolist() == ["steam"]   # not before July
    figures = pd.read_csv(tmp_path / "figures_by_period.csv").set_index(["period", "name"])
    jan = (1200 * 0.7143 + 380_000 * 0.1229e-3) / (0.9 * 1800)
    assert figures.loc[("2025-01", "tce_per_t"), "value"] == pytest.approx(jan, rel=1e-12)
    assert figures.loc[("2025-01", "coal_per_t"), "value"] == pytest.approx(1200 / 1620)
    iamc = pd.read_csv(tmp_path / "iamc.csv", dtype={"subannual": str})
    assert list(iamc.columns) == ["model", "scenario", "region", "variable", "unit",
                                  "subannual", "2025"]
    row = iamc[(iamc.variable == "Flow|market|coal yard|coal") & (iamc.subannual == "03")]
    assert row["2025"].item() == 1100
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["stocks"]["coal yard"]["stock_change"] == pytest.approx(350)


def test_each_month_balances_at_the_reactor():
    run = case_periods(fg.load(CASE))
    for period in run.periods:
        q = run.result(period).flows["quantity"]
        assert q["raw material"] == pytest.approx(q["product"] + q["residue"], rel=1e-12)
        assert q["product"] == pytest.approx(0.9 * q["raw material"], rel=1e-12)


def copy_case(tmp_path) -> Path:
    folder = tmp_path / "case"
    shutil.copytree(CASE, folder)
    return folder


def edit(folder: Path, name: str, old: str, new: str) -> None:
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize("name, old, new, error, words", [
    ("monthly.csv", "2025-03,1100", "2025-03,11x0", CaseFileError,
     r"monthly.csv:4: flow:coal bought:quantity '11x0' is not a number"),
    ("monthly.csv", "2025-12,", "2026-12,", CaseFileError,
     r"monthly.csv:13: period '2026-12' is not one of \[time\] periods"),
    ("case.toml", '"2025-02", "2025-03"', '"2025-03", "2025-02"', ModelError,
     "periods out of order"),
    ("case.toml", 'series = "monthly.csv"', 'series = "monthly.csv"\nseries_sheet = 1',
     CaseFileError, r"\[time\]: unknown key 'series_sheet'; did you mean 'series'"),
    ("case.toml", 'lifetime = { kind = "fixed", mean = 6 }',
     'lifetime = { kind = "weibull", shape = -1, scale = 6 }', ModelError,
     r"case.toml:\d+ \[\[time.stock\]\] 2: impossible weibull lifetime: shape = -1"),
    ("case.toml", "initial = 1500.0", "initial = 100.0", StockError,
     r"case.toml:\d+ \[\[time.stock\]\] 1: stock 'coal yard' drained below zero in "
     r"period 2025-02: -200"),
    ("case.toml", 'outflow = "spent catalyst"', 'outflow = "spent catalist"', ModelError,
     "no flow 'spent catalist'"),
])
def test_bad_input_is_named_by_file_and_line(tmp_path, name, old, new, error, words):
    folder = copy_case(tmp_path)
    edit(folder, name, old, new)
    with pytest.raises(error, match=words):
        case_periods(fg.load(folder))


def test_a_short_series_is_refused(tmp_path):
    folder = copy_case(tmp_path)
    lines = (folder / "monthly.csv").read_text().splitlines()
    (folder / "monthly.csv").write_text("\n".join(lines[:-1]) + "\n")
    with pytest.raises(CaseFileError, match="no value for period '2025-12'.*shorter than the "
                                            "horizon"):
        case_periods(fg.load(folder))


def test_the_cli_says_one_line_and_exits_2(tmp_path, capsys):
    folder = copy_case(tmp_path)
    edit(folder, "case.toml", "initial = 1500.0", "initial = 100.0")
    assert main(["periods", str(folder), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "drained below zero" in err
    assert not (tmp_path / "o").exists()
    with pytest.raises(FlowgraphError, match=r"has no \[time\] section"):
        case_periods(fg.load(Path(__file__).parent.parent / "cases" / "demo"))
