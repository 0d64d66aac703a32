"""What changes from one result to another: a difference Sankey and a difference graph.

Flows are matched by id (a flow only one side has counts from 0 on the other). Each flow's
change in one measure (mass, energy, cost, tce, CO2, ...) is drawn with its size as the
width: blue where the flow grows, red where it shrinks; unchanged flows are left out of the
Sankey and drawn thin and grey in the graph. Both are plotly figures (`difference_sankey`,
`difference_graph`), so they show in notebooks and on pages alike; `network_figure` draws
one result's graph the same way. These are the simple versions the report needs; the full
Sankey and graph views (views/sankey*.py, views/graph.py) may offer their own.
"""

from __future__ import annotations

import html

import networkx as nx
import numpy as np
import pandas as pd

from ..numbers import fmt
from .extract import measure, view_data

#: colours of a growing and a shrinking flow (colour-blind safe pair), and of no change
MORE, LESS, SAME = "#1f6fb4", "#c8442a", "#b8c0cc"
#: a change below this share of the largest flow is no change (solver rounding)
TOLERANCE = 1e-9
#: at most this many changed flows get an arrow and a label in the graph
ARROWS = 300
#: the difference Sankey and graph draw at most this many changed flows, the largest ones,
#: as many as carry SHARE of the whole change; the note counts the rest
LINKS, SHARE = 24, 0.97
#: a loop of flows both ways between two nodes carrying more than this share of the whole
#: change is left out of the difference views (named in the note)
LOOP_SHARE = 0.5
#: node names longer than this are shortened in the difference Sankey (full on hover)
NAME_CHARS = 30


def difference_data(base, other, measure_by: str = "mass") -> tuple[pd.DataFrame, str]:
    """Per flow (union of both sides' flows): source, target, carrier, base, other, change,
    and the measure's unit."""
    a, b = view_data(base), view_data(other)
    va, unit = measure(a, measure_by)
    vb, _ = measure(b, measure_by)
    sa = pd.Series(np.nan_to_num(va), index=a.flows.index.astype(str))
    sb = pd.Series(np.nan_to_num(vb), index=b.flows.index.astype(str))
    info = pd.concat([b.flows[["source", "target", "carrier", "kind"]].set_axis(sb.index),
                      a.flows[["source", "target", "carrier", "kind"]].set_axis(sa.index)])
    info = info[~info.index.duplicated()]
    frame = info.assign(base=sa.reindex(info.index).fillna(0.0),
                        other=sb.reindex(info.index).fillna(0.0))
    frame["change"] = frame["other"] - frame["base"]
    scale = max(frame["base"].abs().max(), frame["other"].abs().max(), 0.0)
    frame.loc[frame["change"].abs() <= TOLERANCE * scale, "change"] = 0.0
    frame[["source", "target"]] = frame[["source", "target"]].astype(str)
    return frame, unit


def _labels(base, other) -> dict:
    """Node id -> label over both sides."""
    out = {}
    for data in (view_data(base), view_data(other)):
        for nid, lb in zip(data.nodes.index, data.nodes["label"]):
            out.setdefault(str(nid), lb if isinstance(lb, str) and lb else str(nid))
    return out


def _hover(r, unit: str) -> str:
    pct = "" if r.base == 0 else f" ({100 * r.change / abs(r.base):+.1f} %)"
    return (f"{html.escape(str(r.Index))} ({html.escape(str(r.carrier))})<br>"
            f"{fmt(r.base, 4)} → {fmt(r.other, 4)} {unit}<br>change {fmt(r.change, 4)}{pct}")


def dominant_loops(frame: pd.DataFrame, most: float = LOOP_SHARE) -> pd.DataFrame:
    """Changed flows running both ways between two nodes (a circulation: cooling water,
    slurry) whose changes together carry more than `most` of the whole change: drawn, they
    would leave the rest a hairline; they are left out of the views and named in the note."""
    moved = frame[frame["change"] != 0]
    pairs = set(zip(moved["source"], moved["target"]))
    both = [(s, t) in pairs and (t, s) in pairs and s != t
            for s, t in zip(moved["source"], moved["target"])]
    loops = moved[both]
    whole = moved["change"].abs().sum()
    if not len(loops) or loops["change"].abs().sum() <= most * whole:
        return moved.iloc[:0]
    return loops


