"""Sankey diagrams of any balance layer or propagated attribute of a network.

A link per flow (parallel flows of one carrier bundled on the page), its width the flow's
amount in the chosen measure: a layer (mass, energy, an element) or an attribute (cost, its
categories, tce, CO2). For cost, tce and CO2 the amounts a quantity centre adds itself
(system cost, process emissions) enter from one extra node, so what enters a centre equals
what leaves it.

The page (sankey_section, sankey_html) is laid out in Python (sankey_layout: columns from the
flowsheet's order, rows that keep labels apart, recycle loops as return links with arrows,
a dominant loop folded) and drawn as SVG by sankey.js, with a switch of measure, grouping
and bundling, values on the links and SVG and PNG export (sankey_page). sankey_figure gives
a plotly Figure with the same columns and rows for notebooks. sankey_data gives the links
as a table; big networks are aggregated by firm or stage there: one node per group, one link
per pair of groups and carrier kind; flows inside a group are left out and counted in the
note.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import FlowgraphError
from ..numbers import fmt
from .extract import measure, view_data
from .palette import CARRIER_COLOURS, KIND_COLOURS, LOSS_COLOUR, NEUTRAL, group_colours, rgba
from .sankey_flows import ADDED, flow_links
from .sankey_layout import HEIGHT, WIDTH
from .sankey_page import AGGREGATE_LIMIT, about, assets, fragment, sankey_spec

#: drawing width of a page of its own (1400 px window less the page's margins), and the
#: least height of its flows (what a 900 px window leaves below the page's head and menus)
FULL_WIDTH, FULL_HEIGHT = 1340.0, 540.0

__all__ = ["ADDED", "AGGREGATE_LIMIT", "SankeyData", "flow_links", "sankey_data",
           "sankey_figure", "sankey_html", "sankey_section"]

_KIND_GROUPS = {"source": "sources", "sink": "sinks", "utility": "utilities",
                "process": "processes", "storage": "storage"}


@dataclass
class SankeyData:
    """Nodes (label, colour) and links (source, target, value, flows, colour, text) of one
    Sankey, with the measure's unit and a note on what was aggregated."""

    nodes: pd.DataFrame
    links: pd.DataFrame
    measure: str
    unit: str
    group_by: str | None
    note: str = ""


def sankey_data(obj, measure_by: str = "mass", group_by: str | None = "auto",
                added: bool = True) -> SankeyData:
    """The nodes and links of a Sankey of a Network, Result or Case (see module doc).

    group_by: None (every node), 'firm', 'stage', 'sector', 'kind', or 'auto' (aggregate
    above AGGREGATE_LIMIT nodes: by firm when there are firms, else by stage)."""
    data = view_data(obj)
    _, unit = measure(data, measure_by)
    nodes = data.nodes
    if group_by == "auto":
        group_by = None
        if len(nodes) > AGGREGATE_LIMIT:
            firms = nodes["firm"].dropna()
            group_by = "firm" if firms[firms != ""].nunique() >= 2 else "stage"
    if group_by is not None and group_by not in ("firm", "stage", "sector", "kind", "system"):
        raise FlowgraphError(f"group_by '{group_by}' is not one of firm, stage, sector, kind, "
                             f"system")
    links = flow_links(data, measure_by, added)
    if group_by is None:
        table, links, note = _by_node(nodes, links)
    else:
        table, links, note = _by_group(nodes, links, group_by, unit)
    colour = np.where(links["negative"].to_numpy(dtype=bool), LOSS_COLOUR,
                      [CARRIER_COLOURS.get(k, NEUTRAL) for k in links["kind"]])
    links = links.assign(colour=colour).reset_index(drop=True)
    cols = ["source", "target", "value", "flows", "flow", "carrier", "kind", "negative",
            "recycle", "colour", "text"]
    return SankeyData(table, links[cols], measure_by, unit, group_by, note)


