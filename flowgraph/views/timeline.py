"""Views of a network over periods: a Sankey with a period slider (the measure, grouping and
bundling chosen stay when the period changes), the flow graph with a period slider (laid out
once, its numbers swapped by period: timeline_graph.py) and stacked areas of each stock by
cohort with its outflows. They read a Periods object (app/periods.py) by its fields: periods, results
(one Result per period) and stocks (node -> CohortStock)."""

from __future__ import annotations

import html

import plotly.graph_objects as go

from .extract import view_data
from .page import Section, figure_section, html_page, table_section
from .palette import group_colours
from .sankey import sankey_section
from .sankey_page import shared_scales
from .timeline_graph import period_graph_section

#: the page script that switches periods (keeps the Sankey's menus as they were)
SLIDER_JS = """(function () {
  function show(box, i) {
    var panes = box.querySelectorAll(".fg-period-pane");
    var was = box.querySelector(".fg-period-pane:not([hidden]) .fg-sankey");
    var all = (window.flowgraph || {}).sankeys || {};
    var old = was && all[was.id];
    [].forEach.call(panes, function (p, k) { p.hidden = k !== i; });
    var now = panes[i].querySelector(".fg-sankey");
    var sk = now && all[now.id];
    if (old && sk && old !== sk) {
      ["measure", "group", "bundle", "values"].forEach(function (key) {
        if (sk.state[key] !== old.state[key]) { sk.set(key, old.state[key]); }
      });
    }
    box.querySelector(".fg-period-label").textContent = panes[i].getAttribute("data-period");
  }
  function init(box) {
    var range = box.querySelector("input.fg-period-range");
    range.addEventListener("input", function () { show(box, +range.value); });
  }
  function all() { [].forEach.call(document.querySelectorAll(".fg-periods"), init); }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", all); }
  else { all(); }
}());
"""
SLIDER_CSS = """.fg-period-bar { display: flex; align-items: center; gap: 0.8em; margin: 0.4em 0; }
.fg-period-bar input { width: min(30em, 60vw); vertical-align: middle; }
.fg-period-label { font-weight: 600; min-width: 6em; }
"""


def period_sankey_section(periods, results, measure_by: str = "mass",
                          title: str = "Sankey by period") -> Section:
    """One Sankey per period behind a slider, all at one scale per view (a band twice as
    wide is twice as much in any period); the menus chosen carry over."""
    datas = [view_data(r) for r in results]
    scales = shared_scales(datas, measure_by)
    secs = [sankey_section(d, measure_by, title=str(p), scales=scales)
            for p, d in zip(periods, datas)]
    labels = [html.escape(str(p)) for p in periods]
    panes = "".join(f'<div class="fg-period-pane" data-period="{lab}"{" hidden" if i else ""}>'
                    f'{sec.html}</div>' for i, (lab, sec) in enumerate(zip(labels, secs)))
    bar = (f'<div class="fg-period-bar"><label>Period <input type="range" '
           f'class="fg-period-range" min="0" max="{len(periods) - 1}" value="0" step="1" '
           f'aria-label="period"></label><span class="fg-period-label">{labels[0]}</span>'
           f'<span>{labels[0]} … {labels[-1]}</span></div>')
    first = secs[0]
    return Section(title, f'<div class="fg-periods">{bar}{panes}</div>',
                   "Drag the slider to step through the periods; the measure, grouping and "
                   "bundling chosen stay, and each keeps one scale over all periods (a band "
                   "twice as wide is twice as much in any period). " + first.note,
                   scripts=(*first.scripts, ("flowgraph-periods.js", SLIDER_JS)),
                   styles=(*first.styles, ("flowgraph-periods.css", SLIDER_CSS)))


def stock_figure(name: str, model):
    """Stacked areas of the stock by cohort at each period's end, the outflow as a line."""
    frame = model.frame()
    periods = [str(p) for p in model.periods]
    cohorts = list(dict.fromkeys(frame["cohort"]))
    colours = group_colours([str(c) for c in cohorts])
    fig = go.Figure()
    for c in cohorts:
        part = frame[frame["cohort"] == c].set_index("period")["stock"]
        if c != "all" and not part.any():
            continue                            # a cohort that never held anything
        fig.add_trace(go.Scatter(x=periods, y=[float(part.get(p, 0.0)) for p in model.periods],
                                 name="in stock" if c == "all" else f"cohort {c}",
                                 stackgroup="stock", mode="lines",
                                 line={"width": 0.5, "color": colours[str(c)]}))
    fig.add_trace(go.Scatter(x=periods, y=list(map(float, model.outflow)), name="outflow",
                             mode="lines+markers", line={"color": "#1b2733", "width": 2}))
    fig.add_trace(go.Scatter(x=periods, y=list(map(float, model.inflow)), name="inflow",
                             mode="lines", line={"color": "#1b2733", "width": 1, "dash": "dot"}))
    fig.update_layout(title=f"{name}: stock by cohort, inflow and outflow", height=380,
                      margin={"l": 60, "r": 20, "t": 50, "b": 40}, legend={"orientation": "v"},
                      xaxis={"title": "period", "type": "category"},
                      yaxis={"title": model.meta.get("unit") or "amount"})
    return fig


def periods_sections(run, figures=None) -> list[Section]:
    """The sections of the periods page: stocks, figures by period, the Sankey and the graph
    with their period sliders."""
    out = []
    for node, model in run.stocks.items():
        out.append(figure_section(f"Stock: {node}", stock_figure(node, model),
                                  "Areas: what is in stock at each period's end, by the "
                                  "period it entered (cohort; 'age N' entered N periods "
                                  "before the first); lines: what enters and leaves."))
        totals, unit = model.totals(), model.meta.get("unit")
        out.append(table_section(f"Stock account: {node}", totals,
                                 "Per period: inflow - outflow = stock change.",
                                 units=dict.fromkeys(totals.columns, unit) if unit else None))
    if figures is not None and len(figures):
        wide = figures.pivot_table(index="period", columns="name", values="value", sort=False)
        out.append(table_section("Figures by period", wide, "The case's headline figures "
                                 "evaluated on each period's result."))
    out.append(period_sankey_section(run.periods, run.results))
    out.append(period_graph_section(run.periods, run.results))
    return out


def periods_html(run, title: str, figures=None) -> str:
    """A page of its own (opens offline): stocks, figures by period, the Sankey and the graph
    with a period slider each."""
    return html_page(title, periods_sections(run, figures),
                     subtitle=f"{len(run.periods)} periods: {run.periods[0]} … {run.periods[-1]}")