def largest_changes(frame: pd.DataFrame, limit: int = LINKS,
                    share: float = SHARE) -> pd.DataFrame:
    """The changed flows drawn: the largest |change| first, as many as carry `share` of the
    whole change, at most `limit` (the rest are counted in the note); a dominant loop
    (dominant_loops) is left out."""
    moved = frame[frame["change"] != 0]
    moved = moved.drop(dominant_loops(frame).index)
    moved = moved.reindex(moved["change"].abs().sort_values(ascending=False).index)
    size = moved["change"].abs().to_numpy()
    if not len(size):
        return moved
    enough = int(np.searchsorted(np.cumsum(size), share * size.sum()) + 1)
    return moved.iloc[:max(1, min(limit, enough, len(moved)))]


def difference_sankey(base, other, measure_by: str = "mass", title: str | None = None):
    """A plotly Sankey of the largest changes (largest_changes): link width |change|, blue
    more, red less; node names shortened (full names on hover)."""
    import plotly.graph_objects as go
    frame, unit = difference_data(base, other, measure_by)
    moved = largest_changes(frame)
    labels = _labels(base, other)
    ids = list(dict.fromkeys([*moved["source"], *moved["target"]]))
    index = {k: i for i, k in enumerate(ids)}
    fig = go.Figure(go.Sankey(
        arrangement="snap", valueformat=",.4~r", valuesuffix=f" {unit}",
        node=dict(label=[_short(labels.get(i, i)) for i in ids], pad=22, thickness=14,
                  color="#5b6675", line=dict(width=0),
                  customdata=[html.escape(labels.get(i, i)) for i in ids],
                  hovertemplate="%{customdata}<extra></extra>"),
        link=dict(source=[index[s] for s in moved["source"]],
                  target=[index[t] for t in moved["target"]],
                  value=moved["change"].abs().tolist(),
                  color=[_alpha(MORE if c > 0 else LESS, 0.55) for c in moved["change"]],
                  customdata=[_hover(r, unit) for r in moved.itertuples()],
                  hovertemplate="%{customdata}<extra></extra>")))
    fig.update_layout(title=dict(text=title) if title else None,
                      height=int(min(900, max(360, 120 + 34 * len(ids)))),
                      margin=dict(l=10, r=190, t=40 if title else 10, b=90),  # loops
                      font=dict(size=12))
    return fig


def layered_positions(g: nx.MultiDiGraph, first=(), last=()) -> dict:
    """x: the longest-path layer of each node once the loops are cut (the edges a depth-first
    search from `first` finds going back), `last` (sinks) in a layer of their own at the
    end; y: spread within the layer, every other node nudged sideways so that labels of one
    layer do not sit on one line."""
    simple = nx.DiGraph(g)
    simple.remove_edges_from(_back_edges(simple, [n for n in first if n in simple]))
    layer: dict = {}
    for n in nx.topological_sort(simple):
        layer[n] = 1 + max((layer[p] for p in simple.predecessors(n)), default=-1)
    end = 1 + max((layer[n] for n in layer if n not in last), default=0)
    for n in last:
        if n in layer:
            layer[n] = end
    by_layer: dict = {}
    for n in g.nodes:
        by_layer.setdefault(layer[n], []).append(n)
    pos = {}
    for x, members in by_layer.items():
        k = len(members)
        for j, n in enumerate(members):
            nudge = 0.16 * (j % 2 - 0.5) if k > 6 else 0.0
            lift = 0.12 * (x % 2 - 0.5) if k <= 2 else 0.0     # a chain zigzags
            pos[n] = (float(x) + nudge, (j - (k - 1) / 2) / max(k, 1) + lift)
    return pos


