"""The HTML around the graph canvas: its legend (node colours and shapes, flow colours,
the width scale of each unit, the marks for unconnected and far nodes), the carrier and
firm filters, and the tools (flow labels, fit, PNG and SVG export)."""

from __future__ import annotations

import html

from ..numbers import fmt
from .graph_edges import UNKNOWN
from .palette import KIND_SHAPES, LOSS_COLOUR, UNCONNECTED

SHAPE_GLYPHS = {"dot": "●", "diamond": "◆", "square": "■", "triangle": "▲",
                "triangleDown": "▼"}
#: what the flow-label menu offers
LABEL_MODES = (("none", "none"), ("value", "values"), ("carrier", "carriers"),
               ("both", "carriers and values"))
#: sample lines of the width legend, as fractions of the widest
WIDTH_SAMPLES = (1.0, 0.5, 0.1)


def tools_html(mode: str) -> str:
    """The flow-label menu, the fit button and the export buttons."""
    opts = "".join(f'<option value="{v}"{" selected" if v == mode else ""}>{t}</option>'
                   for v, t in LABEL_MODES)
    return (f'<label class="fg-labels">Flow labels <select class="fg-label-mode" '
            f'aria-label="What the flows say">{opts}</select></label>'
            f'<button type="button" class="fg-fit">Fit</button>'
            f'<button type="button" class="fg-png" title="Save the drawing as PNG">PNG</button>'
            f'<button type="button" class="fg-svg" title="Save the drawing as SVG">SVG</button>')


def filter_html(key: str, title: str, items: list[tuple[str, str]]) -> str:
    boxes = "".join(
        f'<label><input type="checkbox" checked data-{key}="{html.escape(v)}"> '
        f'{html.escape(lbl)}</label>' for v, lbl in items)
    return (f'<details class="fg-filter" data-filter="{key}"><summary>{title} '
            f'<span class="fg-filter-count">{len(items)}/{len(items)}</span></summary>'
            f'<div class="fg-filter-actions"><button type="button" data-all="1">all</button>'
            f'<button type="button" data-all="0">none</button></div>'
            f'<div class="fg-filter-list">{boxes}</div></details>')


def legend_html(legend: dict) -> str:
    e = html.escape
    if legend["colour_by"] == "kind":            # colour and shape both say the kind
        parts = ['<div class="fg-legend"><h4>Nodes: kind</h4><ul>']
        for name, col in legend["nodes"]:
            glyph = SHAPE_GLYPHS.get(KIND_SHAPES.get(name, "dot"), "●")
            parts.append(f'<li><span class="glyph" style="color:{col}">{glyph}</span>'
                         f'{e(str(name))}</li>')
    else:
        parts = [f'<div class="fg-legend"><h4>Nodes: colour by {e(legend["colour_by"])}</h4>'
                 f'<ul>']
        shown = legend["nodes"][:24]
        for name, col in shown:
            parts.append(f'<li><span class="sw" style="background:{col}"></span>'
                         f'{e(str(name))}</li>')
        if len(legend["nodes"]) > len(shown):
            parts.append(f'<li class="more">… {len(legend["nodes"]) - len(shown)} more</li>')
        parts.append("</ul><h4>Shape: kind</h4><ul class=\"shapes\">")
        for k in legend["shapes"]:
            glyph = SHAPE_GLYPHS.get(KIND_SHAPES.get(k, "dot"), "●")
            parts.append(f'<li><span class="glyph">{glyph}</span>{e(str(k))}</li>')
    parts.append("</ul>")
    if legend["edges"]:
        parts.append("<h4>Flows: colour by carrier kind</h4><ul>")
        for name, col in legend["edges"]:
            parts.append(f'<li><span class="ln" style="border-color:{col}"></span>'
                         f'{e(name)}</li>')
        if legend["negative"]:
            parts.append(f'<li><span class="ln" style="border-color:{LOSS_COLOUR}"></span>'
                         f'loss, emission, waste</li>')
        if legend["recycle"]:
            parts.append('<li><span class="ln dashed"></span>recycle</li>')
        if legend.get("unknown"):
            parts.append(f'<li><span class="q">{UNKNOWN}</span>amount not known '
                         f'({legend["unknown"]}), drawn at 1 px</li>')
        parts.append("</ul>")
    parts += _width_html(legend)
    if legend.get("unconnected"):
        where = "" if legend.get("all_unconnected") else ", set aside below"
        parts.append(f'<h4>Marks</h4><ul><li><span class="mark" style="border-color:'
                     f'{UNCONNECTED}"></span>no flows ({legend["unconnected"]}){where}</li>')
        parts.append('<li><span class="mark"></span>far partner, at the map border</li></ul>'
                     if legend.get("far") else "</ul>")
    elif legend.get("far"):
        parts.append('<h4>Marks</h4><ul><li><span class="mark"></span>far partner, at the '
                     'map border</li></ul>')
    parts.append("</div>")
    return "".join(parts)


def _width_html(legend: dict) -> list[str]:
    """One width scale per unit: linear, the widest edge of the unit at its px."""
    scales = legend.get("width") or []
    if not scales:
        return []
    e = html.escape
    out = [f'<h4>Width: {e(legend.get("measure", "amount"))}, linear, one scale per '
           f'unit</h4>']
    for sc in scales:
        out.append(f'<ul class="fg-width"><li class="unit">{e(sc["unit"])}</li>')
        for f in WIDTH_SAMPLES:
            px = max(1.0, sc["px"] * f)
            out.append(f'<li><span class="ln" style="border-top-width:{px:.1f}px;'
                       f'border-color:#7a8594"></span>{fmt(sc["max"] * f, 3)} '
                       f'{e(sc["unit"])}</li>')
        out.append("</ul>")
    out.append('<p class="fg-legend-small">thinner flows drawn at 1 px</p>')
    return out
