"""Case workbooks (.xlsx): every bundled case round-trips exactly (case -> workbook -> case
gives the same tables, figures and results, bit for bit), the template explains itself,
cells are read as a person typed them, and flat flows tables load as networks."""

import io
import re
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

import flowgraph as fg
from flowgraph.io.bookwrite import write_workbook
from flowgraph.plugins.montecarlo import case_inputs

CASES = Path(__file__).resolve().parent.parent / "cases"
BUNDLED = sorted(p.name for p in CASES.iterdir() if (p / "case.toml").exists())


def _frame(net, what):
    return getattr(net, what)().drop(columns="_origin")


def _results(case):
    """The base result's flows and the figure values, or the class of the error."""
    try:
        return case.result().flows, [(f["name"], f["value"]) for f in case.figure_values()]
    except fg.FlowgraphError as exc:
        return type(exc), None


@pytest.mark.parametrize("name", BUNDLED)
def test_every_bundled_case_round_trips_exactly(tmp_path, name):
    case = fg.load(CASES / name)
    path = fg.save(case, tmp_path / f"{name}.xlsx")
    back = fg.load(path)
    for what in ("node_frame", "flow_frame"):
        pd.testing.assert_frame_equal(_frame(case.network, what), _frame(back.network, what),
                                      check_exact=True, check_like=True)
    assert {k: c.to_record() for k, c in case.network.carriers.items()} == \
        {k: c.to_record() for k, c in back.network.carriers.items()}
    assert (case.name, case.network.period, case.network.meta) == \
        (back.name, back.network.period, back.network.meta)
    assert [s.to_record() for s in case.scenarios.values()] == \
        [s.to_record() for s in back.scenarios.values()]
    assert [f.to_record() for f in case.figures] == [f.to_record() for f in back.figures]
    plugin = [{k: v for k, v in c.sections.items() if k != "time"} for c in (case, back)]
    assert plugin[0] == plugin[1]          # [time] series go inline: test_workbook_time.py
    flows, figures = _results(case)
    again, figures_back = _results(back)
    if isinstance(flows, type):
        assert again is flows                   # fails the same way (reconcile_demo)
    else:
        pd.testing.assert_frame_equal(flows, again, check_exact=True)
        assert figures == figures_back


def test_a_bare_network_saves_as_a_workbook(tmp_path, chain):
    path = fg.save(chain, tmp_path / "chain.xlsx")
    back = fg.load(path)
    pd.testing.assert_frame_equal(chain.solve().flows, back.result().flows, check_exact=True)


def test_the_workbook_has_one_sheet_per_table_and_explains_itself(tmp_path):
    path = fg.save(fg.load(CASES / "demo"), tmp_path / "demo.xlsx")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["README", "case", "carriers", "nodes", "costs", "flows",
                               "scenarios", "edits", "figures", "lists"]
    flows = book["flows"]
    assert flows.freeze_panes == "A2"
    header = {c.value: c for c in flows[1]}
    assert "quantity" in header["quantity"].comment.text
    assert "default: product" in header["role"].comment.text
    lists = {dv.formula1 for dv in flows.data_validations.dataValidation}
    assert "nodes!$A$2:$A$1048576" in lists           # node ids in source and target
    assert book["lists"].sheet_state == "hidden"
    assert "flowgraph case workbook" in book["README"]["A1"].value


def test_the_template_offers_every_core_column_and_the_allowed_values(tmp_path):
    path = write_workbook(None, tmp_path / "plant.xlsx", template=True)
    book = openpyxl.load_workbook(path)
    nodes = [c.value for c in book["nodes"][1]]
    assert nodes[:3] == ["id", "kind", "label"] and "costs.system" not in nodes
    assert [c.value for c in book["costs"][1]] == ["node", "material", "energy", "system",
                                                   "waste_management"]
    kinds = [c.value for c in book["lists"]["A"] if c.value][1:]
    assert kinds == ["process", "utility", "source", "sink", "storage"]
    assert fg.load(path).network.node_frame().empty          # an empty template loads


def test_the_template_from_a_case_loads_as_that_case(tmp_path):
    import argparse

    from flowgraph.app.exchange.command import add_exchange_commands
    parser = argparse.ArgumentParser()
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--allow", action="append")
    add_exchange_commands(parser.add_subparsers(), common)
    args = parser.parse_args(["template", "--out", str(tmp_path / "t.xlsx"), "--from",
                              str(CASES / "demo")])
    assert args.func(args) == 0
    back = fg.load(tmp_path / "t.xlsx")
    assert back.figure_values() == fg.load(CASES / "demo").figure_values()


# -- cells as people type them ---------------------------------------------------------------

def _book(tmp_path, flows, nodes=None, name="plant.xlsx", **sheets):
    """A workbook with the given rows per sheet (row 1 the header)."""
    book = openpyxl.Workbook()
    book.active.title = "nodes"
    for row in nodes or [["id", "kind"], ["in", "source"], ["p", "process"], ["out", "sink"]]:
        book["nodes"].append(row)
    for title, rows in {"flows": flows, **sheets}.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    path = tmp_path / name
    book.save(path)
    return path