def _back_edges(g: nx.DiGraph, first) -> list:
    """Edges that close a cycle in a depth-first search from `first`, then from the rest."""
    state, back = {}, []
    for root in [*first, *g.nodes]:
        if root in state:
            continue
        state[root] = 1
        stack = [(root, iter(g.successors(root)))]
        while stack:
            node, succ = stack[-1]
            nxt = next(succ, None)
            if nxt is None:
                state[node] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                back.append((node, nxt))
            elif nxt not in state:
                state[nxt] = 1
                stack.append((nxt, iter(g.successors(nxt))))
    return back


def difference_graph(base, other, measure_by: str = "mass", title: str | None = None):
    """A plotly flow graph of the largest changes (largest_changes) between the nodes they
    join, laid out left to right: edges blue (more) or red (less), width by |change|;
    unchanged flows and the nodes only they touch are left out."""
    frame, unit = difference_data(base, other, measure_by)
    moved = largest_changes(frame)
    touched = set(moved["source"]) | set(moved["target"])
    labels = {k: v for k, v in _labels(base, other).items() if k in touched}
    return _graph_figure(moved, labels, unit, title,
                         lambda c: MORE if c > 0 else LESS if c < 0 else SAME,
                         _kinds(base, other))


def _short(label: str, chars: int = NAME_CHARS) -> str:
    """A name cut to `chars` characters at a word (with an ellipsis), escaped for plotly."""
    text = str(label)
    if len(text) > chars:
        cut = text[:chars].rsplit(" ", 1)[0].rstrip(" ,(-")
        text = (cut or text[:chars]) + "…"
    return html.escape(text)


def network_figure(obj, measure_by: str = "auto", title: str | None = None):
    """One network's or result's flow graph as a plotly figure (edge width by amount)."""
    data = view_data(obj)
    amount, unit = measure(data, measure_by)
    frame = data.flows[["source", "target", "carrier", "kind"]].astype({"source": str,
                                                                       "target": str})
    frame = frame.assign(base=np.nan_to_num(amount), other=np.nan_to_num(amount),
                         change=np.nan_to_num(amount))
    labels = {str(i): (lb if isinstance(lb, str) and lb else str(i))
              for i, lb in zip(data.nodes.index, data.nodes["label"])}
    kinds = {str(i): k for i, k in zip(data.nodes.index, data.nodes["kind"])}
    return _graph_figure(frame, labels, unit, title, lambda c: "#4e6e9a", kinds)


def _kinds(base, other) -> dict:
    out = {}
    for data in (view_data(other), view_data(base)):
        out.update({str(i): k for i, k in zip(data.nodes.index, data.nodes["kind"])})
    return out


def _graph_figure(frame, labels, unit, title, colour, kinds: dict):
    import plotly.graph_objects as go
    g = nx.MultiDiGraph()
    g.add_nodes_from(labels)
    g.add_edges_from(zip(frame["source"], frame["target"]))
    pos = layered_positions(g, first=[n for n in g if kinds.get(n) == "source"],
                            last=[n for n in g if kinds.get(n) == "sink"])
    size = frame["change"].abs().to_numpy()
    top = size.max(initial=0.0) or 1.0
    fig = go.Figure()
    quiet = frame[frame["change"] == 0]
    xs, ys = [], []
    for s, t in zip(quiet["source"], quiet["target"]):
        xs += [pos[s][0], pos[t][0], None]
        ys += [pos[s][1], pos[t][1], None]
    if xs:
        fig.add_scatter(x=xs, y=ys, mode="lines", line=dict(color=SAME, width=1),
                        hoverinfo="skip", showlegend=False)
    moved = frame[frame["change"] != 0]
    big = moved.reindex(moved["change"].abs().sort_values(ascending=False).index)[:ARROWS]
    for r in big.itertuples():
        (x0, y0), (x1, y1) = pos[r.source], pos[r.target]
        fig.add_annotation(x=x1, y=y1, ax=x0, ay=y0, xref="x", yref="y", axref="x",
                           ayref="y", showarrow=True, arrowhead=2, arrowsize=1,
                           arrowwidth=1 + 7 * abs(r.change) / top,
                           arrowcolor=_alpha(colour(r.change), 0.7), standoff=6, text="")
    mid = [((pos[s][0] + pos[t][0]) / 2, (pos[s][1] + pos[t][1]) / 2)
           for s, t in zip(big["source"], big["target"])]
    if mid:
        fig.add_scatter(x=[m[0] for m in mid], y=[m[1] for m in mid], mode="markers",
                        marker=dict(size=7, color=[colour(c) for c in big["change"]]),
                        text=[_hover(r, unit) for r in big.itertuples()],
                        hovertemplate="%{text}<extra></extra>", showlegend=False)
    nodes = list(g.nodes)
    fig.add_scatter(x=[pos[n][0] for n in nodes], y=[pos[n][1] for n in nodes],
                    mode="markers+text", text=[_wrap(labels.get(n, n)) for n in nodes],
                    textposition=["top center" if pos[n][1] >= 0 else "bottom center"
                                  for n in nodes],
                    customdata=[labels.get(n, n) for n in nodes], marker=dict(size=11, color="#5b6675"),
                    hovertemplate="%{customdata}<extra></extra>", showlegend=False,
                    textfont=dict(size=10))
    layers = max((p[0] for p in pos.values()), default=0)
    fig.update_layout(title=dict(text=title) if title else None, plot_bgcolor="white",
                      height=int(min(820, max(380, 90 * (1 + _widest(pos))))),
                      margin=dict(l=20, r=20, t=40 if title else 14, b=14),
                      xaxis=dict(visible=False, range=[-0.7, layers + 0.7]),
                      yaxis=dict(visible=False, range=[-0.65, 0.65]))
    return fig


