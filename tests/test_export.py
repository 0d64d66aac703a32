"""Exports to the neighbours' formats, each read back: IAMC long format (pyam where it is
installed, else its documented layout), the floweaver Dataset and SankeyDefinition woven by
floweaver, the Brightway inventory parsed as bw2io's Excel importer parses it, networkx
node-link JSON and GraphML read by networkx, and the results workbook of run --xlsx."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import networkx as nx
import numpy as np
import openpyxl
import pandas as pd
import pytest

import flowgraph as fg
from flowgraph.app.exchange import FORMATS, export
from flowgraph.app.exchange.command import add_exchange_commands
from flowgraph.app.exchange.runbook import write_run_workbook

CASES = Path(__file__).resolve().parent.parent / "cases"


@pytest.fixture(scope="module")
def demo():
    return fg.load(CASES / "demo")


def test_iamc_holds_every_scenario_in_the_documented_layout(tmp_path, demo):
    path, = export(demo, "iamc", tmp_path / "demo.csv", year=2023)
    table = pd.read_csv(path)
    assert list(table.columns) == ["model", "scenario", "region", "variable", "unit", "2023"]
    assert set(table["scenario"]) == {"base", "better extraction", "more recycling"}
    assert not table.duplicated(["model", "scenario", "region", "variable", "unit"]).any()
    base = table[table["scenario"] == "base"].set_index("variable")
    result = demo.result()
    assert base.loc["Flow|drying|customer|pigment", "2023"] == pytest.approx(
        result.flows.loc["pigment", "quantity"])
    assert base.loc["Figure|pigment_t", "unit"] == "t"
    assert base.loc["Purchase|ore", "2023"] == 1000
    xlsx, = export(demo, "iamc", tmp_path / "demo.xlsx", scenario="more recycling", year=2023)
    sheet = pd.read_excel(xlsx, sheet_name="data", engine="openpyxl")
    assert set(sheet["scenario"]) == {"more recycling"}


def test_iamc_is_read_by_pyam(tmp_path, demo):
    pyam = pytest.importorskip("pyam")
    path, = export(demo, "iamc", tmp_path / "demo.csv", year=2023)
    df = pyam.IamDataFrame(str(path))
    assert set(df.scenario) == {"base", "better extraction", "more recycling"}


def test_iamc_needs_a_year(tmp_path, demo):
    with pytest.raises(fg.FlowgraphError, match=r"needs the year.*\[case\] year"):
        export(demo, "iamc", tmp_path / "demo.csv")
    assert not (tmp_path / "demo.csv").exists()


def test_floweaver_weaves_the_stage_grouping(tmp_path, demo):
    fw = pytest.importorskip("floweaver")
    from flowgraph.io.export.weaver import sankey_definition
    files = export(demo, "floweaver", tmp_path / "fw")
    assert [p.name for p in files] == ["flows.csv", "processes.csv", "sankey_definition.json"]
    dataset = fw.Dataset.from_csv(str(files[0]), str(files[1]))
    spec = json.loads(files[2].read_text(encoding="utf-8"))
    assert [band[0][0] for band in spec["ordering"]] == ["sources", "input", "utilisation",
                                                         "output", "utilities", "sinks"]
    woven = fw.weave(sankey_definition(spec), dataset)
    flows = pd.read_csv(files[0])
    group = pd.read_csv(files[1]).set_index("id")["group"]
    across = flows[flows["source"].map(group) != flows["target"].map(group)]
    drawn = sum(link.data["value"] for link in woven.links if not link.source.startswith("__"))
    assert drawn == pytest.approx(across["value"].sum())
    assert {link.type for link in woven.links} <= set(flows["type"])


def _bw2io_activities(path: Path) -> tuple[str, list[dict]]:
    """The database and activities of a workbook, found as bw2io's ExcelImporter finds
    them (get_database, process_activities, get_activity, get_labelled_section)."""
    book = openpyxl.load_workbook(path, data_only=True, read_only=True)
    rows = [[c for c in row] for sheet in book for row in sheet.iter_rows(values_only=True)]
    rows = [r[:max((i + 1 for i, v in enumerate(r) if v not in (None, "")), default=0)]
            for r in rows]
    db = [r[1] for r in rows if r and isinstance(r[0], str) and r[0].lower() == "database"]
    assert len(db) == 1
    out = []
    starts = [i for i, r in enumerate(rows) if len(r) > 1 and r[0] == "Activity"]
    for a, b in zip(starts, starts[1:] + [len(rows)]):
        block = [r for r in rows[a:b] if r and any(v not in (None, "") for v in r)]
        exc = next(i for i, r in enumerate(block) if r[0] == "Exchanges")
        meta = {r[0]: r[1] for r in block[1:exc]}
        columns = block[exc + 1]
        assert all(columns)
        exchanges = [{k: v for k, v in zip(columns, r) if v not in (None, "")}
                     for r in block[exc + 2:]]
        out.append({"name": block[0][1], **meta, "exchanges": exchanges})
    return db[0], out


def test_brightway_inventory_in_the_bw2io_excel_layout(tmp_path, demo):
    path, = export(demo, "brightway", tmp_path / "demo_lci.xlsx")
    database, activities = _bw2io_activities(path)
    assert database == "demo pigment plant"
    by_code = {a["code"]: a for a in activities}
    assert set(by_code) == {"dissolving", "reaction", "drying", "wwtp"}
    drying = by_code["drying"]
    production = [e for e in drying["exchanges"] if e["type"] == "production"]
    assert production == [{"name": drying["name"], "amount": 1, "unit": "t", "location": "GLO",
                           "type": "production", "database": database,
                           "reference product": "pigment"}]
    assert drying["production amount"] == pytest.approx(demo.result().flows.loc["pigment",
                                                                                "quantity"])
    # an input from another process links to it by name and reference product
    names = {(a["name"], a["reference product"]) for a in activities}
    internal = [e for a in activities for e in a["exchanges"]
                if e["type"] == "technosphere" and e.get("database") == database]
    assert internal and all((e["name"], e["reference product"]) in names for e in internal)
    # purchases are left for the LCA user to link to a background database
    ore = next(e for e in by_code["dissolving"]["exchanges"] if e["name"] == "ore")
    assert "database" not in ore and ore["amount"] == pytest.approx(
        1000 / by_code["dissolving"]["production amount"])


@pytest.mark.parametrize("fmt,reader", [("nodelink", lambda p: nx.node_link_graph(
    json.loads(Path(p).read_text(encoding="utf-8")), edges="edges")),
    ("graphml", nx.read_graphml)])
def test_graph_files_read_back_with_networkx(tmp_path, demo, fmt, reader):
    path, = export(demo, fmt, tmp_path / f"demo.{fmt}")
    g = reader(path)
    result = demo.result()
    assert g.number_of_nodes() == len(result.nodes)
    assert g.number_of_edges() == len(result.flows)
    edge = next(d for _, _, d in g.edges(data=True) if d["id"] == "pigment")
    assert edge["quantity"] == pytest.approx(result.flows.loc["pigment", "quantity"])
    assert edge["carrier"] == "pigment"


def test_the_case_workbook_export_and_a_scenario(tmp_path, demo):
    path, = export(demo, "xlsx", tmp_path / "d.xlsx")
    assert fg.load(path).figure_values() == demo.figure_values()
    path, = export(demo, "xlsx", tmp_path / "s.xlsx", scenario="more recycling")
    back = fg.load(path)
    assert not back.scenarios
    assert back.result().flows.loc["fines", "quantity"] == pytest.approx(
        demo.result("more recycling").flows.loc["fines", "quantity"])


def test_the_export_command(tmp_path, capsys):
    parser = argparse.ArgumentParser()
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--allow", action="append")
    add_exchange_commands(parser.add_subparsers(), common)
    for fmt in FORMATS:
        out = tmp_path / f"demo-{fmt}"
        args = parser.parse_args(["export", str(CASES / "demo"), "--format", fmt, "--out",
                                  str(out), "--year", "2020"])
        assert args.func(args) == 0
        assert out.exists()
    assert "wrote" in capsys.readouterr().out


def test_an_unknown_format_and_an_unsolvable_case_write_nothing(tmp_path):
    with pytest.raises(fg.FlowgraphError, match="unknown export format 'iamcc'; did you mean "
                                                "'iamc'"):
        export(fg.load(CASES / "demo"), "iamcc", tmp_path / "x.csv")
    case = fg.load(CASES / "reconcile_demo")
    for fmt in ("brightway", "graphml", "floweaver"):
        with pytest.raises(fg.UnderdeterminedError):
            export(case, fmt, tmp_path / fmt)
    assert list(tmp_path.iterdir()) == []


def test_the_results_workbook_has_units_and_every_table(tmp_path, demo):
    path = write_run_workbook(demo, tmp_path / "run.xlsx")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["figures", "totals", "flows", "nodes", "mfca", "residuals",
                               "scenarios"]
    header = [c.value for c in book["flows"][1]]
    assert "quantity [flow unit]" in header and "cost [CNY]" in header
    assert book["flows"]["I2"].number_format != "General"
    compared = pd.read_excel(path, sheet_name="scenarios", index_col=0, engine="openpyxl")
    assert list(compared.columns) == ["unit", "base", "better extraction", "more recycling"]
    assert np.isfinite(compared[["base", "more recycling"]].to_numpy()).all()