def _by_node(nodes, links):
    """One Sankey node per network node that a drawn link touches, coloured by kind."""
    node_label = {str(i): (lb if isinstance(lb, str) and lb else str(i))
                  for i, lb in zip(nodes.index, nodes["label"])}
    node_label[ADDED] = ADDED
    kind_of = {str(i): k for i, k in zip(nodes.index, nodes["kind"])}
    used = set(pd.unique(np.concatenate([links["source"].to_numpy(),
                                         links["target"].to_numpy()])))
    order = [str(i) for i in nodes.index if str(i) in used] + ([ADDED] if ADDED in used else [])
    table = pd.DataFrame({"label": [node_label[i] for i in order],
                          "colour": [KIND_COLOURS.get(kind_of.get(i), NEUTRAL) for i in order],
                          "kind": [kind_of.get(i, "source") for i in order]},
                         index=pd.Index(order, name="id"))
    links = links.assign(text=[f"{fl} ({car})" for fl, car in zip(links["flow"],
                                                                   links["carrier"])])
    return table, links, ""


def _by_group(nodes, links, group_by, unit):
    """One Sankey node per group (firm, stage, ...); links between groups summed by class
    (carrier kind, or negative); flows inside a group are counted in the note, not drawn."""
    note = ""
    group = _groups(nodes, group_by)
    group[ADDED] = ADDED
    links = links.assign(source=links["source"].map(group), target=links["target"].map(group),
                         cls=np.where(links["negative"], "negative", links["kind"]))
    inside = links["source"] == links["target"]
    if inside.any():
        note = (f"{int(links.loc[inside, 'flows'].sum())} flows inside a {group_by} group "
                f"({fmt(links.loc[inside, 'value'].sum())} {unit}) are not drawn.")
    links = (links[~inside]
             .groupby(["source", "target", "cls"], sort=False, as_index=False)
             .agg(value=("value", "sum"), flows=("flows", "sum"), kind=("kind", "first"),
                  negative=("negative", "first"), recycle=("recycle", "all"),
                  carrier=("carrier", lambda s: ", ".join(sorted(set(map(str, s)))[:6]))))
    links["flow"] = links["flows"].map(lambda k: f"{k} flow" + ("s" if k > 1 else ""))
    links["text"] = [f"{fl}: {car}" for fl, car in zip(links["flow"], links["carrier"])]
    order = list(pd.unique(np.concatenate([links["source"].to_numpy(),
                                           links["target"].to_numpy()])))
    # the graph's colours: groups in node order, boundary groups by their kind
    named = pd.unique(pd.Series(nodes[group_by].to_numpy(dtype=object)).dropna())
    colours = group_colours([g for g in named if isinstance(g, str) and g])
    colours.update({name: KIND_COLOURS[k] for k, name in _KIND_GROUPS.items()
                    if name not in colours})
    kinds = {name: k for k, name in _KIND_GROUPS.items() if k in ("source", "sink")}
    kinds[ADDED] = "source"
    table = pd.DataFrame({"label": order, "colour": [colours.get(g, NEUTRAL) for g in order],
                          "kind": [kinds.get(g, "process") for g in order]},
                         index=pd.Index(order, name="id"))
    return table, links, note


