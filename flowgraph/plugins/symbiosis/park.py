"""A park read off a solved network: its actors (firms), their exchanges and links.

A park is an ordinary Network. Its actors are firms: the nodes sharing a `firm` attribute
form one firm; a node without one is a firm of its own (a shared utility, say). Sources and
sinks are the environment, not actors. An exchange is a flow between two different actors;
a link is an ordered pair of actors with at least one exchange. Every analysis of the
plugin starts from `park(result)`.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd

from ...model.network import BOUNDARY
from ...model.schema import attributes

#: flow columns of a network that are not free attributes
_CORE_FLOW = set(attributes("flow")) | {"_origin", "per_flow", "per_ratio"}


@dataclass
class Park:
    """Actors, exchanges and links of one solved network, in one balance layer."""

    result: object
    layer: str
    actors: pd.Index              # actor (firm) ids, in order
    node_actor: np.ndarray        # per node: index into actors, -1 for the environment
    firms: pd.DataFrame           # per actor: sector, label, lat, lon, nodes, added_value
    amount: np.ndarray            # per flow: quantity in the layer's unit (0 if the flow is
    #                               not in the layer), NaN if unknown
    exchanges: pd.DataFrame       # flows between two actors
    links: pd.DataFrame           # ordered actor pairs with at least one exchange

    @property
    def S(self) -> int:
        return len(self.actors)

    @property
    def L(self) -> int:
        return len(self.links)

    def adjacency(self) -> np.ndarray:
        """S x S matrix: 1 where actor i sends at least one exchange to actor j."""
        a = np.zeros((self.S, self.S))
        a[self.links["i"].to_numpy(dtype=np.int64), self.links["j"].to_numpy(dtype=np.int64)] = 1.0
        return a

    def graph(self) -> nx.DiGraph:
        """The actors and links as a networkx DiGraph (edge attribute `amount`: known
        exchanged quantity in the layer)."""
        g = nx.DiGraph()
        g.add_nodes_from(self.actors)
        g.add_edges_from((s, t, {"amount": a, "exchanges": n}) for s, t, a, n in zip(
            self.links["source"], self.links["target"], self.links["amount"],
            self.links["exchanges"]))
        return g


def park(obj, layer: str = "mass") -> Park:
    """The Park of a solved Result (a Park is passed through when its layer matches)."""
    if isinstance(obj, Park):
        return obj if obj.layer == layer else park(obj.result, layer)
    result = obj
    c = result.compiled
    nodes = result.network.node_frame()
    kind = c.node_kind
    inside = ~np.isin(kind, list(BOUNDARY))
    firm = nodes["firm"].to_numpy(dtype=object) if "firm" in nodes.columns \
        else np.full(len(nodes), None, dtype=object)
    firm = np.where(pd.isna(firm), c.node_ids.to_numpy(dtype=object), firm).astype(object)
    actors = pd.Index(pd.unique(firm[inside]), name="firm")
    node_actor = np.where(inside, actors.get_indexer(firm), -1)

    amount = _layer_amount(result, layer)
    firms = _firm_table(nodes[inside], firm[inside], actors)
    ex = _exchanges(result, node_actor, actors, amount)
    return Park(result, layer, actors, node_actor, firms, amount, ex, _links(ex))


def _layer_amount(result, layer: str) -> np.ndarray:
    c = result.compiled
    x = result.quantities
    if layer not in c.layers:
        return np.zeros(len(x))
    w = c.W[:, c.layer_index(layer)]
    return np.where(w == 0, 0.0, w * x)


def _firm_table(nodes: pd.DataFrame, firm: np.ndarray, actors: pd.Index) -> pd.DataFrame:
    frame = pd.DataFrame({"firm": firm}, index=nodes.index)
    for col in ("sector", "label", "lat", "lon", "added_value", "kind"):
        frame[col] = nodes[col].to_numpy() if col in nodes.columns else np.nan
    frame["lat"] = pd.to_numeric(frame["lat"], errors="coerce")
    frame["lon"] = pd.to_numeric(frame["lon"], errors="coerce")
    frame["added_value"] = pd.to_numeric(frame["added_value"], errors="coerce")
    g = frame.groupby("firm", sort=False)
    out = pd.DataFrame({
        "sector": g["sector"].first(),
        "label": g["label"].first(),
        "lat": g["lat"].mean(),
        "lon": g["lon"].mean(),
        "nodes": g.size(),
        "kinds": frame.drop_duplicates(["firm", "kind"])
        .groupby("firm", sort=False)["kind"].agg(lambda k: "|".join(map(str, k.dropna()))),
        "added_value": g["added_value"].sum(min_count=1),
    }).reindex(actors)
    out.index.name = "firm"
    return out


def _exchanges(result, node_actor, actors, amount) -> pd.DataFrame:
    c = result.compiled
    sa, ta = node_actor[c.tail], node_actor[c.head]
    mask = (sa >= 0) & (ta >= 0) & (sa != ta)
    idx = np.flatnonzero(mask)
    x = result.quantities
    ex = pd.DataFrame({
        "source": actors.to_numpy()[sa[idx]], "target": actors.to_numpy()[ta[idx]],
        "i": sa[idx], "j": ta[idx],
        "source_node": c.node_ids.to_numpy()[c.tail[idx]],
        "target_node": c.node_ids.to_numpy()[c.head[idx]],
        "carrier": c.carrier[idx], "role": c.role[idx], "quantity": x[idx], "unit": c.unit[idx],
        "amount": amount[idx], "known": np.isfinite(x[idx]),
    }, index=c.flow_ids[idx])
    ex.index.name = "flow"
    flows = result.network.flow_frame()
    free = [col for col in flows.columns if col not in _CORE_FLOW]
    for col in free:
        ex[col] = flows[col].to_numpy()[idx]
    return ex


def _links(ex: pd.DataFrame) -> pd.DataFrame:
    if ex.empty:
        return pd.DataFrame({"source": pd.Series(dtype=object), "target": pd.Series(dtype=object),
                             "i": pd.Series(dtype=np.int64), "j": pd.Series(dtype=np.int64),
                             "exchanges": pd.Series(dtype=np.int64),
                             "unknown": pd.Series(dtype=np.int64),
                             "amount": pd.Series(dtype=float),
                             "carriers": pd.Series(dtype=object)})
    frame = ex.assign(unknown=~ex["known"], amount=ex["amount"].fillna(0.0))
    g = frame.groupby(["source", "target"], sort=False)
    links = g.agg(i=("i", "first"), j=("j", "first"), exchanges=("i", "size"),
                  unknown=("unknown", "sum"), amount=("amount", "sum"))
    carriers = frame.drop_duplicates(["source", "target", "carrier"]) \
        .groupby(["source", "target"], sort=False)["carrier"].agg(", ".join)
    links["carriers"] = carriers.reindex(links.index).to_numpy()
    links["unknown"] = links["unknown"].astype(np.int64)
    return links.reset_index()
