"""Fuzzed workbooks: sheets renamed or missing, columns missing or extra, text in numbers,
formulas without saved values, error values, merged and blank rows, a CSV renamed .xlsx, an
empty or truncated file, and random cells set to what people type by mistake. Every outcome
is a sound run, or a FlowgraphError (on the command line: one `error:` line, exit 2) that
names the workbook, the sheet and the cell (the file alone when it is not a workbook), and
nothing is written."""

from __future__ import annotations

import datetime as dt
import os
import random
import re
from pathlib import Path

import openpyxl
import pytest

import flowgraph as fg
from flowgraph.cli import main

CASES = Path(__file__).resolve().parent.parent / "cases"
#: a cell of a sheet: plant.xlsx:flows!D7, or a range of merged cells
CELL = r"!\$?[A-Z]+\d+(:[A-Z]+\d+)?"


@pytest.fixture(scope="module")
def books(tmp_path_factory):
    folder = tmp_path_factory.mktemp("books")
    return {name: fg.save(fg.load(CASES / name), folder / f"{name}.xlsx")
            for name in ("demo", "iron_oxide_red")}


def _column(sheet, name: str) -> int:
    return [c.value for c in sheet[1]].index(name) + 1


def _edit(book: Path, out: Path, change) -> Path:
    wb = openpyxl.load_workbook(book)
    change(wb)
    wb.save(out)
    return out


def _put(sheet: str, column: str, row: int, value):
    """Set a cell of a column, adding the column if the sheet has none of that name."""
    def change(wb):
        ws = wb[sheet]
        names = [c.value for c in ws[1]]
        k = names.index(column) + 1 if column in names else len(names) + 1
        ws.cell(1, k).value = column
        ws.cell(row, k).value = value
    return change


def _set(sheet: str, column: str, row: int, value):
    return lambda wb: setattr(wb[sheet].cell(row, _column(wb[sheet], column)), "value", value)


def _costed_id(value):
    """The nodes sheet's id of the first node the costs sheet names, set to `value` (the
    costs sheet then names a node the nodes sheet no longer has)."""
    def change(wb):
        named = wb["costs"].cell(2, _column(wb["costs"], "node")).value
        col = _column(wb["nodes"], "id")
        row = next(r for r in range(2, wb["nodes"].max_row + 1)
                   if wb["nodes"].cell(r, col).value == named)
        wb["nodes"].cell(row, col).value = value
    return change


