"""Colours and shapes of the views: one encoding for the graph, the Sankey and the legend.

Node colour says the node kind (or the firm, in parks), edge colour the carrier kind; every
negative product (loss, emission, waste) is red whatever its carrier. The hues are the
Okabe-Ito colour-blind-safe set where they fit.
"""

from __future__ import annotations

import colorsys

#: node kind -> fill colour
KIND_COLOURS = {
    "process": "#1f6f8b",
    "utility": "#7b5ea7",
    "storage": "#b8860b",
    "source": "#2e8b57",
    "sink": "#6c7a89",
}
#: node kind -> vis-network shape
KIND_SHAPES = {
    "process": "dot",
    "utility": "diamond",
    "storage": "square",
    "source": "triangle",
    "sink": "triangleDown",
}
#: carrier kind -> edge colour
CARRIER_COLOURS = {
    "material": "#4e6e9a",
    "energy": "#e69f00",
    "water": "#56b4e9",
    "emission": "#8a8a8a",
}
#: negative products (loss, emission, waste)
LOSS_COLOUR = "#d62728"
#: nodes without a firm when colouring by firm; unknown kinds
NEUTRAL = "#a3acb6"
#: the dashed border of a node no flow enters or leaves
UNCONNECTED = "#b03a2e"

#: categorical colours for firms (and other groups), Tableau 10 then 10 lighter partners
GROUP_COLOURS = (
    "#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#edc948", "#76b7b2", "#ff9da7", "#9c755f",
    "#bab0ac", "#e15759", "#a0cbe8", "#ffbe7d", "#8cd17d", "#d4a6c8", "#f1ce63", "#86bcb6",
    "#fabfd2", "#d7b5a6", "#79706e", "#499894",
)


def group_colours(names) -> dict:
    """A colour per group name, stable in the given order; beyond the fixed palette, hues
    spaced by the golden angle so neighbours stay apart."""
    out = {}
    for i, name in enumerate(names):
        if i < len(GROUP_COLOURS):
            out[name] = GROUP_COLOURS[i]
        else:
            h = (i * 0.618033988749895) % 1.0
            r, g, b = colorsys.hls_to_rgb(h, 0.55, 0.55)
            out[name] = f"#{int(r * 255):02x}{int(g * 255):02x}{int(b * 255):02x}"
    return out


def rgba(colour: str, alpha: float) -> str:
    """'#rrggbb' -> 'rgba(r,g,b,alpha)' (plotly link colours are translucent)."""
    c = colour.lstrip("#")
    r, g, b = (int(c[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha:g})"
