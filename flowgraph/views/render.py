"""Reports rendered: HTML (one self-contained page), CSV (a file per table) and JSON.

A Report (flowgraph.model.report) is data; this is the one place that turns its blocks into
page sections: tables, figure cards, text, plotly charts, flow graphs and Sankey diagrams.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..model.report import Cards, Chart, FlowGraph, Page, Report, Sankey, Table, Text, jsonable
from ..numbers import denoised
from .page import (
    Section,
    figure_section,
    figures_section,
    html_page,
    table_section,
    text_section,
)


def section(block) -> Section:
    """The page section of one block of a Report."""
    if isinstance(block, Table):
        sec = table_section(block.title, block.frame, note=block.note, index=block.index,
                            digits=block.digits, units=block.units)
    elif isinstance(block, Cards):
        sec = figures_section(block.title, block.items, note=block.note)
    elif isinstance(block, Text):
        sec = text_section(block.title, block.text, note=block.note)
    elif isinstance(block, Chart):
        sec = figure_section(block.title, block.figure, note=block.note, height=block.height)
    elif isinstance(block, FlowGraph):
        from .graph import graph_section
        sec = graph_section(block.result, title=block.title, note=block.note, **block.options)
    elif isinstance(block, Sankey):
        from .sankey import sankey_section
        sec = sankey_section(block.result, block.measure, title=block.title or None,
                             note=block.note)
    else:
        raise TypeError(f"a report block is a Table, Cards, Text, Chart, FlowGraph or Sankey, "
                        f"not {type(block).__name__}")
    sec.level = block.level
    return sec


def page_html(page: Page) -> str:
    """A Page (a report's extra file) as one self-contained HTML page."""
    if page.layout == "full" and len(page.blocks) == 1 and isinstance(page.blocks[0], FlowGraph):
        from .graph import graph_view
        block = page.blocks[0]
        return graph_view(block.result, **block.options).html(page.title)
    return html_page(page.title, [section(b) for b in page.blocks], layout=page.layout)


def report_html(report: Report) -> str:
    """The report's blocks as one self-contained HTML page."""
    return html_page(report.title or report.name, [section(b) for b in report.blocks])


def report_json(report: Report) -> dict:
    """The report as JSON-ready data: figures, summary, tables (records, rounding noise as 0)
    with units."""
    return jsonable({
        "name": report.name, "title": report.title, "summary": report.summary,
        "figures": report.figures,
        "tables": {name: {"units": report.units.get(name, {}),
                          "rows": denoised(frame).reset_index().to_dict("records")}
                   for name, frame in report.tables.items()},
    })


def write_report(report: Report, out_dir) -> list[Path]:
    """Write tables as CSV (rounding noise as 0, NaN empty, other floats exactly), figures
    as summary.json, the blocks as report.html, and the extra files (Pages rendered to
    HTML); returns the paths written."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, table in report.tables.items():
        path = out / f"{name}.csv"
        denoised(table).to_csv(path)
        written.append(path)
    path = out / "summary.json"
    path.write_text(json.dumps(jsonable(report.figures), indent=2, ensure_ascii=False),
                    encoding="utf-8")
    written.append(path)
    if report.blocks:
        path = out / "report.html"
        path.write_text(report_html(report), encoding="utf-8")
        written.append(path)
    for name, content in report.files.items():
        path = out / name
        text = page_html(content) if isinstance(content, Page) else content
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
