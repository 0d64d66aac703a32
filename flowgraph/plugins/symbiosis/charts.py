"""The charts of the symbiosis report as plotly figures (the report keeps their
specifications): the annual CO2 of each mitigation scenario (the park map is a
geographic flow graph of the views). plotly is
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
