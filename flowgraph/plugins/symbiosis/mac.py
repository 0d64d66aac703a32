"""The marginal abatement cost (MAC) curve: measures ordered by cost per tonne, each a bar
as wide as its cumulative abatement and as high as its cost per tonne (negative: the
measure pays for itself over the stock lifetime)."""

from __future__ import annotations

import pandas as pd


def mac_table(evaluation: pd.DataFrame, scenarios=None) -> pd.DataFrame:
    """The MAC curve as a table: scenarios (default: those of one measure) by cost per
    tonne, with the cumulative abatement where each bar starts and ends."""
    table = evaluation
    if scenarios is None:
        single = ~table["measures"].str.contains("&", regex=False)
        table = table[single]
    else:
        table = table.loc[list(scenarios)]
    table = table[table["abatement"] > 0].sort_values("cost_per_t")
    out = table[["measures", "abatement", "cost", "cost_per_t"]].copy()
    out["from_t"] = out["abatement"].cumsum() - out["abatement"]
    out["to_t"] = out["abatement"].cumsum()
    return out


def mac_figure(mac: pd.DataFrame, title: str = "Marginal abatement cost curve"):
    """The MAC curve as a plotly figure (bars of variable width)."""
    import plotly.graph_objects as go
    fig = go.Figure(go.Bar(
        x=((mac["from_t"] + mac["to_t"]) / 2).tolist(), y=mac["cost_per_t"].tolist(),
        width=mac["abatement"].tolist(), text=mac.index.tolist(), textposition="outside",
        marker_color=["#2a9d8f" if v < 0 else "#e76f51" for v in mac["cost_per_t"]],
        hovertemplate="%{text}: %{y:,.1f} CNY/t over %{width:,.0f} t<extra></extra>"))
    fig.update_layout(title=title, xaxis_title="cumulative abatement over the horizon (t CO2e)",
                      yaxis_title="cost (CNY per t CO2e)", bargap=0, showlegend=False,
                      template="plotly_white")
    return fig
