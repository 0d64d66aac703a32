"""The HTML around the graph canvas: its legend (node colours and shapes, flow colours,
width scale) and the carrier and firm filters."""

from __future__ import annotations

import html

from ..numbers import fmt
from .palette import KIND_SHAPES, LOSS_COLOUR

SHAPE_GLYPHS = {"dot": "●", "diamond": "◆", "square": "■", "triangle": "▲",
                "triangleDown": "▼"}


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
    parts.append("</ul><h4>Flows: colour by carrier kind</h4><ul>")
    for name, col in legend["edges"]:
        parts.append(f'<li><span class="ln" style="border-color:{col}"></span>{e(name)}</li>')
    if legend["negative"]:
        parts.append(f'<li><span class="ln" style="border-color:{LOSS_COLOUR}"></span>'
                     f'negative product (loss, emission, waste)</li>')
    if legend["recycle"]:
        parts.append('<li><span class="ln dashed"></span>recycle</li>')
    parts.append("</ul>")
    w = legend["width"]
    if w:
        parts.append(f'<h4>Width: {e(w["measure"])}, log scale</h4><ul>'
                     f'<li><span class="ln thin"></span>{fmt(w["min"])} {e(w["unit"])}</li>'
                     f'<li><span class="ln thick"></span>{fmt(w["max"])} {e(w["unit"])}</li></ul>')
    parts.append("</div>")
    return "".join(parts)
