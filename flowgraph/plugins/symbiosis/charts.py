"""The charts of the symbiosis report as plotly figures (the report keeps their
specifications): the annual CO2 of each mitigation scenario, the capacity in service by
cohort (the park map is a geographic flow graph of the views). plotly is
imported when a chart is drawn, not when the plugin loads."""

from __future__ import annotations

import pandas as pd


def annual_lines(frame: pd.DataFrame):
    """One line per column (scenario) of t CO2e by year."""
    import plotly.graph_objects as go
    fig = go.Figure([go.Scatter(x=frame.index.tolist(), y=frame[c].tolist(), name=str(c),
                                mode="lines") for c in frame.columns])
    fig.update_layout(xaxis_title="year", yaxis_title="t CO2e", template="plotly_white")
    return fig


def capacity_areas(stock: pd.DataFrame, width: int = 10):
    """Stacked areas of the capacity in service by year (MW), one band per period of
    `width` years of the cohorts (the years units entered their slots)."""
    import plotly.graph_objects as go
    band = (stock["cohort"] // width) * width
    table = (stock.assign(band=band).pivot_table(index="year", columns="band",
                                                 values="capacity_mw", aggfunc="sum")
             .fillna(0.0).sort_index())
    fig = go.Figure([go.Scatter(x=table.index.tolist(), y=table[b].tolist(),
                                name=f"built {int(b)}-{int(b) + width - 1}", mode="lines",
                                stackgroup="cohorts") for b in table.columns])
    fig.update_layout(xaxis_title="year", yaxis_title="MW in service",
                      template="plotly_white")
    return fig
