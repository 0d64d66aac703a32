"""The flow graph over periods: one drawing, laid out once from the union of every period's
nodes and flows so that nothing moves when the period changes, and a slider whose page
script (timeline_graph.js) swaps each edge's width, value and tooltip, each node's tooltip
and the click panel's numbers for the period's. Widths keep one scale per unit across all
periods (a thicker edge means more in any period); a flow a period does not have (a
structure edit from a later period) is not drawn in it, a node it does not have is faded.
The graph's own menus (flow labels, filters, search) stay as they are: the graph is the
same, only its numbers change."""

from __future__ import annotations

import html
import json
from functools import cache
from importlib import resources

import numpy as np
import pandas as pd

from ..model.network import Network
from ..solvers.compiled import compile_network
from .extract import ViewData, _nodes, measure, view_data
from .graph import CURVE_LIMIT, graph_view
from .graph_edges import Edges, _sums, edge_titles, flow_units, panel_flows, value_texts, widths
from .graph_nodes import full_names, node_titles, panel_data
from .page import Section

#: the fading of a node a period does not have
ABSENT_OPACITY, ABSENT_INK = 0.25, "#9aa3ad"
PERIOD_CSS = """.fg-period-graph .fg-period-bar { flex-wrap: wrap; }
.fg-graph-period-label { font-weight: 600; min-width: 6em; font-size: 1.05rem; }
"""


def period_graph_section(periods, results, measure_by: str = "auto",
                         title: str = "Flow graph by period") -> Section:
    """The graph of every period's Result behind one slider (see the module's doc)."""
    datas = [view_data(r) for r in results]
    base, note = union_data(datas, results)
    view = graph_view(base, measure_by=measure_by)
    frames = period_frames(view, datas, measure_by)
    _first_period(view, frames, periods[0])
    labels = [str(p) for p in periods]
    data = {"periods": labels, **frames}
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":"),
                         allow_nan=False).replace("</", "<\\/")
    e = html.escape
    bar = (f'<div class="fg-period-bar"><label>Period <input type="range" '
           f'class="fg-graph-period" min="0" max="{len(labels) - 1}" value="0" step="1" '
           f'aria-label="period of the graph"></label>'
           f'<span class="fg-graph-period-label" aria-live="polite">{e(labels[0])}</span>'
           f'<span>{e(labels[0])} … {e(labels[-1])}</span></div>')
    body = (f'<div class="fg-period-graph">{bar}{view.fragment()}'
            f'<script type="application/json" class="fg-period-graph-data">{payload}'
            f'</script></div>')
    text = ("Drag the slider to step through the periods: the nodes stay in place, the "
            "flows' widths, values and tooltips and the click panel are the period's; widths "
            "keep one scale per unit over all periods; a flow a period does not have is not "
            "drawn, a node it does not have is faded. " + note + view.describe())
    return Section(title, body, text, needs_vis=True,
                   scripts=(("flowgraph-period-graph.js", _script()),),
                   styles=(("flowgraph-period-graph.css", PERIOD_CSS),))


def union_data(datas, results) -> tuple[ViewData, str]:
    """The ViewData to lay out (datas: each period's, of its Result in results): a period's
    own when it holds every node and flow of the others (structure edits that only add),
    else the union of the periods' networks, and a note saying so."""
    flows = set().union(*(d.flows.index for d in datas))
    nodes = set().union(*(d.nodes.index for d in datas))
    for d in sorted(datas, key=lambda d: -len(d.flows)):
        if flows <= set(d.flows.index) and nodes <= set(d.nodes.index):
            return d, ""
    net = _union([max(results, key=lambda r: len(r.flows)).network] +
                 [r.network for r in results])
    c = compile_network(net)
    frame = pd.concat([d.flows for d in datas])
    frame = frame[~frame.index.duplicated(keep="last")].reindex(c.flow_ids)
    return (ViewData(net.name, datas[-1].scenario, frame, _nodes(net, c), c, None,
                     given=net.node_frame()),
            "The drawing holds every period's nodes and flows (structure edits add and "
            "remove some). ")


def _union(nets) -> Network:
    """One network of every node, flow and carrier of `nets` (the first's where they
    share an id), through the public tables."""
    carriers = {}
    for net in nets:
        for name, carrier in net.carriers.items():
            carriers.setdefault(name, carrier.to_record())
    tables = []
    for frames in ([n.node_frame() for n in nets], [n.flow_frame() for n in nets]):
        frame = pd.concat(frames)
        frame = frame[~frame.index.duplicated(keep="first")]
        origin = frame.pop("_origin").tolist() if "_origin" in frame.columns else None
        tables.append((frame.reset_index(), origin))
    (nodes, at_nodes), (flows, at_flows) = tables
    return Network.from_frames(nodes, flows, list(carriers.values()), name=nets[0].name,
                               period=nets[0].period, origin_nodes=at_nodes,
                               origin_flows=at_flows, **nets[0].meta)


