"""The charts of the symbiosis report as plotly figures (the report keeps their
specifications): the park map and the annual CO2 of each mitigation scenario. plotly is
imported when a chart is drawn, not when the plugin loads."""

from __future__ import annotations

import numpy as np
import pandas as pd


def park_map(p):
    """Firms of a Park at their latitude and longitude (equirectangular), links as lines as
    wide as their known quantity."""
    import plotly.graph_objects as go
    f = p.firms
    traces = []
    mx = max(float(np.nanmax(p.links["amount"].to_numpy(dtype=float), initial=0.0)), 1e-12)
    for _, lk in p.links.iterrows():
        a, b = f.loc[lk["source"]], f.loc[lk["target"]]
        if not all(np.isfinite([a["lat"], a["lon"], b["lat"], b["lon"]])):
            continue
        traces.append(go.Scatter(x=[a["lon"], b["lon"]], y=[a["lat"], b["lat"]], mode="lines",
                                 line={"width": 1 + 5 * float(lk["amount"]) / mx,
                                       "color": "#8aa4b8"},
                                 hoverinfo="text", showlegend=False,
                                 text=f"{lk['source']} -> {lk['target']}: {lk['carriers']}"))
    traces.append(go.Scatter(x=f["lon"].tolist(), y=f["lat"].tolist(), mode="markers+text",
                             text=[str(i) for i in f.index], textposition="top center",
                             marker={"size": 10, "color": "#1f6f8b"}, showlegend=False))
    fig = go.Figure(traces)
    lat = float(np.nanmean(f["lat"])) if f["lat"].notna().any() else 0.0
    fig.update_layout(xaxis_title="longitude", yaxis_title="latitude", template="plotly_white",
                      yaxis={"scaleanchor": "x", "scaleratio": 1 / max(np.cos(np.radians(lat)),
                                                                       0.1)})
    return fig


def annual_lines(frame: pd.DataFrame):
    """One line per column (scenario) of t CO2e by year."""
    import plotly.graph_objects as go
    fig = go.Figure([go.Scatter(x=frame.index.tolist(), y=frame[c].tolist(), name=str(c),
                                mode="lines") for c in frame.columns])
    fig.update_layout(xaxis_title="year", yaxis_title="t CO2e", template="plotly_white")
    return fig
