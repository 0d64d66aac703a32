"""Sankey diagrams (plotly) of any balance layer or propagated attribute of a network.

A link per flow, its width the flow's amount in the chosen measure: a layer (mass, energy,
an element) or an attribute (cost, its categories, tce, CO2). Recycle loops are drawn as
circular links, not dropped. For cost, tce and CO2 the amounts a quantity centre adds itself
(system cost, process emissions) enter from one extra node, so what enters a centre equals
what leaves it. Big networks are aggregated by firm or stage: one node per group, one link per
pair of groups and carrier kind; flows inside a group are left out and counted in the note.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import FlowgraphError
from ..numbers import fmt
from .extract import measure, view_data
from .palette import CARRIER_COLOURS, KIND_COLOURS, LOSS_COLOUR, NEUTRAL, group_colours, rgba

#: above this many nodes, group_by='auto' aggregates (by firm, else by stage)
AGGREGATE_LIMIT = 150
#: node added for amounts the centres add themselves
ADDED = "added at the centres"
#: per attribute: the compiled array of a node's own added amounts
_ADDED_COLUMNS = {"cost": None, "cost_material": 0, "cost_energy": 1, "cost_system": 2,
                  "cost_waste": 3}
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
    amount, unit = measure(data, measure_by)
    nodes = data.nodes
    if group_by == "auto":
        group_by = None
        if len(nodes) > AGGREGATE_LIMIT:
            firms = nodes["firm"].dropna()
            group_by = "firm" if firms[firms != ""].nunique() >= 2 else "stage"
    if group_by is not None and group_by not in ("firm", "stage", "sector", "kind", "system"):
        raise FlowgraphError(f"group_by '{group_by}' is not one of firm, stage, sector, kind, "
                             f"system")
    f = data.flows
    links = pd.DataFrame({
        "source": f["source"].astype(str).to_numpy(), "target": f["target"].astype(str).to_numpy(),
        "value": amount, "flows": 1, "flow": f.index.astype(str),
        "carrier": f["carrier"].to_numpy(), "kind": f["kind"].to_numpy(),
        "negative": f["negative"].to_numpy(dtype=bool),
        "recycle": (f["role"] == "recycle").to_numpy()})
    extra = _added_links(data, measure_by) if added else None
    if extra is not None and len(extra):
        links = pd.concat([links, extra], ignore_index=True)
    links = links[np.isfinite(links["value"].to_numpy(dtype=float)) & (links["value"] > 0)]
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
                          "colour": [KIND_COLOURS.get(kind_of.get(i), NEUTRAL) for i in order]},
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
                f"({_num(links.loc[inside, 'value'].sum())} {unit}) are not drawn.")
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
    table = pd.DataFrame({"label": order, "colour": [colours.get(g, NEUTRAL) for g in order]},
                         index=pd.Index(order, name="id"))
    return table, links, note


def sankey_figure(obj, measure_by: str = "mass", group_by: str | None = "auto",
                  added: bool = True, title: str | None = None, height: int | None = None):
    """A plotly Sankey figure (see sankey_data for the arguments)."""
    import plotly.graph_objects as go
    sd = obj if isinstance(obj, SankeyData) else sankey_data(obj, measure_by, group_by, added)
    index = {k: i for i, k in enumerate(sd.nodes.index)}
    links = sd.links
    unit = sd.unit
    fig = go.Figure(go.Sankey(
        arrangement="snap", valueformat=",.6~r", valuesuffix=f" {unit}",
        node=dict(label=[_wrap(lb) for lb in sd.nodes["label"]],
                  color=sd.nodes["colour"].tolist(),
                  pad=20, thickness=16, line=dict(color="rgba(0,0,0,0.35)", width=0.5),
                  customdata=sd.nodes.index.tolist(),
                  hovertemplate="%{label}<br>%{value}<extra></extra>"),
        link=dict(source=[index[s] for s in links["source"]],
                  target=[index[t] for t in links["target"]],
                  value=links["value"].astype(float).tolist(),
                  color=[rgba(c, 0.8 if r else 0.45)
                         for c, r in zip(links["colour"], links["recycle"])],
                  customdata=links["text"].tolist(),
                  hovertemplate="%{customdata}<br>%{source.label} → %{target.label}<br>"
                                "%{value}<extra></extra>"),
    ))
    n = len(sd.nodes)
    fig.update_layout(
        title=dict(text=title, font=dict(size=15)) if title else None,
        font=dict(size=12, family="system-ui, -apple-system, Segoe UI, Roboto, Noto Sans, sans-serif"),
        height=height or int(min(1000, max(380, 160 + 30 * n))),
        margin=dict(l=10, r=10, t=40 if title else 10, b=10), paper_bgcolor="white")
    return fig


def sankey_section(obj, measure_by: str = "mass", group_by: str | None = "auto",
                   title: str | None = None, added: bool = True, note: str = ""):
    """A Sankey as a page section for html_page."""
    from .page import figure_section
    sd = sankey_data(obj, measure_by, group_by, added)
    title = title or f"Sankey: {measure_by} ({sd.unit})"
    about = note or _describe(sd)
    return figure_section(title, sankey_figure(sd), about)


def sankey_html(obj, measure_by: str = "mass", group_by: str | None = "auto",
                title: str | None = None, added: bool = True) -> str:
    """A complete self-contained page with one Sankey."""
    from .page import html_page
    data = view_data(obj)
    sec = sankey_section(data, measure_by, group_by, title, added)
    return html_page(title or f"{data.name} [{data.scenario}]: {measure_by}", [sec])


def _describe(sd: SankeyData) -> str:
    total = sd.links["value"].sum()
    what = f"aggregated by {sd.group_by}; " if sd.group_by else ""
    text = (f"{what}{len(sd.links)} links, {len(sd.nodes)} nodes, {_num(total)} {sd.unit} in "
            f"all links. Link colour: carrier kind; red: negative products; loops are drawn as "
            f"circular links.")
    if sd.measure in _ADDED_COLUMNS or sd.measure in ("tce", "co2"):
        text += f" '{ADDED}' carries what the centres add themselves."
    return f"{text} {sd.note}".strip()


def _added_links(data, name: str) -> pd.DataFrame | None:
    c = data.compiled
    if name in _ADDED_COLUMNS:
        col = _ADDED_COLUMNS[name]
        own = c.node_costs.sum(axis=1) if col is None else c.node_costs[:, col]
    elif name == "tce":
        own = c.node_tce
    elif name == "co2":
        own = c.node_co2
    else:
        return None
    own = np.asarray(own, dtype=float)
    idx = np.flatnonzero(own > 0)
    return pd.DataFrame({"source": ADDED, "target": [str(c.node_ids[i]) for i in idx],
                         "value": own[idx], "flows": 0, "flow": "own added",
                         "carrier": name, "kind": "added", "negative": False,
                         "recycle": False})


def _groups(nodes: pd.DataFrame, by: str) -> dict:
    vals = nodes[by].to_numpy(dtype=object)
    kinds = nodes["kind"].to_numpy(dtype=object)
    return {str(i): (v if isinstance(v, str) and v else _KIND_GROUPS.get(k, str(k)))
            for i, v, k in zip(nodes.index, vals, kinds)}


def _wrap(label: str, width: int = 18) -> str:
    """Long node labels on several lines (plotly breaks at <br>); the text is escaped."""
    import html
    import textwrap
    lines = textwrap.wrap(str(label), width, break_long_words=False) or [str(label)]
    return "<br>".join(html.escape(x) for x in lines)


def _num(v) -> str:
    return fmt(v)
