"""Views in notebooks: `_repr_html_` for networks, results and views, inline and offline.

A notebook cell's HTML output is a fragment inside the notebook's own page; flowgraph's
views are whole pages (their scripts, styles and data). Each is shown in an iframe whose
`srcdoc` is the self-contained page, so nothing is fetched, the notebook's styles do not
leak into the view and two views in one notebook do not share state. The package face binds
these as methods:

    Network._repr_html_ = network_repr       Result._repr_html_ = result_repr
    GraphView._repr_html_ = graph_view_repr  Report._repr_html_ = report_repr

A DataFrame (flows, nodes) renders in notebooks already; `table_view(frame)` and
`mfca_view(result)` show one as a flowgraph page does (headers in words with units, numbers
right-aligned to 4 significant figures, no rounding noise). `sankey_view(result)` is the
interactive Sankey page (measure, grouping, export) in a frame. Views are also plotly
Figures where a notebook wants one (views.sankey.sankey_figure,
views.difference.difference_sankey / difference_graph / network_figure).
"""

from __future__ import annotations

import html

import numpy as np

from ..numbers import fmt

#: height of a view's frame in a notebook, px
FRAME_HEIGHT = 620
#: above this many flows a Result shows its summary only (say .graph() or a Sankey to draw)
DRAW_LIMIT = 3000


def iframe(page: str, height: int = FRAME_HEIGHT, title: str = "flowgraph view") -> str:
    """A self-contained HTML page as an iframe for a notebook cell (srcdoc: nothing is
    fetched; the page's own scripts run inside the frame)."""
    return (f'<iframe srcdoc="{html.escape(page, quote=True)}" title="{html.escape(title)}" '
            f'style="width:100%;height:{int(height)}px;border:1px solid #d9dee5;'
            f'border-radius:4px" loading="lazy"></iframe>')


def _head(name: str, scenario: str | None, parts: list[str]) -> str:
    sc = f" [{html.escape(str(scenario))}]" if scenario else ""
    return (f'<div style="font:13px/1.4 system-ui,sans-serif;margin:.2rem 0">'
            f"<b>{html.escape(str(name))}</b>{sc}: {html.escape(', '.join(parts))}</div>")


def network_repr(net) -> str:
    """A Network in a notebook: its size and its graph (solved if it can be; a network that
    cannot be solved yet shows its structure with the given quantities)."""
    from .graph import graph_html
    nodes, flows = len(net.node_frame()), len(net.flow_frame())
    head = _head(net.name, None, [f"{nodes} nodes", f"{flows} flows"])
    if flows == 0 or flows > DRAW_LIMIT:
        return head
    return head + iframe(graph_html(net), title=f"{net.name}: flow graph")


def result_repr(result) -> str:
    """A Result in a notebook: its totals and its Sankey in its first balance layer."""
    from .sankey import sankey_html
    c = result.compiled
    head = _head(result.network.name, result.scenario,
                 [f"{c.n_nodes} nodes", f"{c.n_flows} flows"])
    rows = "".join(f"<tr><th style='text-align:left'>{html.escape(n)}</th>"
                   f"<td style='text-align:right'>{fmt(v, 4)}</td><td>{html.escape(u)}</td></tr>"
                   for n, v, u in _totals(result) if np.isfinite(v) and v != 0)
    table = f"<table>{rows}</table>" if rows else ""
    if c.n_flows == 0 or c.n_flows > DRAW_LIMIT or not c.layers:
        return head + table
    layer = "mass" if "mass" in c.layers else c.layers[0]
    return head + table + iframe(sankey_html(result, layer), title="Sankey")


def _totals(result) -> list[tuple[str, float, str]]:
    """A few whole-system totals: what was bought and sold, standard coal and CO2."""
    c, f = result.compiled, result.flows
    bought = c.node_kind[c.tail] == "source"
    sold = (c.node_kind[c.head] == "sink") & ~f["negative"].to_numpy()
    return [("purchased cost", float(np.nansum(f["cost"][bought])), "CNY"),
            ("sales revenue", float(np.nansum(f["value"][sold])), "CNY"),
            ("standard coal purchased", float(np.nansum(f["tce"][bought])), "tce"),
            ("CO2 (attributed)", float(np.nansum(f["co2"][bought]) + np.nansum(c.node_co2)),
             "t")]


def graph_view_repr(view) -> str:
    """A GraphView (views.graph) in a notebook: its page in a frame."""
    return iframe(view.html(), title="flow graph")


def page_repr(page: str, height: int = FRAME_HEIGHT) -> str:
    """Any page flowgraph renders (sankey_html, graph_html, report_html) in a frame."""
    return iframe(page, height)


class PageView:
    """A rendered page that shows itself in a notebook (`_repr_html_`) and saves itself."""

    def __init__(self, page: str, height: int = FRAME_HEIGHT):
        self.page, self.height = page, height

    def _repr_html_(self) -> str:
        return iframe(self.page, self.height)

    def save(self, path) -> None:
        from pathlib import Path
        Path(path).write_text(self.page, encoding="utf-8")


def report_repr(report) -> str:
    """A Report (a run, a plugin, a comparison) in a notebook: its page in a frame."""
    from .render import report_html
    return iframe(report_html(report), height=FRAME_HEIGHT + 180,
                  title=str(report.title or report.name))


def sankey_view(obj, measure_by: str = "mass", height: int = FRAME_HEIGHT) -> PageView:
    """The interactive Sankey page of a Network, Result or Case (views.sankey) in a frame."""
    from .sankey import sankey_html
    return PageView(sankey_html(obj, measure_by), height)


#: the table style of the pages, for a table shown on its own in a notebook cell
_TABLE_CSS = (".fg-nb .table-box{max-width:100%;max-height:32rem;overflow:auto}"
              ".fg-nb table.fg{border-collapse:collapse;font-variant-numeric:tabular-nums}"
              ".fg-nb table.fg th,.fg-nb table.fg td{padding:.2rem .5rem;text-align:right;"
              "border-bottom:1px solid #d9dee5;white-space:nowrap}"
              ".fg-nb table.fg td.text,.fg-nb table.fg tbody th{text-align:left}"
              ".fg-nb table.fg thead th .unit{display:block;color:#5b6675;font-weight:400}"
              ".fg-nb .note{color:#5b6675}")


class TableView:
    """A table shown as flowgraph's pages show it (`_repr_html_`); `.frame` is the data."""

    def __init__(self, frame, units: dict | None = None, labels: dict | None = None,
                 digits: int = 4):
        self.frame, self.units, self.labels, self.digits = frame, units, labels, digits

    def _repr_html_(self) -> str:
        from .tablehtml import render_table
        body = render_table(self.frame, digits=self.digits, units=self.units,
                            labels=self.labels)
        return f'<div class="fg-nb"><style>{_TABLE_CSS}</style>{body}</div>'


def table_view(frame, units: dict | None = None, labels: dict | None = None) -> TableView:
    """A DataFrame shown in words with units (see TableView)."""
    return TableView(frame, units, labels)


def mfca_view(result) -> TableView:
    """The MFCA flow-cost matrix of a Result, headers in words with units."""
    units = {"material": "CNY", "energy": "CNY", "system": "CNY", "waste_management": "CNY",
             "total": "CNY", "share": "", "mass": "t", "tce": "tce", "co2": "t"}
    labels = {"material": "material cost", "energy": "energy cost", "system": "system cost",
              "waste_management": "waste management cost", "total": "total cost",
              "share": "share of the cost", "mass": "mass", "tce": "standard coal"}
    return TableView(result.mfca(), units, labels)