def period_frames(view, datas, measure_by: str) -> dict:
    """Per period: each edge's [width, value text, tooltip] (None when the period has none
    of its flows), each node's tooltip (absent: not in the period), the panel's nodes and
    flows. Widths on one scale per unit over all periods."""
    union = view.data
    node_ids = [str(i) for i in union.nodes.index]
    names = full_names(union.nodes, node_ids)
    members = [e.get("members") or [e["id"]] for e in view.edges]
    drawn = [_period_edges(view.edges, members, union, names, d, measure_by) for d in datas]
    amounts = np.concatenate([d[0].amount for d in drawn]) if drawn else np.zeros(0)
    units = np.concatenate([d[0].unit for d in drawn]) if drawn else np.zeros(0, object)
    width, scales = widths(amounts, units, dense=len(view.edges) > CURVE_LIMIT)
    view.legend["width"] = scales
    edges, at = [], 0
    for sub, present, texts, titles in drawn:
        w = width[at:at + len(sub)]
        at += len(sub)
        row: list = [None] * len(view.edges)
        for k, j in enumerate(present):
            row[j] = [round(float(w[k]), 2), texts[k], titles[k]]
        edges.append(row)
    nodes, panels, flows = [], [], []
    pos = {nid: j for j, nid in enumerate(node_ids)}
    for d in datas:
        t, p, f = _period_nodes(d, measure_by, pos)
        nodes.append(t)
        panels.append(p)
        flows.append(f)
    return {"edges": edges, "nodes": nodes, "panel": panels, "flows": flows}


def _period_edges(edge_recs, members, union, names, data, measure_by):
    """The union's edges with one period's flows: (Edges of the edges the period has,
    their positions among the union's edges, value texts, tooltips)."""
    amount, unit = measure(data, measure_by)
    units = flow_units(data, measure_by, unit)
    if measure_by == "auto":
        value = data.flows["quantity"].to_numpy(dtype=float)
        value_unit = data.flows["unit"].to_numpy(dtype=object)
    else:
        value, value_unit = np.asarray(amount, dtype=float), np.asarray(units, dtype=object)
    index = pd.Index(data.flows.index.astype(str))
    node_pos = {str(n): j for j, n in enumerate(union.nodes.index)}
    present, groups, ends = [], [], []
    for j, (rec, ids) in enumerate(zip(edge_recs, members)):
        got = index.get_indexer(ids)
        got = got[got >= 0]
        if len(got):
            present.append(j)
            groups.append(got)
            ends.append((node_pos[rec["from"]], node_pos[rec["to"]]))
    first = np.array([g[0] for g in groups], dtype=np.int64)
    tail = np.array([a for a, _ in ends], dtype=np.int64)
    head = np.array([b for _, b in ends], dtype=np.int64)
    sub = Edges(first, groups, tail, head, _sums(amount, groups),
                np.asarray(units, dtype=object)[first], _sums(value, groups),
                np.asarray(value_unit, dtype=object)[first])
    return sub, present, value_texts(sub), edge_titles(data, sub, names)


def _period_nodes(data, measure_by, pos) -> tuple[dict, dict, list]:
    """One period's node tooltips and panel entries by node id, and the panel's flows with
    their ends as positions among the union's nodes."""
    amount, unit = measure(data, measure_by)
    ids = [str(i) for i in data.nodes.index]
    names = full_names(data.nodes, ids)
    n = len(ids)
    a = np.abs(np.nan_to_num(amount, nan=0.0))
    through = np.maximum(np.bincount(data.head, weights=a, minlength=n),
                         np.bincount(data.tail, weights=a, minlength=n))
    titles = dict(zip(ids, node_titles(data, ids, names, through, unit)))
    panel = panel_data(data, ids, names)
    flows = [[f[0], f[1], pos[ids[f[2]]], pos[ids[f[3]]], *f[4:]] for f in panel_flows(data)]
    return titles, panel, flows


def _first_period(view, frames, period) -> None:
    """The drawing as the page opens: the first period's numbers, its absent flows marked
    (graph.js leaves them out), its absent nodes faded."""
    for rec, got in zip(view.edges, frames["edges"][0]):
        if got is None:
            rec["absent"] = True
            rec.pop("label", None)
        else:
            rec["width"], rec["amount"], rec["title"] = got
            if "label" in rec:
                rec["label"] = got[1]
    titles = frames["nodes"][0]
    for rec in view.nodes:
        if rec["id"] in titles:
            rec["title"] = titles[rec["id"]]
        else:
            rec["opacity"] = ABSENT_OPACITY
            rec["font"] = {"color": ABSENT_INK}
            rec["title"] = f"{rec['label']}: not in {period}".replace("\n", " ")
    view.panel = frames["panel"][0]
    view.flows = frames["flows"][0]


@cache
def _script() -> str:
    return (resources.files("flowgraph") / "views" / "timeline_graph.js").read_text(
        encoding="utf-8")
