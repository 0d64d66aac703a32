"""The synergy views of doc 000's figures 1 and 2: each technology as a point, x = emission
reduction, y = energy conservation, z = production stage, coloured by its synergy class, with a
line between two technologies for each method that finds inter-technology synergy; and the same
in two dimensions, one panel per stage. Plotly figures; pages are made by views.page.
"""

from __future__ import annotations

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .technology import STAGE_ORDER, STAGES

CLASS_COLOURS = {"good": "#2e7d32", "general": "#f9a825", "poor": "#c62828", "none": "#9e9e9e",
                 "unclassified": "#616161"}
METHOD_STYLES = {"declared": ("solid", "#37474f"), "structural": ("dash", "#1565c0"),
                 "interaction": ("dot", "#8e24aa")}


def synergy_3d(points, links, x_title: str, y_title: str, title: str = "") -> go.Figure:
    """points: DataFrame indexed by key with name, stage, x, y, class, hover; links: rows of
    (key_a, key_b, method, detail)."""
    fig = go.Figure()
    for klass, g in points.groupby("class", sort=False):
        fig.add_trace(go.Scatter3d(
            x=g["x"], y=g["y"], z=[STAGE_ORDER[s] for s in g["stage"]], mode="markers+text",
            text=list(g.index), textposition="top center", name=f"{klass} synergy",
            marker={"size": 7, "color": CLASS_COLOURS.get(klass, "#616161")},
            hovertext=g["hover"], hoverinfo="text"))
    for method, (dash, colour) in METHOD_STYLES.items():
        xs, ys, zs = [], [], []
        for a, b, m, _ in links:
            if m != method:
                continue
            for k in (a, b):
                xs.append(points.at[k, "x"])
                ys.append(points.at[k, "y"])
                zs.append(STAGE_ORDER[points.at[k, "stage"]])
            xs.append(None)
            ys.append(None)
            zs.append(None)
        if xs:
            fig.add_trace(go.Scatter3d(x=xs, y=ys, z=zs, mode="lines", name=f"{method} link",
                                       line={"dash": dash, "color": colour, "width": 4},
                                       hoverinfo="skip"))
    fig.update_layout(
        title=title, height=640, legend={"itemclick": "toggle"},
        scene_camera={"eye": {"x": 1.7, "y": -1.7, "z": 0.8}},
        scene={"xaxis": {"title": x_title}, "yaxis": {"title": y_title},
               "zaxis": {"title": "stage", "tickvals": [STAGE_ORDER[s] for s in STAGES],
                         "ticktext": [f"resource {s}" for s in STAGES],
                         "range": [0.5, len(STAGES) + 0.5]}})
    return fig


def synergy_2d(points, links, x_title: str, y_title: str, title: str = "") -> go.Figure:
    """One panel per stage (doc 000's figure 1 per stage): the stage's technologies and the
    links between two technologies of that stage (links across stages are listed on hover)."""
    fig = make_subplots(rows=1, cols=len(STAGES),
                        subplot_titles=[f"resource {s}" for s in STAGES])
    shown: set = set()
    for col, stage in enumerate(STAGES, 1):
        g = points[points["stage"] == stage]
        for klass, h in g.groupby("class", sort=False):
            fig.add_trace(go.Scatter(
                x=h["x"], y=h["y"], mode="markers+text", text=list(h.index),
                textposition="top center", name=f"{klass} synergy", legendgroup=klass,
                showlegend=klass not in shown,
                marker={"size": 11, "color": CLASS_COLOURS.get(klass, "#616161")},
                hovertext=h["hover"], hoverinfo="text"), row=1, col=col)
            shown.add(klass)
        for method, (dash, colour) in METHOD_STYLES.items():
            xs, ys = [], []
            for a, b, m, _ in links:
                if m == method and a in g.index and b in g.index:
                    xs += [points.at[a, "x"], points.at[b, "x"], None]
                    ys += [points.at[a, "y"], points.at[b, "y"], None]
            if xs:
                fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", name=f"{method} link",
                                         legendgroup=method, showlegend=method not in shown,
                                         line={"dash": dash, "color": colour},
                                         hoverinfo="skip"), row=1, col=col)
                shown.add(method)
        fig.update_xaxes(title_text=x_title, row=1, col=col)
        fig.update_yaxes(title_text=y_title, row=1, col=col)
    fig.update_layout(title=title, height=460)
    return fig