FLOWS = [["id", "source", "target", "carrier", "quantity", "unit"],
         ["a", "in", "p", "ore", 100, "t"], ["b", "p", "out", "ore", None, None]]


def test_numbers_stored_as_text_and_numbers_with_units_are_read(tmp_path):
    rows = [FLOWS[0], ["a", "in", "p", "ore", "1,200 t", None], ["b", "p", "out", "ore", None,
                                                                  None]]
    case = fg.load(_book(tmp_path, rows))
    assert case.network.flow_frame().loc["a", "quantity"] == 1200.0
    rows[1][4] = " 1200 "
    assert fg.load(_book(tmp_path, rows)).network.flow_frame().loc["a", "quantity"] == 1200.0
    rows[1][4], rows[1][5] = "3 万t", "t"
    assert fg.load(_book(tmp_path, rows)).network.flow_frame().loc["a", "quantity"] == 30000.0


def test_ids_typed_as_numbers_stay_text_and_blank_rows_are_skipped(tmp_path):
    nodes = [["id", "kind"], [101, "source"], ["p", "process"], [], ["out", "sink"], [], []]
    rows = [FLOWS[0], ["a", 101, "p", "ore", 100, "t"], [], ["b", "p", "out", "ore"]]
    case = fg.load(_book(tmp_path, rows, nodes))
    assert list(case.network.node_frame().index) == ["101", "p", "out"]
    assert case.network.flow_frame()["_origin"].tolist() == \
        [f"{tmp_path / 'plant.xlsx'}:flows!A2", f"{tmp_path / 'plant.xlsx'}:flows!A4"]
    assert case.result().flows.loc["b", "quantity"] == 100


def _with_cached_values(path: Path, values: dict) -> None:
    """Give formulas of the flows sheet a saved value (as a spreadsheet program does)."""
    data = {}
    with zipfile.ZipFile(path) as z:
        for item in z.infolist():
            data[item.filename] = z.read(item.filename)
    name = next(k for k in data if k.startswith("xl/worksheets/sheet2"))
    xml = data[name].decode()
    for ref, value in values.items():
        xml = re.sub(rf'(<c r="{ref}"[^>]*>\s*<f>[^<]*</f>)\s*<v\s*/?>(</v>)?',
                     rf"\1<v>{value}</v>", xml)
    data[name] = xml.encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for k, v in data.items():
            z.writestr(k, v)
    path.write_bytes(buf.getvalue())


def test_formulas_are_read_as_their_saved_values(tmp_path):
    rows = [FLOWS[0], ["a", "in", "p", "ore", "=40*3", "t"], FLOWS[2]]
    path = _book(tmp_path, rows)
    with pytest.raises(fg.CaseFileError, match=r"flows!E2: the formula =40\*3 has no saved"):
        fg.load(path)
    _with_cached_values(path, {"E2": 120})
    assert fg.load(path).network.flow_frame().loc["a", "quantity"] == 120.0


def test_costs_sheet_and_costs_columns(tmp_path):
    costs = [["node", "system", "energy"], ["p", 5000, None]]
    case = fg.load(_book(tmp_path, FLOWS, costs=costs))
    assert case.network.node_frame().loc["p", "costs.system"] == 5000.0
    nodes = [["id", "kind", "costs.system"], ["in", "source"], ["p", "process", 10],
             ["out", "sink"]]
    with pytest.raises(fg.CaseFileError, match=r"costs!B2: node 'p': system cost is given "
                                               r"here and in the nodes sheet"):
        fg.load(_book(tmp_path, FLOWS, nodes, costs=costs))


def test_scenarios_edits_and_settings_read_lists_and_tables(tmp_path):
    sheets = {"scenarios": [["name", "description", "links"], ["s", "more ore", '["x", "y"]']],
              "edits": [["scenario", "op", "target", "factor", "per"],
                        ["s", "scale_flow", "a", 2, None]],
              "settings": [["section", "key", "value"], ["mine", "limit", 3],
                           ["mine", "names", '["a", "b"]'], ["mine", "deep.x", True],
                           ["mine", "label", "[draft] text"]]}
    path = _book(tmp_path, FLOWS, **{k: v for k, v in sheets.items() if k != "settings"})
    case = fg.load(path)
    assert case.scenarios["s"].meta == {"description": "more ore", "links": ["x", "y"]}
    assert case.result("s").flows.loc["b", "quantity"] == 200
    with pytest.raises(fg.CaseFileError, match=r"settings!C5: '\[draft\] text' starts like"):
        fg.load(_book(tmp_path, FLOWS, **sheets))
    sheets["settings"][-1][2] = '"[draft] text"'
    case = fg.load(_book(tmp_path, FLOWS, **sheets))
    assert case.sections == {"mine": {"limit": 3, "names": ["a", "b"], "deep": {"x": True},
                                      "label": "[draft] text"}}