def _wrap(label: str, width: int = 16) -> str:
    """A node label on lines of about `width` characters (plotly breaks at <br>)."""
    import textwrap
    lines = textwrap.wrap(str(label), width, break_long_words=False) or [str(label)]
    return "<br>".join(html.escape(x) for x in lines[:3])


def _widest(pos) -> int:
    counts = {}
    for x, _ in pos.values():
        counts[x] = counts.get(x, 0) + 1
    return max(counts.values(), default=1)


def _alpha(colour: str, a: float) -> str:
    c = colour.lstrip("#")
    r, g, b = (int(c[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{a})"


def difference_section(block):
    """The page section of a Difference block (model.report): the Sankey or the graph, or
    one line when nothing changes in the measure."""
    from .page import figure_section, omitted_section
    frame, unit = difference_data(block.base, block.other, block.measure)
    moved = frame[frame["change"] != 0]
    if not len(moved):
        return omitted_section(block.title, f"no flow changes in {block.measure}")
    more, less = moved["change"].clip(lower=0).sum(), -moved["change"].clip(upper=0).sum()
    parts = [f"{fmt(more, 4)} {unit} more on the blue ones" if more else "",
             f"{fmt(less, 4)} {unit} less on the red ones" if less else ""]
    about = (f"{len(moved)} of {len(frame)} flows change: "
             f"{', '.join(x for x in parts if x)}.")
    loops = dominant_loops(frame)
    if len(loops):
        labels = _labels(block.base, block.other)
        names = sorted({" ⇄ ".join(sorted((labels.get(a, a), labels.get(b, b))))
                        for a, b in zip(loops["source"], loops["target"])})
        about += (f" Left out so that the rest can be read: the loop {'; '.join(names)} "
                  f"({fmt(loops['change'].abs().sum(), 4)} {unit} of change in all).")
        moved = moved.drop(loops.index)
    drawn = largest_changes(frame)
    if len(drawn) < len(moved):
        rest = moved["change"].abs().sum() - drawn["change"].abs().sum()
        rest_n = len(moved) - len(drawn)
        about += (f" The {len(drawn)} largest changes are drawn; "
                  f"{'the other' if rest_n > 1 else 'one more'} "
                  f"{rest_n if rest_n > 1 else ''} ({fmt(rest, 3)} {unit} of change"
                  f"{' in all) are' if rest_n > 1 else ') is'} not drawn.").replace("  ", " ")
    draw = difference_graph if block.view == "graph" else difference_sankey
    note = f"{block.note} {about}".strip()
    return figure_section(block.title, draw(block.base, block.other, block.measure), note)
