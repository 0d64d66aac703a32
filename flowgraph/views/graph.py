"""The interactive graph of a network or result: pyvis data, drawn by vis-network, offline.

Nodes and edges are pyvis records (a pyvis Network holds them and its options), built as
lists in one pass (pyvis's own add_node/from_nx check membership in a list per call and are
quadratic). They are drawn by flowgraph's page template, which inlines the vis-network
script pyvis ships, so the file opens with no network access.

Encodings: node colour by kind or firm, shape by kind, size by throughput; edge width by
amount (log-scaled), colour by carrier kind, red for negative products (loss, emission,
waste), dashed for recycle; tooltips with quantity and unit, cost, tce and CO2.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import FlowgraphError
from ..numbers import fmt_all
from . import layout as lay
from .extract import ViewData, measure, view_data
from .legend import filter_html, legend_html
from .palette import (
    CARRIER_COLOURS,
    KIND_COLOURS,
    KIND_SHAPES,
    LOSS_COLOUR,
    NEUTRAL,
    group_colours,
)

#: above this many nodes the browser runs no physics: positions come from layout.py
PHYSICS_LIMIT = 300
#: above this many flows edges are drawn straight (curves cost drawing time)
CURVE_LIMIT = 2000
#: above this many flows edges carry no text label
LABEL_LIMIT = 40
#: node labels wrap at this many characters
LABEL_WRAP = 22
LAYOUTS = ("auto", "layered", "geographic", "force")
COLOUR_MODES = ("auto", "kind", "firm")


@dataclass
class GraphView:
    """A drawn graph: the pyvis network holding nodes, edges and options, plus what the
    page needs around it (legend, filters)."""

    pyvis: object
    data: ViewData
    layout: str
    colour_by: str
    measure: str
    unit: str
    legend: dict = field(default_factory=dict)
    carriers: list = field(default_factory=list)
    firms: list = field(default_factory=list)

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
                "layout": self.layout, "colour_by": self.colour_by}

    def fragment(self, height: str = "auto") -> str:
        """The graph as an HTML fragment (tools, canvas, legend, data); needs the vis script
        that html_page inlines for sections with needs_vis. height: a CSS length, or 'auto'
        (from the drawing's aspect ratio, so a long flowsheet gets no empty band)."""
        if height == "auto":
            height = self.auto_height()
        data = json.dumps(self.spec(), ensure_ascii=False, separators=(",", ":"),
                          allow_nan=False).replace("</", "<\\/")
        firms = ""
        if self.firms:
            firms = filter_html("firm", "Firms", [(f or "", f or "(no firm)") for f in self.firms])
        carriers = filter_html("carrier", "Carriers", [(c, c) for c in self.carriers])
        note = f'<p class="fg-graph-note">{html.escape(self.data.note)}</p>' if self.data.note else ""
        return (
            f'<div class="fg-graph" style="--fg-graph-height:{html.escape(height)}">'
            f'<div class="fg-graph-tools">'
            f'<input type="search" class="fg-search" placeholder="Find a node" '
            f'aria-label="Find a node by name">'
            f'<span class="fg-search-result" aria-live="polite"></span>'
            f'{carriers}{firms}'
            f'<button type="button" class="fg-fit">Fit</button>'
            f'<span class="fg-count"></span></div>'
            f'<div class="fg-graph-body"><div class="fg-graph-canvas"></div>'
            f'{legend_html(self.legend)}</div>{note}'
            f'<script type="application/json" class="fg-graph-data">{data}</script></div>')

    def auto_height(self, canvas_width: float = 920.0, low: int = 400, high: int = 680) -> str:
        """A canvas height fitting the drawing at the report's width, within [low, high] px."""
        if not self.nodes:
            return f"{low}px"
        xs = np.array([nd["x"] for nd in self.nodes])
        ys = np.array([nd["y"] for nd in self.nodes])
        w, h = np.ptp(xs) + 160.0, np.ptp(ys) + 160.0
        return f"{int(np.clip(canvas_width * h / w + 40, low, high))}px"

    def section(self, title: str = "Flow graph", note: str = "", height: str = "auto"):
        from .page import Section
        return Section(title, self.fragment(height), note or self.describe(), needs_vis=True)

    def describe(self) -> str:
        return (f"{len(self.nodes)} nodes, {len(self.edges)} flows; {self.layout} layout; node "
                f"colour by {self.colour_by}; edge width by {self.measure} ({self.unit}, "
                f"log scale). Hover for values, scroll to zoom, drag to pan.")

    def html(self, title: str | None = None) -> str:
        """A complete page holding only the graph, filling the window."""
        from .page import html_page
        title = title or f"{self.data.name} [{self.data.scenario}]"
        sec = self.section(title, height="calc(100vh - 7.5rem)")
        return html_page(title, [sec], layout="full")


def graph_view(obj, *, colour_by: str = "auto", layout: str = "auto", measure_by: str = "auto",
               physics: bool | None = None) -> GraphView:
    """The graph of a Network, Result or Case.

    colour_by: 'kind', 'firm' or 'auto' (firm when there are two firms or more);
    layout: 'layered' (flowsheets, left to right by stage and topological order),
    'geographic' (latitude/longitude), 'force', or 'auto' (geographic when most nodes have
    coordinates, force for parks with firms, else layered); measure_by: what edge width and
    node size show ('auto': each flow's own balance layer; or mass, energy, cost, tce, co2...);
    physics: let the browser move nodes (default: only force layouts up to PHYSICS_LIMIT)."""
    if colour_by not in COLOUR_MODES:
        raise FlowgraphError(f"colour_by '{colour_by}' is not one of {', '.join(COLOUR_MODES)}")
    if layout not in LAYOUTS:
        raise FlowgraphError(f"layout '{layout}' is not one of {', '.join(LAYOUTS)}")
    data = view_data(obj)
    amount, unit = measure(data, measure_by)
    nodes, flows = data.nodes, data.flows
    n, m = len(nodes), len(flows)
    tail, head = data.tail, data.head
    kind = nodes["kind"].to_numpy(dtype=object)
    firm = nodes["firm"].to_numpy(dtype=object)
    firm_names = _present(firm)
    if colour_by == "auto":
        colour_by = "firm" if len(firm_names) >= 2 else "kind"
    if layout == "auto":
        layout = _auto_layout(nodes, firm_names)

    # node size by throughput: the larger of what enters and what leaves, in the measure
    a = np.nan_to_num(amount, nan=0.0)
    through = np.maximum(np.bincount(head, weights=np.abs(a), minlength=n),
                         np.bincount(tail, weights=np.abs(a), minlength=n))
    recycle = flows["role"].to_numpy(dtype=object) == "recycle"
    if physics is None:
        physics = layout == "force" and n <= PHYSICS_LIMIT
    x, y, backward, bend = _positions(data, layout, firm, firm_names, recycle)
    node_colour, legend_nodes = _node_colours(colour_by, kind, firm, firm_names)
    ids = [str(i) for i in nodes.index]
    labels = [_node_label(lbl, i) for lbl, i in zip(nodes["label"].to_numpy(), ids)]
    node_records = _node_records(data, ids, labels, through, unit, node_colour, x, y, physics)
    edge_records = _edge_records(data, ids, labels, amount, recycle,
                                 _edge_smooth(tail, head, backward, bend, x, y))
    show_labels = m <= LABEL_LIMIT
    pv = _pyvis(ids, node_records, edge_records,
                _options(layout, physics, m, show_labels, n))
    ckind = flows["kind"].to_numpy(dtype=object)
    negative = flows["negative"].to_numpy(dtype=bool)
    legend = {"nodes": legend_nodes, "colour_by": colour_by,
              "edges": [(k, CARRIER_COLOURS[k]) for k in CARRIER_COLOURS if k in set(ckind)],
              "negative": bool(negative.any()), "recycle": bool(recycle.any()),
              "width": _width_scale(amount, unit, measure_by),
              "shapes": sorted(set(kind), key=_kind_rank)}
    carriers = flows["carrier"].to_numpy(dtype=object)
    return GraphView(pv, data, layout, colour_by, measure_by, unit, legend,
                     sorted(set(map(str, carriers))),
                     _firm_filter(firm, firm_names) if len(firm_names) else [])


def _positions(data: ViewData, layout: str, firm, firm_names, recycle):
    """x, y of every node; per flow whether it runs backward and how much it bends."""
    nodes, tail, head = data.nodes, data.tail, data.head
    n, m = len(nodes), len(data.flows)
    if layout == "layered":
        x, y, column, bend = lay.layered(n, tail, head, back=recycle,
                                         kind=nodes["kind"].to_numpy(dtype=object),
                                         stage=nodes["stage"].to_numpy(dtype=object),
                                         placeholders=m <= CURVE_LIMIT)
        return x, y * _stretch(x, y), column[head] <= column[tail], bend
    if layout == "geographic":
        x, y = lay.geographic(nodes["lat"].to_numpy(), nodes["lon"].to_numpy(), tail, head)
    else:
        groups = firm if len(firm_names) else np.full(n, None, dtype=object)
        x, y = lay.clustered(groups, tail, head)
    return x, y, np.zeros(m, dtype=bool), np.zeros(m)


def _node_colours(colour_by, kind, firm, firm_names):
    """Colour of every node and the legend entries (name, colour)."""
    if colour_by == "firm":
        fc = group_colours(firm_names)
        colours = [fc.get(f, NEUTRAL) if isinstance(f, str) else NEUTRAL for f in firm]
        legend = [(f, fc[f]) for f in firm_names]
        if any(not isinstance(f, str) or not f for f in firm):
            legend.append(("no firm (boundary)", NEUTRAL))
        return colours, legend
    colours = [KIND_COLOURS.get(k, NEUTRAL) for k in kind]
    return colours, [(k, KIND_COLOURS[k]) for k in KIND_COLOURS if k in set(kind)]


def _node_records(data, ids, labels, through, unit, node_colour, x, y, physics) -> list[dict]:
    """pyvis node records: label, tooltip, shape by kind, colour, size by throughput."""
    kind = data.nodes["kind"].to_numpy(dtype=object)
    firm = data.nodes["firm"].to_numpy(dtype=object)
    size = 10.0 + 22.0 * _lognorm(through)
    titles = _node_titles(data, ids, labels, through, unit)
    border = {c: _darker(c) for c in set(node_colour)}
    return [
        {"id": i, "label": _wrap(lb), "title": tt, "shape": KIND_SHAPES.get(k, "dot"),
         "color": {"background": col, "border": border[col],
                   "highlight": {"background": col, "border": "#111111"},
                   "hover": {"background": col, "border": "#111111"}},
         "size": round(float(sz), 2), "x": round(float(px), 1), "y": round(float(py), 1),
         "kind": k, "firm": f if isinstance(f, str) else "", "physics": bool(physics)}
        for i, lb, tt, k, col, sz, px, py, f in zip(ids, labels, titles, kind, node_colour,
                                                    size, x, y, firm)]


def _edge_records(data, ids, labels, amount, recycle, smooth) -> list[dict]:
    """pyvis edge records: width by amount (log), colour by carrier kind, red for negative
    products, dashed for recycle, a text label on small graphs."""
    flows, tail, head = data.flows, data.tail, data.head
    m = len(flows)
    dense = m > CURVE_LIMIT           # thinner, translucent edges so the nodes stay visible
    width = (0.5 + 4.5 * _lognorm(np.abs(amount))) if dense else \
        (1.0 + 11.0 * _lognorm(np.abs(amount)))
    ckind = flows["kind"].to_numpy(dtype=object)
    edge_colour = np.where(flows["negative"].to_numpy(dtype=bool), LOSS_COLOUR,
                           [CARRIER_COLOURS.get(k, NEUTRAL) for k in ckind]).tolist()
    flow_ids = [str(i) for i in flows.index]
    etitles = _edge_titles(data, flow_ids, labels, tail, head)
    show_labels = m <= LABEL_LIMIT
    carriers = flows["carrier"].to_numpy(dtype=object)
    out = []
    for j in range(m):
        rec = {"id": flow_ids[j], "from": ids[tail[j]], "to": ids[head[j]],
               "title": etitles[j],
               "color": {"color": edge_colour[j], "highlight": "#111111", "hover": "#111111",
                         "opacity": 0.45 if dense else 1.0},
               "width": round(float(width[j]), 2), "dashes": bool(recycle[j]),
               "carrier": str(carriers[j]), "arrows": "to"}
        if smooth[j] is not None:
            rec["smooth"] = smooth[j]
        if show_labels:
            rec["label"] = str(carriers[j])
        out.append(rec)
    return out


def graph_html(obj, title: str | None = None, **options) -> str:
    """A complete self-contained HTML page with the graph of a Network, Result or Case."""
    return graph_view(obj, **options).html(title)


def graph_section(obj, title: str = "Flow graph", note: str = "", height: str = "auto",
                  **options):
    """The graph as a page section for html_page."""
    return graph_view(obj, **options).section(title, note, height)


# -- helpers ---------------------------------------------------------------------------

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
    geo = nodes["lat"].notna() & nodes["lon"].notna()
    if inner.any() and geo[inner].mean() >= 0.5:
        return "geographic"
    if len(firm_names) >= 2:
        return "force"
    return "layered"


def _stretch(x, y, aspect: float = 0.45, most: float = 2.5) -> float:
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


def _width_scale(amount, unit, measure_by) -> dict:
    a = np.asarray(amount, dtype=float)
    pos = a[np.isfinite(a) & (a > 0)]
    if not len(pos):
        return {}
    name = "amount in its balance layer" if measure_by == "auto" else measure_by
    return {"min": float(pos.min()), "max": float(pos.max()), "unit": unit, "measure": name}


def _node_label(label, nid) -> str:
    return label if isinstance(label, str) and label else nid


def _wrap(text: str, width: int = LABEL_WRAP) -> str:
    """Long node labels on several lines (vis-network breaks at newlines)."""
    import textwrap
    return "\n".join(textwrap.wrap(text, width, break_long_words=False)) or text


def _node_titles(data: ViewData, ids, labels, through, unit) -> list[str]:
    nodes = data.nodes
    heads = [lb if lb == nid else f"{lb} ({nid})" for nid, lb in zip(ids, labels)]
    facts = [[str(k)] for k in nodes["kind"].to_numpy()]
    for key in ("firm", "sector", "stage", "system"):
        for j, val in enumerate(nodes[key].to_numpy(dtype=object)):
            if isinstance(val, str) and val:
                facts[j].append(f"{key} {val}")
    lines = [[h, " · ".join(f)] for h, f in zip(heads, facts)]
    if data.result is None:
        for j, t in enumerate(fmt_all(through)):
            lines[j].append(f"throughput (given flows): {t} {unit}")
        return ["\n".join(x) for x in lines]
    res = data.result.nodes
    for layer, u in (("mass", "t"), ("energy", "GJ")):
        if f"{layer}_in" not in res:
            continue
        a_in, a_out = res[f"{layer}_in"].to_numpy(), res[f"{layer}_out"].to_numpy()
        for j, (i, o) in enumerate(zip(fmt_all(a_in), fmt_all(a_out))):
            if a_in[j] or a_out[j]:
                lines[j].append(f"{layer}: in {i} {u}, out {o} {u}")
    loss = res["loss_cost"].to_numpy()
    cols = [fmt_all(res[c].to_numpy()) for c in ("cost_in", "cost_out", "loss_cost", "tce_out",
                                                  "co2_out")]
    for j, (ci, co, lc, tce, co2) in enumerate(zip(*cols)):
        lines[j].append(f"cost: in {ci} CNY, out {co} CNY")
        if loss[j]:
            lines[j].append(f"cost of negative products: {lc} CNY")
        lines[j].append(f"tce out: {tce} tce; CO2 out: {co2} t")
    return ["\n".join(x) for x in lines]


def _edge_titles(data: ViewData, flow_ids, labels, tail, head) -> list[str]:
    f = data.flows
    name = [lb if isinstance(lb, str) and lb else fid
            for fid, lb in zip(flow_ids, f["label"].to_numpy(dtype=object))]
    q, cost, tce, co2 = (fmt_all(f[c].to_numpy()) for c in ("quantity", "cost", "tce", "co2"))
    return [f"{nm}\n{car} ({kind}, {role})\n{labels[t]} → {labels[h]}\nquantity: {qq} {u}\n"
            f"cost: {cc} CNY\ntce: {tt} tce\nCO2: {ee} t"
            for nm, car, kind, role, t, h, qq, u, cc, tt, ee in zip(
                name, f["carrier"].to_numpy(), f["kind"].to_numpy(), f["role"].to_numpy(),
                tail, head, q, f["unit"].to_numpy(), cost, tce, co2)]


def _edge_smooth(tail, head, backward, bend, x, y) -> list:
    """Per-edge curve: parallel flows and flows running back get their own arc; a flow
    crossing columns bows towards the free rows the layout kept for it (vis-network's
    curvedCW bows to the left of the direction of travel, curvedCCW to the right)."""
    m = len(tail)
    out: list = [None] * m
    if m == 0:
        return out
    pair = pd.DataFrame({"t": tail, "h": head})
    k = pair.groupby(["t", "h"]).cumcount().to_numpy()
    fwd = set(zip(tail.tolist(), head.tolist()))
    reverse = np.array([(h, t) in fwd for t, h in zip(tail.tolist(), head.tolist())])
    dx = x[head] - x[tail]
    length = np.hypot(dx, y[head] - y[tail])
    for j in np.flatnonzero((k > 0) | reverse | backward | (np.abs(bend) > 20)):
        if backward[j]:
            kind, rnd = "curvedCW", 0.45 + 0.1 * k[j]
        elif k[j] > 0 or reverse[j]:
            # parallel flows: a few pixels apart whatever their length
            kind = "curvedCW"
            rnd = min(0.3, (18.0 + 22.0 * k[j]) / (0.46 * max(length[j], 1.0)))
        else:
            kind = "curvedCW" if dx[j] * bend[j] < 0 else "curvedCCW"
            rnd = np.clip(abs(bend[j]) / (0.46 * max(length[j], 1.0)), 0.08, 0.3)
        out[j] = {"enabled": True, "type": kind, "roundness": round(float(rnd), 2)}
    return out


def _options(layout, physics, m, labels, n) -> dict:
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
        "nodes": {"borderWidth": 1.5, "font": {"size": 16, "color": "#1d2530",
                                               "background": "rgba(255,255,255,0.8)"}},
        "edges": {"smooth": smooth, "arrows": {"to": {"enabled": True, "scaleFactor": 0.55}},
                  "arrowStrikethrough": False, "selectionWidth": 2, "hoverWidth": 1.5,
                  "font": {"size": 13, "color": "#5b6675", "strokeWidth": 4,
                           "strokeColor": "#ffffff", "align": "top"},
                  # carrier names appear once zoomed in enough to read them
                  "scaling": {"label": {"drawThreshold": 9}}},
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


def _darker(colour: str, f: float = 0.75) -> str:
    c = colour.lstrip("#")
    r, g, b = (int(int(c[i:i + 2], 16) * f) for i in (0, 2, 4))
    return f"#{r:02x}{g:02x}{b:02x}"