#: (what, change, what the error must name: cell, sheet or file)
CHANGES = [
    ("sheet renamed", lambda wb: setattr(wb["flows"], "title", "Flows data"), "sheet"),
    ("sheet misspelt", lambda wb: setattr(wb["edits"], "title", "edit"), "sheet"),
    ("sheet missing", lambda wb: wb.remove(wb["nodes"]), "file"),
    ("sheet twice", lambda wb: setattr(wb.copy_worksheet(wb["flows"]), "title", "FLOWS"),
     "sheet"),
    ("column missing", lambda wb: wb["flows"].delete_cols(_column(wb["flows"], "target")),
     "cell"),
    ("column misspelt", lambda wb: wb["flows"].cell(1, _column(wb["flows"], "quantity"),
                                                    "quantiy"), "cell"),
    ("column extra", lambda wb: wb["nodes"].cell(1, 20, "colour"), "cell"),
    ("column twice", lambda wb: wb["flows"].cell(1, 20, "price"), "cell"),
    ("column without a name", lambda wb: wb["flows"].cell(5, 20, 7), "cell"),
    ("header a number", lambda wb: wb["nodes"].cell(1, 2, 3), "cell"),
    ("text in a number", _set("flows", "quantity", 2, "a lot"), "cell"),
    ("decimal comma", _set("flows", "quantity", 2, "1000,5"), "cell"),
    ("date in a number", _set("flows", "quantity", 2, dt.date(2024, 5, 1)), "cell"),
    ("boolean in a number", _set("flows", "quantity", 2, True), "cell"),
    ("negative", _set("flows", "quantity", 2, -1000), "cell"),
    ("nan text", _set("flows", "quantity", 2, "nan"), "cell"),
    ("share above 1", _set("flows", "share", 6, 1.5), "cell"),
    ("formula without value", _set("flows", "quantity", 2, "=B2*2"), "cell"),
    ("error value", _set("flows", "quantity", 2, "#DIV/0!"), "cell"),
    ("merged rows", lambda wb: wb["flows"].merge_cells("B3:B4"), "cell"),
    ("unknown node", _set("flows", "target", 3, "nowhere"), "cell"),
    ("unknown kind", _set("nodes", "kind", 3, "factory"), "cell"),
    ("duplicate id", _set("nodes", "id", 3, "market"), "cell"),
    ("empty source", _set("flows", "source", 3, None), "cell"),
    ("bad unit", _set("flows", "unit", 2, "furlong"), "cell"),
    ("unit of another dimension", _set("flows", "unit", 2, "kWh"), "cell"),
    ("unknown edit", _set("edits", "op", 2, "set_flw"), "cell"),
    ("edit of no scenario", _set("edits", "scenario", 2, "nope"), "cell"),
    ("edit of no flow", _set("edits", "target", 2, "nothing"), "cell"),
    ("bad TOML in an edit", lambda wb: wb["edits"].cell(2, 20, "[1, 2") or
     wb["edits"].cell(1, 20, "per"), "cell"),
    ("figure expression", _set("figures", "expr", 2, "q('pigment') / 0"), "cell"),
    ("figure published text", _put("figures", "published", 2, "lots"), "cell"),
    ("case key misspelt", lambda wb: wb["case"].cell(2, 1, "nmae"), "cell"),
    ("case strict text", lambda wb: (wb["case"].cell(5, 1, "strict"),
                                     wb["case"].cell(5, 2, "maybe")), "cell"),
    ("carrier factor text", _set("carriers", "price", 2, "cheap"), "cell"),
    ("cost text", lambda wb: wb["costs"].cell(2, 4, "a lot"), "cell"),
    ("cost of no node", lambda wb: wb["costs"].cell(2, 1, "nobody"), "cell"),
    ("node id a boolean, costed", _costed_id(False), "cell"),
    ("composition not key=value", _put("carriers", "composition", 2, "n/a"), "cell"),
    ("composition not a number", _put("carriers", "composition", 2, "Cl=lots"), "cell"),
    ("header row empty", lambda wb: wb["flows"].insert_rows(1), "cell"),
    ("sheet empty", lambda wb: wb["flows"].delete_rows(1, 100), "sheet"),
]
#: changes that may leave a sound case
HARMLESS = [
    ("blank rows", lambda wb: wb["flows"].insert_rows(4, 3)),
    ("trailing empty rows", lambda wb: setattr(wb["nodes"].cell(500, 1), "value", "")),
    ("number as text", _set("flows", "quantity", 2, "1000")),
    ("number with unit", _set("flows", "quantity", 2, "1,000 t")),
    ("sheet of your own", lambda wb: wb.create_sheet("x_notes").cell(1, 1, "notes")),
    ("README removed", lambda wb: wb.remove(wb["README"])),
]


def _judge(path: Path, out: Path, capsys, expect: str | None) -> None:
    """`flowgraph run` on the workbook: exit 0, or 2 with one line naming the place."""
    status = main(["run", str(path), "--out", str(out)])
    err = capsys.readouterr().err.strip()
    if status == 0:
        assert expect is None, f"no error for a change that needs one: {path.name}"
        assert out.exists()
        return
    assert status == 2, err
    assert len(err.splitlines()) == 1 and err.startswith("error: "), err
    assert "unexpected" not in err, err
    assert not out.exists(), f"output written despite an error: {err}"
    assert str(path) in err, err
    if expect == "cell":
        assert re.search(re.escape(str(path)) + r":('[^']+'|[\w ]+)" + CELL, err), err
    elif expect == "sheet":
        assert re.search(re.escape(str(path)) + r":('[^']+'|[\w ]+)", err), err


@pytest.mark.parametrize("what,change,expect", CHANGES, ids=[c[0] for c in CHANGES])
def test_a_broken_workbook_is_refused_by_cell(tmp_path, books, capsys, what, change, expect):
    path = _edit(books["demo"], tmp_path / "plant.xlsx", change)
    _judge(path, tmp_path / "out", capsys, expect)


@pytest.mark.parametrize("what,change", HARMLESS, ids=[c[0] for c in HARMLESS])
def test_harmless_changes_still_run(tmp_path, books, capsys, what, change):
    path = _edit(books["demo"], tmp_path / "plant.xlsx", change)
    assert main(["run", str(path), "--out", str(tmp_path / "out")]) == 0, \
        capsys.readouterr().err
    # openpyxl writes numbers to 16 digits (flowgraph to the last bit): equal to 1e-15
    expected = [f["value"] for f in fg.load(books["demo"]).figure_values()]
    assert [f["value"] for f in fg.load(path).figure_values()] == pytest.approx(expected,
                                                                                rel=1e-14)


