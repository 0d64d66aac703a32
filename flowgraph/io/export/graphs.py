"""The network as a graph file: networkx node-link JSON (`networkx.node_link_graph`) and
GraphML (`networkx.read_graphml`, Gephi, yEd, Cytoscape). Nodes carry their kind, label and
stage; edges (one per flow, keyed by the flow's id) its carrier, role, quantity, unit and
the propagated values. Values GraphML cannot hold (lists, missing values) are left out."""

from __future__ import annotations

import json
import math
from pathlib import Path

import networkx as nx
import pandas as pd

from .files import replacing


def flow_graph(nodes: pd.DataFrame, flows: pd.DataFrame, name: str = "") -> nx.MultiDiGraph:
    """A MultiDiGraph of the node table (indexed by id) and the flow table (indexed by id,
    with source and target)."""
    g = nx.MultiDiGraph(name=name)
    for nid, rec in zip(nodes.index, nodes.to_dict("records")):
        g.add_node(nid, **_plain(rec))
    for fid, rec in zip(flows.index, flows.to_dict("records")):
        rec = _plain(rec)
        g.add_edge(rec.pop("source"), rec.pop("target"), key=fid, id=fid, **rec)
    return g


def _plain(rec: dict) -> dict:
    """Scalars only, missing values left out, numpy values as Python ones."""
    out = {}
    for k, v in rec.items():
        if hasattr(v, "item"):
            v = v.item()
        if v is None or (isinstance(v, float) and math.isnan(v)):
            continue
        if isinstance(v, (str, int, float, bool)):
            out[str(k)] = v
        else:
            out[str(k)] = str(v)
    return out


def write_node_link(g: nx.MultiDiGraph, path) -> Path:
    try:
        data = nx.node_link_data(g, edges="edges")
    except TypeError:                           # networkx before 3.4 names them links
        data = nx.node_link_data(g)
    with replacing(path) as tmp:
        tmp.write_text(json.dumps(data, indent=1, ensure_ascii=False, allow_nan=False),
                       encoding="utf-8")
    return Path(path)


def write_graphml(g: nx.MultiDiGraph, path) -> Path:
    with replacing(path) as tmp:
        nx.write_graphml(g, tmp)
    return Path(path)
