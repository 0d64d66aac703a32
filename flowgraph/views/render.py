"""Reports rendered: HTML pages, CSV (a file per table) and JSON.

A Report (flowgraph.model.report) is data; this is the one place that turns its blocks into
page sections: tables, figure cards, text, plotly charts, flow graphs, Sankey diagrams and
differences between two results. A block with nothing to show (a table of zeros, a Sankey of
a measure no flow carries) is left out with one line saying why. `write_report` writes every
page of a report into one folder, the scripts they share (plotly.js, vis-network) once beside
them; a page rendered on its own (`report_html`, `page_html`) inlines them.
"""

from __future__ import annotations

import inspect
import json
import os
from pathlib import Path

import numpy as np

from ..model.report import (
    Cards,
    Chart,
    Difference,
    FlowGraph,
    Page,
    Report,
    Sankey,
    Table,
    Text,
    jsonable,
)
from ..numbers import denoised
from .page import (
    Section,
    figure_section,
    figures_section,
    html_page,
    omitted_section,
    table_section,
    text_section,
)


def section(block, base=None) -> Section:
    """The page section of one block of a Report. base: the folder the page is written to
    (links to files, such as a case README, are made relative to it)."""
    if isinstance(block, Table):
        sec = table_section(block.title, block.frame, note=block.note, index=block.index,
                            digits=block.digits, units=block.units, labels=block.labels,
                            empty=block.empty)
    elif isinstance(block, Cards):
        sec = figures_section(block.title, block.items, note=block.note,
                              explained=link(block.explained, base))
    elif isinstance(block, Text):
        sec = text_section(block.title, block.text, note=block.note)
    elif isinstance(block, Chart):
        sec = figure_section(block.title, block.figure, note=block.note, height=block.height)
    elif isinstance(block, FlowGraph):
        sec = _graph(block)
    elif isinstance(block, Sankey):
        sec = _sankey(block)
    elif isinstance(block, Difference):
        from .difference import difference_section
        sec = difference_section(block)
    else:
        raise TypeError(f"a report block is a Table, Cards, Text, Chart, FlowGraph, Sankey or "
                        f"Difference, not {type(block).__name__}")
    sec.level = block.level
    return sec


def _graph(block: FlowGraph) -> Section:
    from .extract import view_data
    data = view_data(block.result)
    if len(data.nodes) == 0:
        return omitted_section(block.title, "the network has no nodes")
    from .graph import graph_section
    return graph_section(data if data.result is None else data.result, title=block.title,
                         note=block.note, **block.options)


def _sankey(block: Sankey) -> Section:
    """The Sankey section, or one line when no flow carries the measure."""
    from .extract import carried
    amount, unit = carried(block.result, block.measure)
    title = block.title or f"Sankey: {block.measure} ({unit})"
    if amount <= 0:
        return omitted_section(title, block.empty or _nothing(block.result, block.measure))
    from .sankey import sankey_section
    return sankey_section(block.result, block.measure, title=block.title or None,
                          note=block.note)


def _nothing(result, measure: str) -> str:
    """Why a measure has nothing to draw, in words."""
    from .extract import view_data
    data = view_data(result)
    if len(data.flows) == 0:
        return f"the network has no flows ({len(data.nodes)} nodes)"
    q = data.flows["quantity"].to_numpy(dtype=float)
    if not np.isfinite(q).any() or not (np.abs(np.nan_to_num(q)) > 0).any():
        return "no flow has a known quantity"
    if measure.startswith("cost") or measure == "value":
        return "no flow carries a cost: the case gives no prices and no costs at the centres"
    return f"no flow carries {measure}"


def link(path, base=None) -> str:
    """A link to a file: relative to `base` (the folder of the page) when given, a file://
    address otherwise; URLs and '' as they are."""
    if not path:
        return ""
    text = str(path)
    if "://" in text:
        return text
    target, _, fragment = text.partition("#")
    if base is not None:
        rel = os.path.relpath(Path(target).resolve(), Path(base).resolve())
        out = Path(rel).as_posix()
    else:
        out = Path(target).resolve().as_uri()
    return out + (f"#{fragment}" if fragment else "")


def page_html(page: Page, base=None, shared: dict | None = None) -> str:
    """A Page (a report's extra file) as an HTML page (see html_page for `shared`)."""
    if page.layout == "full" and len(page.blocks) == 1 and isinstance(page.blocks[0], FlowGraph):
        from .graph import graph_view
        block = page.blocks[0]
        view = graph_view(block.result, **block.options)
        if shared is not None and "shared" in inspect.signature(view.html).parameters:
            return view.html(page.title, shared=shared)
        return view.html(page.title)
    return html_page(page.title, [section(b, base) for b in page.blocks], layout=page.layout,
                     shared=shared)


def report_html(report: Report, base=None, shared: dict | None = None) -> str:
    """The report's blocks as one HTML page (standalone unless `shared` is given)."""
    return html_page(report.title or report.name, [section(b, base) for b in report.blocks],
                     shared=shared)


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
    HTML); returns the paths written. When more than one page is written, the scripts they
    share (plotly.min.js, vis-network) are written once beside them; a single page inlines
    them. Every page opens offline from file://."""
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
    pages = int(bool(report.blocks)) + sum(isinstance(c, Page) for c in report.files.values())
    shared = {} if pages > 1 else None
    if report.blocks:
        path = out / "report.html"
        path.write_text(report_html(report, out, shared), encoding="utf-8")
        written.append(path)
    for name, content in report.files.items():
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        alone = None if "/" in name else shared        # a page in a subfolder: standalone
        text = page_html(content, path.parent, alone) if isinstance(content, Page) else content
        path.write_text(text, encoding="utf-8")
        written.append(path)
    for name, text in (shared or {}).items():
        path = out / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