def _truncated(book: Path, out: Path) -> Path:
    out.write_bytes(book.read_bytes()[: len(book.read_bytes()) // 2])
    return out


FILES = [
    ("a CSV renamed .xlsx", lambda book, out: out.write_text(
        "id,source,target\n1,a,b\n", encoding="utf-8") and out),
    ("an empty file", lambda book, out: out.write_bytes(b"") or out),
    ("a truncated file", _truncated),
    ("an old .xls file", lambda book, out: out.write_bytes(
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500)) and out),
    ("a zip that is no workbook", lambda book, out: _zip(out)),
]


def _zip(out: Path) -> Path:
    import zipfile
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("hello.txt", "not a workbook")
    return out


@pytest.mark.parametrize("what,make", FILES, ids=[f[0] for f in FILES])
def test_a_file_that_is_not_a_workbook_is_refused_naming_it(tmp_path, books, capsys, what,
                                                             make):
    path = make(books["demo"], tmp_path / "plant.xlsx")
    _judge(path, tmp_path / "out", capsys, "file")


#: what people type by mistake into a random cell
TYPOS = ["", "unknown", "n/a", "-", "0", "-3", "1e400", "nan", "inf", "1,5", "12 kg",
         "12 kWh", "=A1", "#REF!", True, False, 0.0, -1.0, 1e300, dt.date(2020, 1, 1),
         "[1, 2", "{a = }", " ", "x" * 40, "None"]


#: cases whose workbooks the random cells go into (FLOWGRAPH_FUZZ_BOOK_CASES=all: every
#: bundled case but reconcile_demo's, which needs reconciling before it runs)
BOOK_CASES = ("demo", "iron_oxide_red")
RANDOM_CELLS = int(os.environ.get("FLOWGRAPH_FUZZ_BOOKS", "24"))
CELLS_AT_ONCE = int(os.environ.get("FLOWGRAPH_FUZZ_BOOK_CELLS", "1"))
BOOK_SEED = int(os.environ.get("FLOWGRAPH_FUZZ_SEED", "17"))


def _book_cases() -> list[str]:
    if os.environ.get("FLOWGRAPH_FUZZ_BOOK_CASES") == "all":
        return sorted(p.parent.name for p in CASES.glob("*/case.toml")
                      if p.parent.name != "reconcile_demo")
    return list(BOOK_CASES)


def test_random_cells_give_a_sound_run_or_a_named_error(tmp_path, books):
    """Random cells set to what people type by mistake. More: FLOWGRAPH_FUZZ_BOOKS=400
    FLOWGRAPH_FUZZ_BOOK_CASES=all FLOWGRAPH_FUZZ_BOOK_CELLS=3 FLOWGRAPH_FUZZ_SEED=5 (this
    found a boolean node id crashing the costs sheet's check, a carrier composition refused
    naming no cell, and plugin settings of a workbook blamed on a case.toml it has not)."""
    rng = random.Random(BOOK_SEED)
    names = _book_cases()
    paths = {n: books[n] if n in books else fg.save(fg.load(CASES / n), tmp_path / f"{n}.xlsx")
             for n in names}
    for i in range(RANDOM_CELLS):
        name = rng.choice(names)
        wb = openpyxl.load_workbook(paths[name])
        changed = []
        for _ in range(CELLS_AT_ONCE):
            sheet = wb[rng.choice([s for s in wb.sheetnames if s not in ("README", "lists")])]
            row = rng.randint(1, max(2, sheet.max_row))
            col = rng.randint(1, sheet.max_column)
            sheet.cell(row, col).value = rng.choice(TYPOS)
            changed.append(f"{sheet.title}!{row},{col}")
        path = tmp_path / f"{i}.xlsx"
        wb.save(path)
        try:
            case = fg.load(path)
            for scenario in [None, *case.scenarios]:
                case.result(scenario)
            case.figure_values()
        except fg.FlowgraphError as exc:
            assert re.search(re.escape(str(path)) + r":('[^']+'|[\w ]+)" + CELL, str(exc)), \
                f"{name} {changed}: {exc}"
