"""The time axis in case workbooks (io/booktime.py): the bundled monthly_plant case saved as
a workbook solves over its periods as the case folder does, `flowgraph periods plant.xlsx`
runs, and each kind of bad input is refused naming workbook, sheet and cell."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import flowgraph as fg
from flowgraph.app.periods_case import case_periods
from flowgraph.cli import main
from flowgraph.errors import CaseFileError, ModelError
from flowgraph.io.booktime import LIFETIME_PARAMS
from flowgraph.io.seriesfile import read_series
from flowgraph.solvers.cohorts import KINDS

CASE = Path(__file__).parent.parent / "cases" / "monthly_plant"


@pytest.fixture(scope="module")
def folder_run():
    return case_periods(fg.load(CASE))


@pytest.fixture
def book(tmp_path) -> Path:
    return fg.save(fg.load(CASE), tmp_path / "plant.xlsx")


def _edited(path: Path, sheet: str, **cells) -> Path:
    """The workbook with the given cells of one sheet changed (None empties a cell)."""
    wb = openpyxl.load_workbook(path)
    for ref, value in cells.items():
        wb[sheet][ref] = value
    wb.save(path)
    return path


def _same_run(run, other) -> None:
    for what in ("flows", "nodes", "stock_table"):
        a, b = getattr(run, what), getattr(other, what)
        pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-12, atol=1e-12)


def test_monthly_plant_round_trips_through_a_workbook(book, folder_run):
    back = fg.load(book)
    assert {"time", "time_stocks", "time_starts"} <= set(openpyxl.load_workbook(book).sheetnames)
    assert not (book.parent / "monthly.csv").exists()          # the series are on the sheet
    section, given = back.section("time"), fg.load(CASE).section("time")
    assert section["periods"] == given["periods"]
    assert section["values"] == read_series(CASE / given["series"], given["periods"])
    assert section["stock"] == given["stock"] and section["start"] == given["start"]
    run = case_periods(back)
    assert run.passes == folder_run.passes
    _same_run(run, folder_run)
    again = fg.load(fg.save(back, book.parent / "again.xlsx"))        # and once more
    _same_run(case_periods(again), folder_run)


def test_flowgraph_periods_runs_on_a_workbook(book, tmp_path, capsys):
    assert main(["periods", str(book), "--out", str(tmp_path / "book")]) == 0
    assert "12 periods, 2 stock(s)" in capsys.readouterr().out
    assert main(["periods", str(CASE), "--out", str(tmp_path / "folder")]) == 0
    for name in ("flows_by_period.csv", "stock_totals.csv", "figures_by_period.csv"):
        a, b = (pd.read_csv(tmp_path / d / name) for d in ("book", "folder"))
        pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-12)


def test_a_long_time_sheet_gives_the_same_series(book, folder_run):
    wb = openpyxl.load_workbook(book)
    wide = list(wb["time"].iter_rows(values_only=True))
    del wb["time"]
    long = wb.create_sheet("time")
    long.append(["period", "parameter", "value"])
    for row in reversed(wide[1:]):                   # rows in any order
        for period, value in zip(wide[0][1:], row[1:]):
            long.append([period, row[0], value])
    wb.save(book)
    _same_run(case_periods(fg.load(book)), folder_run)


def test_lifetime_columns_are_the_parameters_of_the_distributions():
    assert set(LIFETIME_PARAMS) == {p for params in KINDS.values() for p in params}


def test_a_time_section_the_sheets_cannot_hold_stays_on_the_settings_sheet(tmp_path):
    case = fg.load(CASE)
    case.sections["time"] = {**case.sections["time"], "x_note": "kept"}
    back = fg.load(fg.save(case, tmp_path / "plant.xlsx"))
    assert back.section("time") == case.section("time")
    assert "time" not in openpyxl.load_workbook(tmp_path / "plant.xlsx").sheetnames


# -- bad input, named by cell -----------------------------------------------------------------

@pytest.mark.parametrize("cells, where, message", [
    ({"D1": "2025-02"}, "time!D1", r"period '2025-02' is given twice \(also in column C\)"),
    ({"C1": "2025-03", "D1": "2025-02"}, "time!D1",
     "period '2025-02' comes after '2025-03' .*in order"),
    ({"C1": 2025}, "time!C1", "give all periods as numbers or all as text"),
    ({"C1": dt.datetime(2025, 2, 1)}, "time!C1", "is a date.*format the cells as text"),
    ({"E3": "lots"}, "time!E3", "'flow:coal burned:quantity' in period '2025-04': 'lots' is "
                                "not a number"),
    ({"M2": None}, "time!M2", "no value for 'flow:coal bought:quantity' in period '2025-12': "
                              "the series is shorter than the periods"),
    ({"N2": 5}, "time!N2", "column N, which has no period in row 1"),
    ({"A4": "flow:coal bought:quantity"}, "time!A4", "given twice"),
], ids=["repeated", "out-of-order", "mixed", "date", "not-a-number", "short", "beyond",
        "parameter-twice"])
def test_a_bad_time_sheet_is_refused_by_cell(book, cells, where, message):
    _edited(book, "time", **cells)
    with pytest.raises(CaseFileError, match=message) as err:
        fg.load(book)
    assert err.value.origin == f"{book}:{where}"
    assert str(err.value).startswith(f"{book}:{where}: ")


def test_an_unknown_parameter_is_refused_by_its_cell_with_the_closest_name(book):
    case = fg.load(_edited(book, "time", A3="flow:coal burnd:quantity"))
    with pytest.raises(ModelError, match="no flow 'coal burnd'; did you mean 'coal burned'") \
            as err:
        case_periods(case)
    assert err.value.origin == f"{book}:time!A3"
    with pytest.raises(ModelError, match=r"time!A3: .*a flow has no parameter 'quantiy'"):
        case_periods(fg.load(_edited(book, "time", A3="flow:coal burned:quantiy")))


def test_an_unknown_lifetime_kind_is_refused_by_its_cell(book):
    case = fg.load(_edited(book, "time_stocks", C3="weibul"))
    with pytest.raises(ModelError, match="unknown lifetime distribution 'weibul'; did you mean "
                                         "'weibull'") as err:
        case_periods(case)
    assert err.value.origin == f"{book}:time_stocks!C3"
    with pytest.raises(ModelError, match=r"time_stocks!C3: .*impossible fixed lifetime"):
        case_periods(fg.load(_edited(book, "time_stocks", C3="fixed", D3=-2)))


@pytest.mark.parametrize("sheet, cells, where, message", [
    ("time_stocks", {"A2": "coal yrd"}, "time_stocks!A2",
     "no node 'coal yrd'; did you mean 'coal yard'"),
    ("time_stocks", {"B3": "spent catalist"}, "time_stocks!B3", "no flow 'spent catalist'"),
    ("time_stocks", {"D1": "mena"}, "time_stocks!D1", "unknown column 'mena'; did you mean"),
    ("time_stocks", {"F1": "initial.0"}, "time_stocks!F1", "an age is a whole number"),
    ("time_stocks", {"C2": None, "D2": 4}, "time_stocks!D2", "mean is given but no lifetime"),
    ("time_starts", {"A2": "2025-13"}, "time_starts!A2", "'2025-13' is not one of the periods"),
    ("time_starts", {"B2": "waste heat boiler"}, "time_starts!B2",
     "did you mean 'waste-heat boiler'"),
], ids=["node", "outflow", "column", "age", "no-kind", "start-period", "scenario"])
def test_bad_stocks_and_starts_are_refused_by_cell(book, sheet, cells, where, message):
    _edited(book, sheet, **cells)
    with pytest.raises(CaseFileError, match=message) as err:
        fg.load(book)
    assert err.value.origin == f"{book}:{where}"


def test_a_long_sheet_missing_a_period_names_the_parameter(book):
    wb = openpyxl.load_workbook(book)
    del wb["time"]
    long = wb.create_sheet("time")
    long.append(["period", "parameter", "value"])
    for period in ("2025-01", "2025-02"):
        long.append([period, "flow:coal bought:quantity", 1])
    long.append(["2025-01", "carrier:coal:price", 900])
    wb.save(book)
    with pytest.raises(CaseFileError, match="time!B4: parameter 'carrier:coal:price' has no "
                                            "value for period '2025-02'"):
        fg.load(book)


def test_a_part_of_time_given_twice_is_refused(book):
    wb = openpyxl.load_workbook(book)
    settings = wb.create_sheet("settings")
    settings.append(["section", "key", "value"])
    settings.append(["time", "periods", '["2025-01"]'])
    wb.save(book)
    with pytest.raises(CaseFileError, match="settings!A2: .*periods is given on the settings "
                                            "sheet and on the time sheets"):
        fg.load(book)