def sankey_figure(obj, measure_by: str = "mass", group_by: str | None = "auto",
                  added: bool = True, title: str | None = None, height: int | None = None):
    """A plotly Figure of the Sankey (see sankey_data for the arguments) with the page's
    columns and rows (sankey_layout): nodes fixed in place, a dominant loop folded (its
    return link left out and the note in the title's second line). Nothing to draw gives
    a figure that says so."""
    import plotly.graph_objects as go

    from .sankey_layout import lay_out, short_label
    sd = obj if isinstance(obj, SankeyData) else sankey_data(obj, measure_by, group_by, added)
    font = dict(size=12, family="system-ui, -apple-system, Segoe UI, Roboto, Noto Sans, "
                                "Noto Sans CJK SC, sans-serif")
    if len(sd.links) == 0:
        fig = go.Figure()
        fig.add_annotation(text=f"Nothing to draw: no flow carries {sd.measure} ({sd.unit}).",
                           showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
        fig.update_xaxes(visible=False)
        fig.update_yaxes(visible=False)
        fig.update_layout(title=title, font=font, height=height or 240, paper_bgcolor="white",
                          plot_bgcolor="white")
        return fig
    short = pd.Series([short_label(x) for x in sd.nodes["label"]], index=sd.nodes.index)
    twice = short.duplicated(keep=False)                     # "Market" twice: say which
    nodes = sd.nodes.assign(label=short.where(~twice, sd.nodes["label"]))
    lay = lay_out(nodes[["label", "kind"]], sd.links, unit=sd.unit)
    n, k = lay.nodes, lay.links[lay.links["drawn"] > 0]
    index = {i: j for j, i in enumerate(n.index)}
    fig = go.Figure(go.Sankey(
        arrangement="fixed", valueformat=",.4~r", valuesuffix=f" {sd.unit}",
        node=dict(label=n["label"].tolist(), color=sd.nodes["colour"].reindex(n.index).tolist(),
                  x=((n["x0"] + n["x1"]) / 2 / lay.width).clip(0.001, 0.999).tolist(),
                  y=((n["y0"] + n["y1"]) / 2 / lay.height).clip(0.001, 0.999).tolist(),
                  pad=8, thickness=14, line=dict(color="rgba(0,0,0,0.35)", width=0.5),
                  customdata=sd.nodes["label"].reindex(n.index).tolist(),
                  hovertemplate="%{customdata}<br>%{value}<extra></extra>"),
        link=dict(source=[index[s] for s in k["source"]],
                  target=[index[t] for t in k["target"]],
                  value=k["drawn"].astype(float).tolist(),
                  color=[rgba(c, 0.8 if r else 0.45) for c, r in zip(k["colour"], k["ret"])],
                  customdata=k["text"].tolist(),
                  hovertemplate="%{customdata}<br>%{source.label} → %{target.label}<br>"
                                "%{value}<extra></extra>")))
    sub = " ".join(n.replace("and the return as a dashed arrow", "and the return left out")
                   for n in lay.notes)
    lines = [f"<sup>{x}</sup>" for x in textwrap.wrap(sub, 150)]
    text = "<br>".join(x for x in (title, *lines) if x)
    top = 30 + 18 * (len(lines) + bool(title)) if text else 10
    fig.update_layout(title=dict(text=text, font=dict(size=15)) if text else None, font=font,
                      height=height or int(lay.height + top + 20),
                      margin=dict(l=10, r=10, t=top, b=10),
                      paper_bgcolor="white")
    return fig


def sankey_section(obj, measure_by: str = "mass", group_by: str | None = "auto",
                   title: str | None = None, added: bool = True, note: str = "",
                   width: float = WIDTH, height: float = HEIGHT, scales: dict | None = None):
    """The Sankey as a page section: the drawing with its menus (measure, grouping,
    bundling), values on links and export buttons; sankey.js and sankey.css go with it.
    width: of the drawing in px, best the page column's (WIDTH fits a report's); height:
    the least height of the flows; scales: one per view shared with other Sankeys
    (sankey_page.shared_scales)."""
    from .page import Section
    data = view_data(obj)
    spec = sankey_spec(data, measure_by, group_by, added, width, height, scales)
    title = title or f"Sankey: {measure_by} ({measure(data, measure_by)[1]})"
    js, css = assets()
    body = fragment(spec)
    fields = getattr(Section, "__dataclass_fields__", {})
    if "scripts" in fields:
        return Section(title, body, note or about(spec), scripts=(("flowgraph-sankey.js", js),),
                       styles=(("flowgraph-sankey.css", css),))
    return Section(title, f"<style>{css}</style>{body}<script>{js}</script>", note or about(spec))


def sankey_html(obj, measure_by: str = "mass", group_by: str | None = "auto",
                title: str | None = None, added: bool = True) -> str:
    """A complete self-contained page with one Sankey, filling the window's width."""
    from .page import html_page
    data = view_data(obj)
    sec = sankey_section(data, measure_by, group_by, None, added, width=FULL_WIDTH,
                         height=FULL_HEIGHT)
    return html_page(title or f"{data.name} [{data.scenario}]: Sankey", [sec], layout="full")


def _groups(nodes: pd.DataFrame, by: str) -> dict:
    vals = nodes[by].to_numpy(dtype=object)
    kinds = nodes["kind"].to_numpy(dtype=object)
    return {str(i): (v if isinstance(v, str) and v else _KIND_GROUPS.get(k, str(k)))
            for i, v, k in zip(nodes.index, vals, kinds)}
