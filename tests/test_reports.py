"""Reports that read: headers in words with units, numbers right-aligned to consistent
significant figures without rounding noise, text left-aligned, empty sections left out with
one line saying why, headline cards in words flagged when far from a published value, shared
scripts written once per folder, and the comparison of a scenario with its base."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import flowgraph as fg
from flowgraph.app.compare import compare_case, flow_table
from flowgraph.model.report import Cards, Chart, Page, Report, Sankey, Table
from flowgraph.views.headers import figure_words, header, split_unit, words
from flowgraph.views.page import figures_section, table_section
from flowgraph.views.render import link, report_html, write_report
from flowgraph.views.tablehtml import no_data, render_table

from .view_cases import chain

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name, expected", [
    ("gap_tce_per_yr", ("gap", "tce/yr")),
    ("unit_cost_cny_per_t", ("unit cost", "CNY/t")),
    ("co2_ineffective_share", ("CO2 ineffective share", "")),
    ("n_types", ("number of types", "")),
    ("cost_material", ("material cost", "CNY")),
    ("kgce", ("standard coal", "kgce")),
    ("capacity_mw", ("capacity", "MW")),
])
def test_headers_in_words_with_units(name, expected):
    assert header(name) == expected


def test_table_units_come_first_and_unknown_names_get_no_unit():
    assert header("value", {"value": "t"}) == ("value", "t")
    assert header("share", {"share": ""}) == ("share", "")
    assert header("mystery_column") == ("mystery column", "")
    assert split_unit("saving_wan_per_yr") == ("saving", "万元/yr")
    assert words("hcl_synthesis") == "HCl synthesis"


def test_figure_names_drop_the_unit_they_state():
    assert figure_words("unit_cost_cny_per_t", "CNY/t") == ("unit cost", "CNY/t")
    assert figure_words("energy_level", "1") == ("energy level", "")
    assert figure_words("Total cost", "CNY") == ("Total cost", "CNY")
    # a single capital letter is a label, not a unit: sheet D, not days
    assert figure_words("loss_qty_D", "kg") == ("loss qty D", "kg")
    assert figure_words("material_loss_cost_D", "CNY") == ("material loss cost D", "CNY")
    assert split_unit("steam_d") == ("steam", "d")


def _cells(html: str) -> list[list[str]]:
    body = html.split("<tbody>")[1]
    return [re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row) for row in body.split("</tr>")[:-1]]


def test_numbers_right_text_left_four_figures_no_noise():
    frame = pd.DataFrame({"node": ["mill", "kiln"], "mass": [1234.5678, -5.3e-10],
                          "note": ["a longer text", "b"]}).set_index("node")
    out = render_table(frame, units={"mass": "t"})
    assert _cells(out) == [["mill", "1,235", "a longer text"], ["kiln", "0", "b"]]
    assert '<td class="text">a longer text</td>' in out and "<td>1,235</td>" in out
    assert '<span class="unit">t</span>' in out and 'class="table-box"' in out
    assert "e-10" not in out


def test_blank_columns_are_left_out_with_a_line():
    frame = pd.DataFrame({"a": [1.0, 2.0], "b": [np.nan, np.nan], "c": ["x", None]})
    out = render_table(frame)
    assert "<th>b</th>" not in out and "Columns with no value left out: b." in out


def test_years_are_not_thousands():
    out = render_table(pd.DataFrame({"start_year": [1998, 2012], "x": [1.0, 2.0]}))
    assert "1998" in out and "1,998" not in out


def test_an_empty_table_is_left_out_with_why():
    zeros = pd.DataFrame({"cost": [0.0, 0.0], "unit": ["CNY", "CNY"]})
    assert no_data(zeros) == "every value is 0"
    assert no_data(pd.DataFrame({"x": []})) == "no rows"
    sec = table_section("Totals", zeros, empty="the case gives no prices")
    assert sec.omitted == "the case gives no prices" and sec.html == ""
    page = report_html(Report("r", blocks=[Table("Totals", zeros, empty="no prices given.")]))
    assert '<strong>Totals</strong>: left out, no prices given.</p>' in page
    assert "<nav>" not in page


def test_cards_in_words_flagged_and_linked():
    items = [{"name": "unit_cost_cny_per_t", "value": 1100.0, "unit": "CNY/t",
              "published": 1000.0},
             {"name": "pvc_t_per_yr", "value": 130000.0, "unit": "t/yr", "published": 130010},
             {"name": "share_of_loss", "value": 0.25, "unit": "1"}]
    html = figures_section("Headline", items, explained="../README.md#published").html
    cards = html.split('<div class="figure')[2:]          # after <div class="figures">
    assert cards[0].startswith(' off"')
    assert "unit cost" in cards[0] and "⚠ +10.0 % from published" in cards[0]
    assert 'href="../README.md#published"' in cards[0]
    assert not cards[1].startswith(" off") and "-0.0" not in cards[1]
    assert "±0.0 % from published" in cards[1] and "explained" not in cards[1]
    assert "share of loss" in cards[2] and "<small></small>" in cards[2]


def test_links_are_relative_to_the_page(tmp_path):
    readme = tmp_path / "case" / "README.md"
    readme.parent.mkdir()
    readme.write_text("# x\n", encoding="utf-8")
    out = tmp_path / "out" / "run"
    out.mkdir(parents=True)
    assert link(f"{readme}#published-values", out) == "../../case/README.md#published-values"
    assert link("https://example.org/x") == "https://example.org/x"
    assert link(readme).startswith("file://")


def test_case_readme_anchor():
    from flowgraph.app.runner import case_readme
    found = case_readme(fg.load(ROOT / "cases" / "glyphosate"))
    assert found.endswith("README.md#published-and-ours")


def _chart():
    return Chart("A chart", {"data": [{"type": "bar", "x": [1, 2], "y": [3, 4]}]})


def test_plotly_is_written_once_beside_several_pages(tmp_path):
    report = Report("r", blocks=[_chart()],
                    files={"more.html": Page("More", [_chart()]),
                           "other.html": Page("Other", [_chart()])})
    written = {p.name for p in write_report(report, tmp_path)}
    assert {"report.html", "more.html", "other.html", "plotly.min.js"} <= written
    for name in ("report.html", "more.html", "other.html"):
        text = (tmp_path / name).read_text(encoding="utf-8")
        assert '<script src="plotly.min.js"></script>' in text and len(text) < 200_000


def test_a_single_page_inlines_its_scripts(tmp_path):
    write_report(Report("r", blocks=[_chart()]), tmp_path)
    assert not (tmp_path / "plotly.min.js").exists()
    text = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<script src=" not in text and len(text) > 1_000_000


def test_sankey_of_nothing_is_left_out_with_why():
    net = fg.Network("no prices")
    net.add_node("in", kind="source")
    net.add_node("a")
    net.add_node("out", kind="sink")
    net.add_flow("in", "a", "ore", quantity=5, id="f")
    net.add_flow("a", "out", "ore", share=1.0, id="g")
    page = report_html(Report("r", blocks=[Sankey("", net.solve(), "cost")]))
    assert re.search(r"<strong>Sankey: cost[^<]*</strong>: left out, no flow carries a cost",
                     page)


def test_run_report_tables_show_node_labels():
    from flowgraph.app.runner import run_case
    report = run_case(fg.load(ROOT / "cases" / "demo"))
    mfca = next(b for b in report.blocks if isinstance(b, Table) and b.title.startswith("MFCA"))
    labels = set(fg.load(ROOT / "cases" / "demo").network.node_frame()["label"].dropna())
    assert set(mfca.frame.index.get_level_values(0)) & labels
    ids = set(fg.load(ROOT / "cases" / "demo").network.node_frame().index)
    assert set(report.tables["mfca"].index.get_level_values(0)) - {"(system)"} <= ids
    assert any(isinstance(b, Cards) for b in report.blocks)


# -- the comparison -------------------------------------------------------------------------

def test_compare_case_side_by_side():
    case = fg.load(ROOT / "cases" / "demo")
    report = compare_case(case, "more recycling")
    figs = report.tables["figures"]
    assert list(figs.columns) == ["unit", "base", "more recycling", "change", "change %"]
    np.testing.assert_allclose(figs["change"], figs["more recycling"] - figs["base"])
    kinds = [type(b).__name__ for b in report.blocks]
    assert "Difference" in kinds and "Table" in kinds
    assert report.figures["scenario"] == "more recycling"
    assert report.summary.startswith(f"{case.name}: more recycling against base")


def test_compare_flows_largest_changes_first():
    base = chain().solve()
    net = chain()
    net.set_flow("back", share=0.3)
    other = net.solve()
    flows = flow_table(base, other, "base", "more back")
    assert "feed" not in flows.index                      # given: unchanged
    assert list(flows.index[:2]) == ["lb", "back"]        # lb stops: -100 %, then back
    assert (flows["change"] == flows["more back"] - flows["base"]).all()


def test_compare_command_writes_the_page(tmp_path):
    import argparse

    from flowgraph import cli
    from flowgraph.app.compare import add_compare_command
    parser = argparse.ArgumentParser()
    add_compare_command(parser.add_subparsers(dest="command"), cli._common())
    args = parser.parse_args(["compare", str(ROOT / "cases" / "demo"), "--scenario",
                              "better extraction", "--out", str(tmp_path)])
    assert args.func(args) == 0
    text = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "better extraction against base" in text and "What changes: mass" in text
    assert (tmp_path / "flows.csv").is_file() and (tmp_path / "figures.csv").is_file()


def test_difference_draws_the_largest_changes_and_counts_the_rest():
    from flowgraph.views.difference import difference_data, dominant_loops, largest_changes
    frame = pd.DataFrame({"source": list("abcde"), "target": list("fghij"),
                          "change": [100.0, -50.0, 1.0, 0.0, 0.5]})
    assert len(largest_changes(frame, limit=10, share=0.99)) == 2    # 150 of 151.5
    drawn = largest_changes(frame, limit=10, share=0.995)
    assert list(drawn["change"]) == [100.0, -50.0, 1.0]
    assert len(largest_changes(frame, limit=1)) == 1
    loop = pd.DataFrame({"source": ["w", "u", "a"], "target": ["u", "w", "b"],
                         "change": [1000.0, 1000.0, 5.0]})
    assert list(dominant_loops(loop).index) == [0, 1]
    assert list(largest_changes(loop).index) == [2]          # the loop left out, named
    base = chain().solve()
    net = chain()
    net.set_flow("back", share=0.2)
    data, unit = difference_data(base, net.solve(), "mass")
    assert unit == "t" and data.loc["feed", "change"] == 0 and data.loc["back", "change"] > 0
