"""The interactive graph of a network or result: pyvis data, drawn by vis-network, offline.

Nodes and edges are pyvis records (a pyvis Network holds them and its options), built as
lists in one pass (pyvis's own add_node/from_nx check membership in a list per call and are
quadratic). They are drawn by flowgraph's page template, which inlines the vis-network
script pyvis ships, so the file opens with no network access; graph.js adds the page's
tools (search, filters, flow labels, the click panel, PNG and SVG export).

Encodings: node colour by kind or firm, shape by kind, size by throughput; parallel flows
of one carrier between two nodes bundled into one edge with their sum (graph_edges); edge
width linear in the amount within each unit, one scale per unit (t, GJ, a flow unit),
stated in the legend; colour by carrier kind, red for negative products (loss, emission,
waste), dashed for recycle; values on edges (a switch in the page); a dashed red border for
nodes without flows; tooltips with quantity and unit, cost, tce and CO2; a panel on click
with the node's balances by layer, costs, inflows and outflows (graph_nodes).
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

import numpy as np
import pandas as pd

from ..errors import FlowgraphError
from . import layout_bands as bnd
from . import layout_map as geo
from .extract import ViewData, measure, view_data
from .graph_edges import (
    Edges,
    bundle,
    edge_records,
    edge_smooth,
    flow_units,
    panel_flows,
)
from .graph_labels import FONT, short_label, sizes
from .graph_nodes import (
    full_names,
    node_colours,
    node_records,
    node_titles,
    panel_data,
    unconnected,
)
from .legend import filter_html, legend_html, tools_html
from .palette import CARRIER_COLOURS, KIND_SHAPES

#: physics (the browser moving nodes) only when asked for, and never above this many nodes
PHYSICS_LIMIT = 300
#: above this many flows edges are drawn straight (curves cost drawing time)
CURVE_LIMIT = 2000
#: up to this many edges, values are written on them from the start ('auto')
LABEL_LIMIT = 40
#: drawings get tighter, step by step, until node labels read at the default zoom:
#: LEGIBLE_PX or more on the screen (checked up to LEGIBLE_LIMIT nodes). A step is the
#: width (characters) labels wrap at and how far a map or a force layout is spread
TIGHTER = ((16, 1.0), (16, 0.78), (13, 0.62), (13, 0.48), (11, 0.38))
LEGIBLE_PX = 11.0
LEGIBLE_LIMIT = 400
#: above this many nodes the force layout keeps the clustered start (a spring layout is
#: quadratic)
SPRING_LIMIT = 1500
LAYOUTS = ("auto", "layered", "geographic", "force")
COLOUR_MODES = ("auto", "kind", "firm")
EDGE_LABELS = ("auto", "none", "carrier", "value", "both")


@dataclass
class GraphView:
    """A drawn graph: the pyvis network holding nodes, edges and options, plus what the
    page needs around it (legend, filters, the click panel's data)."""

    pyvis: object
    data: ViewData
    layout: str
    colour_by: str
    measure: str
    unit: str
    legend: dict = field(default_factory=dict)
    carriers: list = field(default_factory=list)
    firms: list = field(default_factory=list)
    panel: dict = field(default_factory=dict)
    flows: list = field(default_factory=list)
    edge_labels: str = "none"

    @property
    def nodes(self) -> list[dict]:
        return self.pyvis.nodes

    @property
    def edges(self) -> list[dict]:
        return self.pyvis.edges

    def spec(self) -> dict:
        """What the page script reads: pyvis's network data plus flowgraph's extras."""
        nodes, edges, _heading, _height, _width, options = self.pyvis.get_network_data()
        return {"nodes": nodes, "edges": edges, "options": json.loads(options),
                "layout": self.layout, "colour_by": self.colour_by,
                "edge_labels": self.edge_labels, "panel": self.panel, "flows": self.flows,
                "name": f"{self.data.name} [{self.data.scenario}]"}

    def fragment(self, height: str = "auto") -> str:
        """The graph as an HTML fragment (tools, canvas, panel, legend, data); needs the vis
        script that html_page inlines for sections with needs_vis. height: a CSS length, or
        'auto' (from the drawing's aspect ratio, so a long flowsheet gets no empty band)."""
        if height == "auto":
            height = self.auto_height()
        data = json.dumps(self.spec(), ensure_ascii=False, separators=(",", ":"),
                          allow_nan=False).replace("</", "<\\/")
        firms = ""
        if self.firms:
            firms = filter_html("firm", "Firms", [(f or "", f or "(no firm)") for f in self.firms])
        carriers = filter_html("carrier", "Carriers", [(c, c) for c in self.carriers])
        notes = [self.data.note] if self.data.note else []
        notes += self.legend.get("notes", [])
        note = "".join(f'<p class="fg-graph-note">{html.escape(t)}</p>' for t in notes)
        return (
            f'<div class="fg-graph" style="--fg-graph-height:{html.escape(height)}">'
            f"<style>{_css()}</style>"
            f'<div class="fg-graph-tools">'
            f'<input type="search" class="fg-search" placeholder="Find a node" '
            f'aria-label="Find a node by name">'
            f'<span class="fg-search-result" aria-live="polite"></span>'
            f'{carriers}{firms}{tools_html(self.edge_labels)}'
            f'<span class="fg-count"></span></div>'
            f'<div class="fg-graph-body"><div class="fg-graph-canvas"></div>'
            f'<aside class="fg-panel" hidden aria-live="polite"></aside>'
            f'{legend_html(self.legend)}</div>{note}'
            f'<script type="application/json" class="fg-graph-data">{data}</script></div>')

    def auto_height(self, canvas_width: float = 920.0, low: int = 400, high: int = 680) -> str:
        """A canvas height fitting the drawing at the report's width, within [low, high] px."""
        if not self.nodes:
            return f"{low}px"
        xs = np.array([nd["x"] for nd in self.nodes])
        ys = np.array([nd["y"] for nd in self.nodes])
        w, h = np.ptp(xs) + 240.0, np.ptp(ys) + 160.0
        return f"{int(np.clip(canvas_width * h / w + 40, low, high))}px"

    def section(self, title: str = "Flow graph", note: str = "", height: str = "auto"):
        from .page import Section
        return Section(title, self.fragment(height), note or self.describe(), needs_vis=True)

    def describe(self) -> str:
        bundled = sum(len(e.get("members", ())) > 1 for e in self.edges)
        flows = len(self.data.flows)
        drawn = (f"{flows} flows as {len(self.edges)} edges ({bundled} bundles of parallel "
                 f"flows)" if bundled else f"{flows} flows")
        width = "amount in its layer" if self.measure == "auto" else self.measure
        return (f"{len(self.nodes)} nodes, {drawn}; {self.layout} layout; colour by "
                f"{self.colour_by}; width: {width}, linear per unit. Hover for values, "
                f"click a node for its balances, scroll to zoom, drag to pan.")

    def html(self, title: str | None = None) -> str:
        """A complete page holding only the graph, filling the window."""
        from .page import html_page
        title = title or f"{self.data.name} [{self.data.scenario}]"
        sec = self.section(title, height="calc(100vh - 7.5rem)")
        return html_page(title, [sec], layout="full")


def graph_view(obj, *, colour_by: str = "auto", layout: str = "auto", measure_by: str = "auto",
               physics: bool | None = None, edge_labels: str = "auto",
               bundled: bool = True) -> GraphView:
    """The graph of a Network, Result or Case.

    colour_by: 'kind', 'firm' or 'auto' (firm when there are two firms or more);
    layout: 'layered' (flowsheets, left to right by stage and topological order),
    'geographic' (latitude/longitude; far partners at the border with their distance),
    'force', or 'auto' (geographic when most nodes have coordinates, force for parks with
    firms and no production stages, else layered); measure_by: what edge width and node
    size show ('auto': each flow's own balance layer; or mass, energy, cost, tce, co2...);
    physics: let the browser move nodes (default off: positions come from the layouts);
    edge_labels: what edges say at first ('auto': values up to LABEL_LIMIT edges, else
    nothing; or none, carrier, value, both; the page switches it); bundled: parallel flows
    of one carrier between two nodes as one edge."""
    _check(colour_by, layout, edge_labels)
    data = view_data(obj)
    amount, unit = measure(data, measure_by)
    nodes, flows = data.nodes, data.flows
    n = len(nodes)
    kind = nodes["kind"].to_numpy(dtype=object)
    firm = nodes["firm"].to_numpy(dtype=object)
    firm_names = _present(firm)
    if colour_by == "auto":
        colour_by = "firm" if len(firm_names) >= 2 else "kind"
    if layout == "auto":
        layout = _auto_layout(nodes, firm_names)
    recycle = flows["role"].to_numpy(dtype=object) == "recycle"
    units = flow_units(data, measure_by, unit)
    edges = bundle(data, amount, units, recycle, measure_by) if bundled else \
        bundle(data, amount, units, np.arange(len(flows)), measure_by)
    ids = [str(i) for i in nodes.index]
    names = full_names(nodes, ids)
    lonely = unconnected(n, data.tail, data.head)
    far, km, bearing = (geo.far_partners(nodes["lat"], nodes["lon"]) if layout == "geographic"
                        else (np.zeros(n, bool), np.full(n, np.nan), np.full(n, "", object)))
    a = np.abs(np.nan_to_num(amount, nan=0.0))
    through = np.maximum(np.bincount(data.head, weights=a, minlength=n),
                         np.bincount(data.tail, weights=a, minlength=n))
    radius = 9.0 + 13.0 * _lognorm(through)
    shapes = [KIND_SHAPES.get(k, "dot") for k in kind]
    e_rec = recycle[edges.first]
    mode = edge_labels if edge_labels != "auto" else \
        ("value" if 0 < len(edges) <= LABEL_LIMIT else "none")
    labels, x, y, backward, bend, bands = _legible(
        data, layout, firm, firm_names, edges, e_rec, radius, lonely,
        (names, far, km, bearing), gap=90.0 if mode != "none" else 60.0)
    physics = bool(physics) and n <= PHYSICS_LIMIT
    colour, legend_nodes = node_colours(colour_by, kind, firm, firm_names)
    titles = node_titles(data, ids, names, through, unit)
    node_recs = node_records(data, ids, labels, titles, radius, colour, shapes, x, y, physics,
                             lonely, far)
    smooth = edge_smooth(edges.tail, edges.head, backward, bend, x, y, bands)
    edge_recs, scales = edge_records(data, edges, ids, names, recycle, smooth,
                                     dense=len(edges) > CURVE_LIMIT, label_mode=mode)
    pv = _pyvis(ids, node_recs, edge_recs, _options(layout, physics, len(edges)))
    legend = _legend(data, colour_by, legend_nodes, kind, (e_rec, edges.value), scales,
                     measure_by, names, lonely, far)
    carriers = sorted(set(map(str, flows["carrier"].to_numpy(dtype=object))))
    return GraphView(pv, data, layout, colour_by, measure_by, unit, legend, carriers,
                     _firm_filter(firm, firm_names) if len(firm_names) else [],
                     panel_data(data, ids, names), panel_flows(data), mode)


def _legible(data, layout, firm, firm_names, edges, e_rec, radius, lonely, naming, gap):
    """Labels and positions, tighter step by step (labels wrapped narrower, a map or force
    layout less spread) until node labels read at the default zoom. gap: px between
    columns (more when values are written on the edges)."""
    names, far, km, bearing = naming
    steps = [st for k, st in enumerate(TIGHTER)
             if layout != "layered" or k == 0 or st[0] != TIGHTER[k - 1][0]]
    for wrap, spread in steps:
        labels = _labels(names, lonely, far, km, bearing, wrap, lonely.all())
        box = _boxes(labels, radius)
        x, y, backward, bend, bands = _positions(data, layout, firm, firm_names, edges,
                                                 e_rec, box, lonely, gap, spread)
        if len(names) > LEGIBLE_LIMIT or _screen_font(x, y, box) >= LEGIBLE_PX:
            break
    return labels, x, y, backward, bend, bands


def _check(colour_by, layout, edge_labels):
    if colour_by not in COLOUR_MODES:
        raise FlowgraphError(f"colour_by '{colour_by}' is not one of {', '.join(COLOUR_MODES)}")
    if layout not in LAYOUTS:
        raise FlowgraphError(f"layout '{layout}' is not one of {', '.join(LAYOUTS)}")
    if edge_labels not in EDGE_LABELS:
        raise FlowgraphError(f"edge_labels '{edge_labels}' is not one of "
                             f"{', '.join(EDGE_LABELS)}")


def _labels(names, lonely, far, km, bearing, wrap, all_lonely=False) -> list[str]:
    """Short node labels; a far partner's distance and direction, and 'no flows' for an
    unconnected node (unless no node has flows), on a line of their own."""
    out = []
    for j, nm in enumerate(names):
        lb = short_label(nm, wrap)
        if far[j]:
            lb += f"\n{km[j]:,.0f} km {bearing[j]}, off the map"
        if lonely[j] and not all_lonely:
            lb += "\n(no flows)"
        out.append(lb)
    return out


def _boxes(labels, radius):
    """Each node with its label below, as (left, right, top, bottom) offsets in px."""
    w, h = sizes(labels, FONT)
    half = np.maximum(w / 2.0, radius)
    return -half, half, -radius, radius + 4.0 + h


def _screen_font(x, y, box, width: float = 1120.0, height: float = 730.0) -> float:
    """The node label font in screen px once the drawing is fitted to a graph page's canvas
    in a 1400 x 900 window."""
    if not len(x):
        return float(FONT)
    w = np.max(x + box[1]) - np.min(x + box[0])
    h = np.max(y + box[3]) - np.min(y + box[2])
    return FONT * min(width / max(w, 1.0), height / max(h, 1.0), 1.0)


def _positions(data: ViewData, layout: str, firm, firm_names, edges: Edges, recycle, box,
               lonely, gap: float = 70.0, spread: float = 1.0):
    """x, y of every node; per edge whether it runs backward and how much it bends. Nodes
    without flows are set aside in rows under the drawing."""
    nodes = data.nodes
    n, m = len(nodes), len(edges)
    keep = np.flatnonzero(~lonely)
    pos = np.full(n, -1, dtype=np.int64)
    pos[keep] = np.arange(len(keep))
    t, h = pos[edges.tail], pos[edges.head]
    sub = tuple(b[keep] for b in box)
    backward, bend, bands = np.zeros(m, dtype=bool), np.zeros(m), np.zeros(n, dtype=np.int64)
    if not len(keep):
        xs, ys = np.zeros(0), np.zeros(0)
    elif layout == "layered":
        kind = nodes["kind"].to_numpy(dtype=object)[keep]
        f = data.flows
        band = bnd.bands(kind, nodes["system"].to_numpy(dtype=object)[keep], t, h,
                         f["negative"].to_numpy(dtype=bool)[edges.first],
                         f["kind"].to_numpy(dtype=object)[edges.first] == "energy")
        xs, ys, column, bend = bnd.banded(
            len(keep), t, h, back=recycle, kind=kind, band=band, box=sub,
            stage=nodes["stage"].to_numpy(dtype=object)[keep], placeholders=m <= CURVE_LIMIT,
            gap_x=gap)
        ys = ys * _stretch(xs, ys)
        inner = (band[t] == 0) & (band[h] == 0)
        backward = (column[h] <= column[t]) & inner
        bands[keep] = band
    elif layout == "geographic":
        far, _, _ = geo.far_partners(nodes["lat"], nodes["lon"])
        xs, ys = geo.geographic(nodes["lat"].to_numpy()[keep], nodes["lon"].to_numpy()[keep],
                                t, h, sub, far=far[keep], width=1000.0 * spread,
                                outside=nodes["kind"].isin(["source", "sink"]).to_numpy()[keep])
    else:
        groups = firm if len(firm_names) else np.full(n, None, dtype=object)
        if len(keep) <= SPRING_LIMIT:
            xs, ys = geo.force(groups[keep], t, h, sub, spread=1.8 * spread)
        else:
            xs, ys = geo.clustered(groups[keep], t, h)
    x, y = np.zeros(n), np.zeros(n)
    x[keep], y[keep] = xs, ys
    if lonely.any():
        x[lonely], y[lonely] = _aside(x, y, box, keep, lonely, firm)
    return x, y, backward, bend, bands


def _aside(x, y, box, keep, lonely, firm):
    """Positions of the nodes without flows: rows under the drawing, as wide as it (or
    about 1.6 times as wide as high when nothing else is drawn)."""
    left, right, top, bottom = box
    if len(keep):
        below = float(np.max(y[keep] + bottom[keep])) + 70.0
        lft = float(np.min(x[keep] + left[keep]))
        width = max(float(np.max(x[keep] + right[keep])) - lft, 700.0)
    else:
        area = float(np.sum((right - left + 40) * (bottom - top + 40)))
        below, lft, width = 0.0, 0.0, max(np.sqrt(1.6 * area), float(np.max(right - left)))
    idx = np.flatnonzero(lonely)
    order = np.argsort(pd.factorize(pd.Series(firm[idx], dtype=object).fillna(""))[0],
                       kind="stable")
    gx, gy = geo.grid(tuple(b[idx[order]] for b in box), top=below, left=lft, width=width,
                      gap=40.0)
    out_x, out_y = np.zeros(len(idx)), np.zeros(len(idx))
    out_x[order], out_y[order] = gx, gy
    return out_x, out_y


def graph_html(obj, title: str | None = None, **options) -> str:
    """A complete self-contained HTML page with the graph of a Network, Result or Case."""
    return graph_view(obj, **options).html(title)


def graph_section(obj, title: str = "Flow graph", note: str = "", height: str = "auto",
                  **options):
    """The graph as a page section for html_page."""
    return graph_view(obj, **options).section(title, note, height)


# -- helpers ---------------------------------------------------------------------------

@cache
def _css() -> str:
    return (resources.files("flowgraph") / "views" / "graph.css").read_text(encoding="utf-8")


def _pyvis(ids, nodes, edges, options):
    from pyvis.network import Network as PyvisNetwork
    pv = PyvisNetwork(height="100%", width="100%", directed=True, cdn_resources="in_line")
    pv.nodes = nodes
    pv.node_ids = ids
    pv.node_map = dict(zip(ids, nodes))
    pv.edges = edges
    pv.options = options
    return pv


def _present(values) -> list[str]:
    """Distinct non-empty strings in order of first appearance."""
    seen = pd.unique(pd.Series(values, dtype=object).dropna())
    return [v for v in seen if isinstance(v, str) and v]


def _auto_layout(nodes: pd.DataFrame, firm_names) -> str:
    inner = ~nodes["kind"].isin(["source", "sink"])
    geo_ok = nodes["lat"].notna() & nodes["lon"].notna()
    if inner.any() and geo_ok[inner].mean() >= 0.5:
        return "geographic"
    staged = nodes["stage"].map(lambda s: isinstance(s, str) and bool(s)).any()
    if len(firm_names) >= 2 and not staged:
        return "force"
    return "layered"


def _stretch(x, y, aspect: float = 0.45, most: float = 1.6) -> float:
    """Factor for the rows of a long, flat flowsheet: windows are wider than tall, but not
    that much, so a drawing flatter than `aspect` gets more room between its rows."""
    if len(x) < 2 or np.ptp(y) == 0:
        return 1.0
    return float(np.clip(aspect * np.ptp(x) / np.ptp(y), 1.0, most))


def _lognorm(v: np.ndarray) -> np.ndarray:
    """log10 of positive values scaled to [0, 1] over their range; 0 for zero or unknown."""
    v = np.asarray(v, dtype=float)
    pos = np.isfinite(v) & (v > 0)
    out = np.zeros(len(v))
    if not pos.any():
        return out
    lv = np.log10(v[pos])
    lo, hi = lv.min(), lv.max()
    out[pos] = (lv - lo) / (hi - lo) if hi > lo else 1.0
    return out


def _legend(data, colour_by, legend_nodes, kind, edge_facts, scales, measure_by, names,
            lonely, far) -> dict:
    """What the legend and the notes under the graph say. edge_facts: per drawn edge
    whether it is a recycle and its value (NaN: not known)."""
    flows = data.flows
    e_rec, e_value = edge_facts
    ckind = set(flows["kind"].to_numpy(dtype=object))
    lonely_names = [names[j] for j in np.flatnonzero(lonely)]
    notes = []
    if lonely_names and lonely.all():
        notes.append(f"The network has no flows: its {len(lonely_names)} node"
                     f"{'s are' if len(lonely_names) > 1 else ' is'} drawn with a dashed red "
                     f"border.")
    elif lonely_names:
        shown = ", ".join(lonely_names[:6]) + (" …" if len(lonely_names) > 6 else "")
        notes.append(f"{len(lonely_names)} node{'s' if len(lonely_names) > 1 else ''} without "
                     f"flows (dashed red border, set aside below the drawing): {shown}.")
    if far.any():
        notes.append(f"{int(far.sum())} partner{'s' if far.sum() > 1 else ''} far outside the "
                     f"park drawn at the map's border in their direction (dashed border), "
                     f"their distance from the park under their name.")
    return {"nodes": legend_nodes, "colour_by": colour_by,
            "edges": [(k, CARRIER_COLOURS[k]) for k in CARRIER_COLOURS if k in ckind],
            "negative": bool(flows["negative"].to_numpy(dtype=bool).any()),
            "recycle": bool(np.asarray(e_rec).any()), "width": scales,
            "measure": "amount in its balance layer" if measure_by == "auto" else measure_by,
            "shapes": sorted(set(kind), key=_kind_rank), "unconnected": len(lonely_names),
            "far": int(far.sum()), "notes": notes, "all_unconnected": bool(lonely.all()),
            "unknown": int(np.isnan(np.asarray(e_value, dtype=float)).sum())}


def _options(layout, physics, m) -> dict:
    if m > CURVE_LIMIT:
        smooth = {"enabled": False}
    elif layout == "layered":
        smooth = {"enabled": True, "type": "cubicBezier", "forceDirection": "horizontal",
                  "roundness": 0.45}
    else:
        smooth = {"enabled": True, "type": "continuous", "roundness": 0.3}
    opts = {
        "autoResize": True,
        "layout": {"improvedLayout": False},
        "nodes": {"borderWidth": 1.5, "font": {"size": FONT, "face": "arial", "color": "#1d2530",
                                               "background": "rgba(255,255,255,0.85)"}},
        "edges": {"smooth": smooth, "arrows": {"to": {"enabled": True, "scaleFactor": 0.55}},
                  "arrowStrikethrough": False, "selectionWidth": 2, "hoverWidth": 1.5,
                  "font": {"size": 12, "face": "arial", "color": "#3b4654", "strokeWidth": 4,
                           "strokeColor": "#ffffff", "align": "horizontal"},
                  # edge labels appear once zoomed in enough to read them
                  "scaling": {"label": {"drawThreshold": 7}}},
        "interaction": {"hover": True, "tooltipDelay": 100, "multiselect": True,
                        "hideEdgesOnDrag": m > CURVE_LIMIT, "navigationButtons": False,
                        "keyboard": False},
        "physics": {"enabled": bool(physics)},
    }
    if physics:
        opts["physics"].update({
            "solver": "forceAtlas2Based",
            "forceAtlas2Based": {"gravitationalConstant": -110, "springLength": 140,
                                 "springConstant": 0.05, "avoidOverlap": 0.8},
            "stabilization": {"enabled": True, "iterations": 400, "fit": True}})
    return opts


def _firm_filter(firm, firm_names) -> list:
    out = list(firm_names)
    if any(not isinstance(f, str) or not f for f in firm):
        out.append("")
    return out


def _kind_rank(k) -> int:
    return list(KIND_SHAPES).index(k) if k in KIND_SHAPES else 99