def test_a_failed_save_leaves_the_old_workbook(tmp_path, chain):
    path = fg.save(chain, tmp_path / "chain.xlsx")
    before = path.read_bytes()
    chain.add_node("bad", label="bell \x07")
    with pytest.raises(fg.FlowgraphError, match=r"nodes!C\d+: .* holds a control character"):
        fg.save(chain, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["chain.xlsx"]


def test_text_that_looks_like_a_formula_is_saved_as_text(tmp_path, chain):
    chain.add_node("eq", label="=not a formula")
    chain.add_node("na", label="#N/A")
    back = fg.load(fg.save(chain, tmp_path / "c.xlsx"))
    assert back.network.node_frame().loc[["eq", "na"], "label"].tolist() == \
        ["=not a formula", "#N/A"]


def test_numbers_come_back_bit_for_bit(tmp_path, chain):
    values = [0.1 + 0.2, 1 / 3, 0.0001 * 3.023, 1.0000000000000007, 2 ** 0.5 * 1e-300]
    for i, v in enumerate(values):
        chain.add_node(f"n{i}", lat=None, x_value=v)
    back = fg.load(fg.save(chain, tmp_path / "c.xlsx")).network.node_frame()
    assert back.loc[[f"n{i}" for i in range(len(values))], "x_value"].tolist() == values


# -- flat flows tables -----------------------------------------------------------------------

def test_a_flat_csv_table_loads_as_a_network(tmp_path):
    path = tmp_path / "measured.csv"
    path.write_text("source,target,carrier,value,unit\nmine,mill,ore,100,t\n"
                    "mill,market,concentrate,30,t\nmill,tailings,tailings,65,t\n"
                    "grid,mill,electricity,5,MWh\n", encoding="utf-8")
    case = fg.load(path)
    kinds = case.network.node_frame()["kind"].to_dict()
    assert kinds == {"mine": "source", "mill": "process", "market": "sink",
                     "tailings": "sink", "grid": "source"}
    flows = case.result().flows
    assert flows["quantity"].tolist() == [100, 30, 65, 5]    # measured, not balanced


def test_a_flat_workbook_with_floweaver_columns_loads(tmp_path):
    book = openpyxl.Workbook()
    book.active.title = "data"
    for row in [["source", "target", "type", "value"], ["a", "b", "x", 3], ["b", "c", "x", 2],
                ["b", "c", "y", None]]:
        book.active.append(row)
    book.save(tmp_path / "flows.xlsx")
    flows = fg.load(tmp_path / "flows.xlsx").result().flows
    assert flows["quantity"].iloc[:2].tolist() == [3, 2] and np.isnan(flows["quantity"].iloc[2])


@pytest.mark.parametrize("text,message", [
    ("source,target,valu\na,b,1\n", r"measured.csv:1: column 3 \(valu\): unknown column "
                                    r"'valu'; did you mean 'value'\?"),
    ("source,target,value\na,b,five\n", r"measured.csv:2: flow '0': quantity 'five'"),
    ("source,target\na,b\n", r"measured.csv:1: a flat table needs the column\(s\) 'value'"),
])
def test_a_bad_flat_table_is_refused_by_line(tmp_path, text, message):
    path = tmp_path / "measured.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(fg.FlowgraphError, match=message):
        fg.load(path).result()


def _settings_row(book: Path, section: str, key: str, column: str, value) -> None:
    """Set `column` (section, key or value) of the settings row of section/key."""
    wb = openpyxl.load_workbook(book)
    ws = wb["settings"]
    col = [c.value for c in ws[1]].index(column) + 1
    row = next(r for r in range(2, ws.max_row + 1)
               if ws.cell(r, 1).value == section and ws.cell(r, 2).value == key)
    ws.cell(row, col).value = value
    wb.save(book)


def test_plugin_section_errors_of_a_workbook_name_its_settings_sheet(tmp_path):
    """A workbook case's [evaluation] and [[uncertainty.input]] errors named
    '<folder>/case.toml', a file the case does not have (and, for the inputs, read its lines
    from any case.toml next to the workbook): they name the settings sheet now."""
    book = fg.save(fg.load(CASES / "glyphosate"), tmp_path / "g.xlsx")
    _settings_row(book, "evaluation", "aggregates.raw_material_quantity.expr", "section",
                  "mine")
    with pytest.raises(fg.FlowgraphError) as err:
        fg.load(book).figure_values()
    assert re.match(re.escape(f"{book}:settings!A"), str(err.value)), str(err.value)
    assert "case.toml" not in str(err.value)
    book = fg.save(fg.load(CASES / "uncertainty_demo"), tmp_path / "u.xlsx")
    (tmp_path / "case.toml").write_text("# not this case's file\n", encoding="utf-8")
    wb = openpyxl.load_workbook(book)
    ws = wb["settings"]
    row = next(r for r in range(2, ws.max_row + 1)
               if ws.cell(r, 2).value == "input")
    ws.cell(row, 3).value = '[{flow = "ore", attribute = "quantity", dist = "normel"}]'
    wb.save(book)
    with pytest.raises(fg.FlowgraphError) as err:
        case_inputs(fg.load(book))
    assert str(book) in str(err.value) and "case.toml" not in str(err.value), str(err.value)
